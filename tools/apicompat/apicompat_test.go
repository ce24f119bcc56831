package apicompat_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zocket/agent/tools/apicompat"
)

// The files of the contract, in the repository's api/: the document `make
// openapi` writes (a test of the main module fails while it is not what the
// code generates), the baseline (the contract as last released, written by
// `make openapi-release`) and the breaking changes since the baseline
// marked as intended, each with its reason.
const (
	documentPath = "../../api/openapi.json"
	baselinePath = "../../api/openapi.baseline.json"
	intendedPath = "../../api/breaking-changes.json"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestNoUnintendedBreakingChanges: every change from the baseline to the
// document that breaks a client is marked as intended, and every mark
// still matches a change.
func TestNoUnintendedBreakingChanges(t *testing.T) {
	changes, err := apicompat.Breaking(read(t, baselinePath), read(t, documentPath))
	if err != nil {
		t.Fatal(err)
	}
	intended, err := apicompat.ReadIntended(intendedPath)
	if err != nil {
		t.Fatal(err)
	}
	left, stale := apicompat.Unintended(changes, intended)
	if len(left) > 0 {
		var marks []apicompat.Intended
		for _, c := range left {
			t.Errorf("breaks a client: %v", c)
			marks = append(marks, apicompat.Intended{Change: c, Reason: "why clients may take it"})
		}
		out, _ := json.MarshalIndent(marks, "", "  ")
		t.Errorf("api/openapi.json breaks what api/openapi.baseline.json promised. Undo the change, or, "+
			"if it is meant, add it to api/breaking-changes.json with its reason (docs/api.md, \"Breaking changes\"):\n%s", out)
	}
	for _, i := range stale {
		t.Errorf("api/breaking-changes.json marks %v, which the document no longer makes: remove it", i.Change)
	}
	t.Logf("%d breaking changes since the baseline, %d marked intended", len(changes), len(intended))
}

// doc is a document as JSON values, to change.
type doc = map[string]any

func obj(v any, keys ...string) map[string]any {
	for _, k := range keys {
		v = v.(map[string]any)[k]
	}
	return v.(map[string]any)
}

// param is the schema of an operation's parameter.
func param(d doc, path, method, name string) map[string]any {
	for _, p := range obj(d, "paths", path, method)["parameters"].([]any) {
		if p := p.(map[string]any); p["name"] == name {
			return p["schema"].(map[string]any)
		}
	}
	panic("no parameter " + name)
}

func without(list any, v any) []any {
	return slices.DeleteFunc(slices.Clone(list.([]any)), func(x any) bool { return x == v })
}

// TestBreakingChangesCaught: each kind of change that breaks a client,
// made to the current document, is caught by its rule; changes that only
// add are not.
func TestBreakingChangesCaught(t *testing.T) {
	current := read(t, documentPath)
	tests := []struct {
		name   string
		change func(d doc)
		want   []string // rules; none: nothing breaks
	}{
		{"a removed operation", func(d doc) {
			delete(obj(d, "paths", "/api/auth/me"), "get")
		}, []string{"api-removed-without-deprecation"}},
		{"a removed response field", func(d doc) {
			s := obj(d, "components", "schemas", "conversations.Renamed")
			delete(obj(s, "properties"), "title")
			s["required"] = without(s["required"], "title")
		}, []string{"response-required-property-removed"}},
		{"a removed optional response field", func(d doc) {
			delete(obj(d, "components", "schemas", "httpapi.ErrorResponse", "properties"), "requestId")
		}, []string{"response-optional-property-removed"}},
		{"a removed enum value of a request", func(d doc) {
			s := param(d, "/api/conversations/{id}/export", "get", "format")
			s["enum"] = without(s["enum"], "zip")
		}, []string{"request-parameter-enum-value-removed"}},
		{"a removed enum value of a response", func(d doc) {
			s := obj(d, "components", "schemas", "chat.Complete", "properties", "reason")
			s["enum"] = without(s["enum"], "stopped")
		}, []string{"response-property-enum-value-removed"}},
		{"a tightened request limit", func(d doc) {
			p := obj(d, "components", "schemas", "chat.SendRequest", "properties", "message")
			p["maxLength"] = p["maxLength"].(float64) - 1
			q := param(d, "/api/conversations", "get", "limit")
			q["maximum"] = q["maximum"].(float64) - 1
		}, []string{"request-property-max-length-decreased", "request-parameter-max-decreased"}},
		{"a newly required request field", func(d doc) {
			s := obj(d, "components", "schemas", "chat.SendRequest")
			s["required"] = append(s["required"].([]any), "conversationId")
		}, []string{"request-property-became-required"}},
		{"additions only", func(d doc) {
			obj(d, "paths")["/api/new"] = map[string]any{"get": map[string]any{"operationId": "new", "summary": "New",
				"responses": map[string]any{"200": map[string]any{"description": "OK"}}}}
			obj(d, "components", "schemas", "conversations.Renamed", "properties")["pinned"] = map[string]any{"type": "boolean"}
			obj(d, "components", "schemas", "chat.SendRequest", "properties")["model"] = map[string]any{"type": "string"}
			p := obj(d, "components", "schemas", "chat.SendRequest", "properties", "message")
			p["maxLength"] = p["maxLength"].(float64) + 1
			s := param(d, "/api/conversations/{id}/export", "get", "format")
			s["enum"] = append(s["enum"].([]any), "html")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			if err := json.Unmarshal(current, &d); err != nil {
				t.Fatal(err)
			}
			tt.change(d)
			changed, _ := json.Marshal(d)
			got, err := apicompat.Breaking(current, changed)
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, c := range got {
				rules = append(rules, c.Rule)
			}
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("additions break a client: %v", got)
			}
			for _, w := range tt.want {
				if !slices.Contains(rules, w) {
					t.Errorf("not caught as %s; caught: %v", w, got)
				}
			}
		})
	}
}

// TestIntendedMarks: a mark lets its change through and no other; a mark
// no change matches is stale; a mark needs a reason.
func TestIntendedMarks(t *testing.T) {
	removed := apicompat.Change{Operation: "GET /api/auth/me", Rule: "api-removed-without-deprecation", Text: "api removed without deprecation"}
	other := apicompat.Change{Operation: "GET /api/usage", Rule: "api-removed-without-deprecation", Text: "api removed without deprecation"}
	stale := apicompat.Intended{Change: apicompat.Change{Operation: "GET /health", Rule: "x", Text: "y"}, Reason: "gone"}
	left, stales := apicompat.Unintended([]apicompat.Change{removed, other}, []apicompat.Intended{{Change: removed, Reason: "replaced by GET /api/users/me"}, stale})
	if !slices.Equal(left, []apicompat.Change{other}) {
		t.Errorf("left %v, want only the unmarked change", left)
	}
	if len(stales) != 1 || stales[0] != stale {
		t.Errorf("stale %v, want the mark that matches nothing", stales)
	}
	path := filepath.Join(t.TempDir(), "marks.json")
	if err := os.WriteFile(path, []byte(`[{"operation":"GET /api/auth/me","rule":"api-removed-without-deprecation","text":"api removed","reason":" "}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := apicompat.ReadIntended(path); err == nil || !strings.Contains(err.Error(), "without a reason") {
		t.Errorf("a mark without a reason: %v", err)
	}
}
