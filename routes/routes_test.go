package routes_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zocket/agent/routes"
)

// TestTable checks the rules every row must follow.
func TestTable(t *testing.T) {
	names := map[string]bool{}
	for _, f := range routes.All() {
		if names[f.Name] {
			t.Errorf("%s: two rows", f.Name)
		}
		names[f.Name] = true
		if f.Path != "" && f.Timeout() > routes.APITimeoutS {
			t.Errorf("%s: timeout %d s behind the HTTP API, whose limit leaves %d s", f.Name, f.Timeout(), routes.APITimeoutS)
		}
		if f.StreamURL && (f.Path != "" || len(f.Served()) != len(f.Streams) || len(f.Streams) == 0) {
			t.Errorf("%s: a Function URL streams the routes of other rows, each of which exists: %v", f.Name, f.Streams)
		}
		for _, g := range f.Served() {
			if f.StreamURL && g.Path == "" {
				t.Errorf("%s streams %s, which has no route", f.Name, g.Name)
			}
		}
	}
}

// TestStreamPaths checks that CloudFront sends the streaming Function URL
// every route it streams and no other.
func TestStreamPaths(t *testing.T) {
	// CloudFront's * is any run of characters, slashes included; ? one.
	matches := func(pattern, route string) bool {
		re := strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern))
		return regexp.MustCompile("^" + re + "$").MatchString(strings.NewReplacer("{id}", "x", "{messageId}", "x", "{n}", "1").Replace(route))
	}
	streamed := map[string]bool{}
	for _, f := range routes.All() {
		if f.StreamURL {
			for _, g := range f.Served() {
				streamed[g.Name] = true
			}
		}
	}
	for _, f := range routes.All() {
		if f.Path == "" {
			continue
		}
		sent := slices.ContainsFunc(routes.StreamPaths, func(p string) bool { return matches(p, f.Path) })
		if sent != streamed[f.Name] {
			t.Errorf("%s %s: sent to the Function URL %v, streamed there %v", f.Method, f.Path, sent, streamed[f.Name])
		}
	}
}
