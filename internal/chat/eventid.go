package chat

import (
	"fmt"
	"strconv"
	"strings"
)

// EventID is an event's place in its turn's stream, and its SSE id
// ("offset.n"): Offset is the bytes of reply text sent up to and including
// the event, N its rank among the events since that text (0 for a text
// chunk itself). Ids grow with every event, and the reply's text after an
// id is the saved message's from Offset on: a stream can be resumed from
// the message alone once its journal is gone.
type EventID struct {
	Offset, N int
}

func (e EventID) String() string { return string(e.append(nil)) }

func (e EventID) append(b []byte) []byte {
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(e.N), 10)
}

// After reports whether e comes after o.
func (e EventID) After(o EventID) bool {
	return e.Offset > o.Offset || e.Offset == o.Offset && e.N > o.N
}

// EventIDPattern matches the ids EventID.String writes.
const EventIDPattern = `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`

// ParseEventID reads an id written by EventID.String, and nothing else: no
// sign, no leading zero, no negative part.
func ParseEventID(s string) (EventID, error) {
	off, n, _ := strings.Cut(s, ".")
	o, err1 := strconv.Atoi(off)
	k, err2 := strconv.Atoi(n)
	id := EventID{Offset: o, N: k}
	if err1 != nil || err2 != nil || o < 0 || k < 0 || id.String() != s {
		return EventID{}, fmt.Errorf("event id %q is not offset.n", s)
	}
	return id, nil
}

// cursor gives the events of a stream their ids, in order.
type cursor struct{ last EventID }

// next is the id of the next event, which carries text bytes of reply
// text (0 for an event that is not text).
func (c *cursor) next(text int) EventID {
	if text > 0 {
		c.last = EventID{Offset: c.last.Offset + text}
	} else {
		c.last.N++
	}
	return c.last
}
