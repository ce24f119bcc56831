package chat

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSSEFramingAndPing(t *testing.T) {
	rec := httptest.NewRecorder()
	out := newSSE(rec)
	out.Metadata(Metadata{ConversationID: "c", MessageID: "m", UserMessageID: "u", Title: "<b>T</b>"})
	out.Delta("a\nb")
	s := &Service{PingEvery: 30 * time.Millisecond}
	stop := s.pinger(out)
	time.Sleep(150 * time.Millisecond)
	stop()
	out.done()

	body := rec.Body.String()
	want := "id: 0.1\nevent: metadata\ndata: {\"type\":\"metadata\",\"data\":{\"conversationId\":\"c\",\"messageId\":\"m\",\"userMessageId\":\"u\",\"title\":\"<b>T</b>\"}}\n\n" +
		"id: 3.0\nevent: chunk\ndata: {\"type\":\"chunk\",\"data\":{\"text\":\"a\\nb\"}}\n\n"
	if !strings.HasPrefix(body, want) {
		t.Errorf("framing:\n%s\nwant prefix:\n%s", body, want)
	}
	if !strings.Contains(body, ": ping\n\n") {
		t.Errorf("no ping while idle:\n%s", body)
	}
	if !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("does not end with [DONE]:\n%s", body)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/event-stream; charset=utf-8" {
		t.Errorf("content type %q", got)
	}
}

func TestEventIDs(t *testing.T) {
	var c cursor
	var got []string
	for _, text := range []int{0, 5, 0, 0, 3, 0} {
		got = append(got, c.next(text).String())
	}
	want := []string{"0.1", "5.0", "5.1", "5.2", "8.0", "8.1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ids %v, want %v", got, want)
	}
	for i := 1; i < len(want); i++ {
		a, _ := ParseEventID(want[i-1])
		b, err := ParseEventID(want[i])
		if err != nil || !b.After(a) || a.After(b) {
			t.Errorf("%s after %s: %v", want[i], want[i-1], err)
		}
	}
	for _, bad := range []string{"", "1", "1.", ".1", "-1.0", "1.-1", "+1.0", "-0.0", "00.1", "1.00", "a.b", "1.0.0", "99999999999999999999.0"} {
		if _, err := ParseEventID(bad); err == nil {
			t.Errorf("ParseEventID(%q) accepted", bad)
		}
	}
}

func TestProvisionalTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Create a React button component", "Create a React button component"},
		{strings.Repeat("a", 50), strings.Repeat("a", 50)},
		{strings.Repeat("é", 51), strings.Repeat("é", 47) + "..."},
		{"  line one\n\nline   two ", "line one line two"},
		{"   ", "New conversation"},
	}
	for _, tt := range tests {
		if got := ProvisionalTitle(tt.in); got != tt.want {
			t.Errorf("ProvisionalTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
