package routes_test

import (
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
