package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/zocket/agent"
)

func decodeError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unknownFd = "json: unknown field "
	)
	switch {
	case errors.As(err, &tooLarge):
		return agent.WrapError(err, agent.TooLarge, "The request body is larger than 1 MiB.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return agent.WrapError(err, agent.InvalidJSON, "The request body is not valid JSON.")
	case errors.Is(err, io.EOF):
		return agent.NewError(agent.InvalidJSON, "The request body must be a JSON object.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return agent.WrapError(err, agent.InvalidJSON, "The request body must be a JSON object.")
		}
		e := agent.ValidationError(agent.Detail{Field: field, Message: "must be a " + jsonKind(typeErr.Type.Kind().String())})
		e.Err = err
		return e
	case strings.HasPrefix(err.Error(), unknownFd):
		field := strings.Trim(strings.TrimPrefix(err.Error(), unknownFd), `"`)
		e := agent.ValidationError(agent.Detail{Field: field, Message: "is not an accepted field"})
		e.Err = err
		return e
	}
	return agent.WrapError(err, agent.InvalidJSON, "The request body is not valid JSON.")
}

// loneSurrogate reports whether the JSON text body escapes half of a UTF-16
// surrogate pair without the other half: a high surrogate not followed by
// the escape of a low one (`"\ud83d"`), or a low one on its own
// (`"\ude00"`). Such a string has no UTF-8 encoding. In valid JSON every
// backslash begins an escape, so escapes are found without tracking
// strings; anything malformed is left for the decoder to refuse.
func loneSurrogate(body []byte) bool {
	for {
		i := bytes.IndexByte(body, '\\')
		if i < 0 || i+1 >= len(body) {
			return false
		}
		if body[i+1] != 'u' {
			body = body[i+2:] // a one-character escape, \\ included
			continue
		}
		r, ok := escapedUnit(body[i:])
		if !ok {
			body = body[i+2:]
			continue
		}
		body = body[i+6:]
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		case r >= 0xd800 && r <= 0xdbff:
			if low, ok := escapedUnit(body); !ok || low < 0xdc00 || low > 0xdfff {
				return true
			}
			body = body[6:]
		}
	}
}

// escapedUnit reads the UTF-16 code unit of a \uXXXX escape at the start of
// b.
func escapedUnit(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64", "uint":
		return "number"
	case "slice", "array":
		return "array"
	}
	return "object"
}

// Checker collects field problems so a response lists all of them at once.
type Checker struct{ details []agent.Detail }

// Check records message for field when ok is false.
func (c *Checker) Check(ok bool, field, message string) {
	if !ok {
		c.details = append(c.details, agent.Detail{Field: field, Message: message})
	}
}

// Err is nil when every check passed, else a validation_error with details.
func (c *Checker) Err() error {
	if len(c.details) == 0 {
		return nil
	}
	return agent.ValidationError(c.details...)
}

// Value returns the value of an optional request field (a pointer, nil when
// the body did not have it), or the zero value when it is absent.
func Value[T any](field *T) T {
	if field == nil {
		var zero T
		return zero
	}
	return *field
}
