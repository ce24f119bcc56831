// Package leaks finds secrets in logs: tokens (anything shaped like a JWT:
// user tokens, preview tokens), the passwords and the message texts the
// tests sent, and any other secret they name. The tests' logs pass through
// it when a test ends (apitest) and after the deployed shape's scenario
// (localcloud): a secret in a log is a failure, wherever it came from.
package leaks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// jwt is the shape of a JSON Web Token: a header and claims that are
// base64url JSON objects ("eyJ" is `{"`), and a signature.
var jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`)

// MinLength is the shortest secret looked for: a shorter one would be
// found in logs by chance.
const MinLength = 8

// Secrets are the values no log may hold. The zero value is ready; it is
// safe for concurrent use.
type Secrets struct {
	mu     sync.Mutex
	values map[string]string // value → what it is
}

// Add names value, what it is, as a secret: a password, a key. Values
// shorter than MinLength, or of digits only, are left out.
func (s *Secrets) Add(what, value string) {
	if len(value) < MinLength || strings.IndexFunc(value, unicode.IsLetter) < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string]string{}
	}
	s.values[value] = what
}

// secretFields are the JSON fields of a request body whose values must
// never be logged.
var secretFields = map[string]string{
	"password": "a password", "currentPassword": "a password", "newPassword": "a password",
	"message": "a message's text",
}

// Watch serves next, adding to s the passwords and message texts of every
// JSON request body, wherever the request came from.
func (s *Secrets) Watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
			var fields map[string]any
			if err == nil && json.Unmarshal(body, &fields) == nil {
				for k, what := range secretFields {
					if v, ok := fields[k].(string); ok {
						s.Add(what, v)
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Leak is a secret found in a log line.
type Leak struct {
	What string // "a JWT", "a password", ...
	Line string
}

// Find returns every line of logs that holds a token or one of s.
func (s *Secrets) Find(logs string) []Leak {
	s.mu.Lock()
	values := make(map[string]string, len(s.values)*2)
	for v, what := range s.values {
		values[v] = what
		// As a JSON string holds it.
		if b, err := json.Marshal(v); err == nil {
			values[string(b[1:len(b)-1])] = what
		}
	}
	s.mu.Unlock()
	var out []Leak
	for _, line := range strings.Split(logs, "\n") {
		if jwt.MatchString(line) {
			out = append(out, Leak{What: "a JWT", Line: line})
			continue
		}
		for v, what := range values {
			if strings.Contains(line, v) {
				out = append(out, Leak{What: what, Line: line})
				break
			}
		}
	}
	return out
}
