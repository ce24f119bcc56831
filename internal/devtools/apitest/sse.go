package apitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Event is one event of a chat stream: its SSE id and event name, and its
// data line's envelope ({type, data}). Done marks the closing
// `data: [DONE]`.
type Event struct {
	ID, Name string
	Type     string
	Data     map[string]any
	Done     bool
}

// Text is a chunk event's text ("" for other events).
func (e Event) Text() string {
	s, _ := e.Data["text"].(string)
	return s
}

// SSEReader reads a chat stream event by event, as a client that keeps
// every field would (comments are skipped).
type SSEReader struct{ br *bufio.Reader }

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader { return &SSEReader{br: bufio.NewReader(r)} }

// Next returns the next event; io.EOF when the stream ended without one.
func (s *SSEReader) Next() (Event, error) {
	var e Event
	seen := false
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" && !seen {
				return Event{}, io.EOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if seen {
				return e, nil
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			e.ID, seen = strings.TrimPrefix(line, "id: "), true
		case strings.HasPrefix(line, "event: "):
			e.Name, seen = strings.TrimPrefix(line, "event: "), true
		case line == "data: [DONE]":
			e.Done, seen = true, true
		case strings.HasPrefix(line, "data: "):
			var env struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &env); err != nil {
				return Event{}, fmt.Errorf("event data %q: %w", line, err)
			}
			e.Type, e.Data, seen = env.Type, env.Data, true
		default:
			return Event{}, fmt.Errorf("unexpected line %q", line)
		}
	}
}

// All reads the rest of the stream; it stops at [DONE] (included) or at
// the end of the body.
func (s *SSEReader) All() ([]Event, error) {
	var out []Event
	for {
		e, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
		if e.Done {
			return out, nil
		}
	}
}
