package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// events checks a text/event-stream as it is written: each event as
// its blank line ends it.
type events struct {
	c    *Checker
	op   *operation
	buf  []byte
	done bool // data: [DONE] was written
	// last is the id of the last event, to check that ids grow.
	last      [2]uint64
	seenFirst bool
}

// badEvent is an event the document does not describe.
type badEvent struct {
	event    string
	problems []string
}

// write takes the next bytes of the stream and checks every event they
// complete.
func (e *events) write(p []byte) []badEvent {
	e.buf = append(e.buf, p...)
	var bad []badEvent
	for {
		i := bytes.Index(e.buf, []byte("\n\n"))
		if i < 0 {
			return bad
		}
		block := string(e.buf[:i])
		e.buf = e.buf[i+2:]
		if probs := e.event(block); len(probs) > 0 {
			bad = append(bad, badEvent{event: block, problems: probs})
		}
	}
}

// end reports what is wrong with how the stream ended: an event cut short.
func (e *events) end() []string {
	if len(bytes.TrimLeft(e.buf, "\n")) > 0 {
		return []string{fmt.Sprintf("the stream ends inside an event: %q", e.buf)}
	}
	return nil
}

// event checks one event (or a comment) of the stream: the framing the
// document's ChatEvent describes, and its data against the operation's
// event schema. It counts the events it checks.
func (e *events) event(block string) []string {
	var probs []string
	if e.done {
		probs = append(probs, "something follows data: [DONE]")
	}
	var id, name string
	var data []string
	comment := true
	for _, line := range strings.Split(block, "\n") {
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case strings.HasPrefix(line, ":"):
			if line != ": ping" {
				probs = append(probs, fmt.Sprintf("a comment %q: the document has `: ping` only", line))
			}
			continue
		case field == "id":
			id = value
		case field == "event":
			name = value
		case field == "data":
			data = append(data, value)
		default:
			probs = append(probs, fmt.Sprintf("a line %q: the document's events have id, event and data lines", line))
		}
		comment = false
	}
	if comment {
		return e.framing(probs)
	}
	if len(data) == 1 && data[0] == "[DONE]" {
		if id != "" || name != "" {
			probs = append(probs, "data: [DONE] with an id or an event name")
		}
		e.done = true
		return e.framing(probs)
	}
	if len(data) != 1 {
		return e.counted(append(probs, fmt.Sprintf("%d data lines: an event has one", len(data))))
	}
	if e.op == nil || e.op.events == nil {
		return e.counted(append(probs, "an event stream from an operation the document gives none"))
	}
	var env struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(data[0]), &env); err != nil {
		return e.counted(append(probs, "data is not JSON: "+err.Error()))
	}
	if name != env.Type {
		probs = append(probs, fmt.Sprintf("event: %q, but the data's type is %q", name, env.Type))
	}
	switch {
	case id == "" && env.Type != "error":
		// Only the error that ends a stream whose session ended has no id.
		probs = append(probs, "no id: only an error event may have none")
	case id != "":
		if !e.c.eventID.MatchString(id) {
			probs = append(probs, fmt.Sprintf("id %q does not match %s", id, e.c.eventID))
		} else {
			off, n, _ := strings.Cut(id, ".")
			a, _ := strconv.ParseUint(off, 10, 64)
			b, _ := strconv.ParseUint(n, 10, 64)
			cur := [2]uint64{a, b}
			if e.seenFirst && (cur[0] < e.last[0] || cur[0] == e.last[0] && cur[1] <= e.last[1]) {
				probs = append(probs, fmt.Sprintf("id %s after %d.%d: ids grow with every event", id, e.last[0], e.last[1]))
			}
			e.last, e.seenFirst = cur, true
		}
	}
	if ok, all := e.c.schemas.ValidateSchemaBytesWithVersion(e.op.events, []byte(data[0]), 3.1); !ok {
		// The discriminator's schema of its type says what is wrong;
		// the oneOf's errors list every other type too.
		kind, known := e.op.kinds[env.Type]
		switch {
		case !known:
			probs = append(probs, fmt.Sprintf("type %q is none of the discriminator's (%s)", env.Type, strings.Join(slices.Sorted(maps.Keys(e.op.kinds)), ", ")))
		default:
			if ok, errs := e.c.schemas.ValidateSchemaBytesWithVersion(kind, []byte(data[0]), 3.1); !ok {
				probs = append(probs, describe(errs)...)
			} else {
				probs = append(probs, describe(all)...) // it is its type's, and still not one of
			}
		}
	}
	return e.counted(probs)
}

// framing counts a mismatch of a comment or of the closing [DONE], which
// are not events.
func (e *events) framing(probs []string) []string {
	if len(probs) > 0 {
		count(func(t *Tally) { t.Mismatches++ })
	}
	return probs
}

// counted counts an event checked, and its mismatch.
func (e *events) counted(probs []string) []string {
	count(func(t *Tally) {
		t.Events++
		if len(probs) > 0 {
			t.Mismatches++
		}
	})
	return probs
}
