package chat_test

import (
	"regexp"
	"testing"

	"github.com/zocket/agent/internal/chat"
)

// FuzzParseEventID reads arbitrary Last-Event-ID values: none panics, and
// what is accepted is an id String writes, of a place in a stream (no
// negative part) and matches EventIDPattern; every such place's id reads
// back as itself.
func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"0.0", "0.1", "5.0", "8.1", "", "1", "1.", ".1", "-1.0", "1.-1", "+1.0", "a.b", "1.0.0", "99999999999999999999.0", "9223372036854775807.0", " 1.0", "1.0\n", "١.٠"} {
		f.Add(s, 5, 1)
	}
	pattern := regexp.MustCompile(chat.EventIDPattern)
	f.Fuzz(func(t *testing.T, s string, offset, n int) {
		if id, err := chat.ParseEventID(s); err == nil {
			if id.Offset < 0 || id.N < 0 || id.String() != s {
				t.Errorf("ParseEventID(%q) = %+v (%q), want an id that String writes", s, id, id.String())
			}
			if !pattern.MatchString(s) {
				t.Errorf("ParseEventID accepts %q, which EventIDPattern does not match", s)
			}
		} else if pattern.MatchString(s) && len(s) < 19 {
			t.Errorf("ParseEventID(%q): %v, but EventIDPattern matches it", s, err)
		}
		if offset < 0 || n < 0 {
			return
		}
		id := chat.EventID{Offset: offset, N: n}
		if got, err := chat.ParseEventID(id.String()); err != nil || got != id {
			t.Errorf("ParseEventID(%q) = %+v, %v; want %+v", id.String(), got, err, id)
		}
	})
}
