package leaks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/leaks"
)

// TestFind: a token, a password and a message a request carried, and a
// named secret, are found in the lines that hold them, raw or as JSON
// escapes them; short and numeric values are not looked for.
func TestFind(t *testing.T) {
	var s leaks.Secrets
	h := s.Watch(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("POST", "/api/auth/password", strings.NewReader(`{"currentPassword":"old \"quoted\" one","newPassword":"12345678","message":"Create a React counter"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
	s.Add("the JWT secret", "test-secret-test-secret")
	s.Add("too short", "abc")

	token := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJ2ZXIiOjB9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	logs := strings.Join([]string{
		`{"msg":"request","path":"/api/auth/me","status":200}`,
		`{"msg":"oops","token":"` + token + `"}`,
		`{"msg":"oops","pw":"old \"quoted\" one"}`,
		`{"msg":"oops","text":"Create a React counter"}`,
		`{"msg":"oops","secret":"test-secret-test-secret"}`,
		`{"msg":"fine","n":12345678,"abc":true}`,
	}, "\n")
	got := s.Find(logs)
	want := []string{"a JWT", "a password", "a message's text", "the JWT secret"}
	if len(got) != len(want) {
		t.Fatalf("found %+v, want %v", got, want)
	}
	for i, l := range got {
		if l.What != want[i] {
			t.Errorf("leak %d: %s in %s, want %s", i, l.What, l.Line, want[i])
		}
	}
}
