package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/routes"
)

func TestHealth(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		env := apitest.New(t, tb, nil)
		resp := env.Do(t, "GET", "/health", "", nil)
		var body struct {
			Status, Timestamp, Version string
			Checks                     map[string]string
		}
		resp.Decode(t, &body)
		if resp.Status != 200 || body.Status != "ok" || body.Checks["dynamodb"] != "ok" || body.Checks["s3"] != "ok" || body.Timestamp == "" {
			t.Fatalf("health = %d %s", resp.Status, resp.Body)
		}

		// With S3 unreachable, health says so with a 503.
		deps := *env.Deps
		deps.Blob = apitest.UnreachableBlob(t)
		h, err := app.Handler(&deps, app.HTTPFunctions(), chatapp.Constructors())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(apitest.Checked(t, h))
		defer srv.Close()
		r, err := http.Get(srv.URL + "/health")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body.Checks = nil
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != http.StatusServiceUnavailable || body.Checks["s3"] != "error" || body.Checks["dynamodb"] != "ok" {
			t.Errorf("health with S3 down = %d %+v", r.StatusCode, body)
		}
	})
}

// TestOpenAPI: the document is public, served through the whole stack (CORS,
// request id) with its ETag, and revalidates with a 304.
func TestOpenAPI(t *testing.T) {
	env := apitest.New(t, dynamotest.NewTable(t, dynamotest.Backends(t)[0]), nil)
	req, _ := http.NewRequest("GET", env.URL+"/api/openapi.json", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	resp := apitest.Send(t, req)
	var doc struct {
		OpenAPI string
		Paths   map[string]any
	}
	resp.Decode(t, &doc)
	etag := resp.Header.Get("ETag")
	if resp.Status != 200 || doc.OpenAPI != "3.1.0" || doc.Paths["/api/openapi.json"] == nil || etag == "" ||
		resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("GET /api/openapi.json = %d %v", resp.Status, resp.Header)
	}
	req, _ = http.NewRequest("GET", env.URL+"/api/openapi.json", nil)
	req.Header.Set("If-None-Match", etag)
	if r := apitest.Send(t, req); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", r.Status, len(r.Body))
	}
}

func TestUnknownRoute(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		env := apitest.New(t, tb, nil)
		for _, c := range []struct{ method, path string }{{"GET", "/api/nope"}, {"DELETE", "/api/auth/login"}} {
			resp := env.Do(t, c.method, c.path, "", nil)
			if resp.Status != 404 || resp.Err(t).Code != "not_found" {
				t.Errorf("%s %s = %d %s", c.method, c.path, resp.Status, resp.Body)
			}
		}
	})
}

func TestEveryHTTPFunctionHasAHandler(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range routes.All() {
		if seen[f.Name] {
			t.Errorf("duplicate function %s", f.Name)
		}
		seen[f.Name] = true
	}
	for _, f := range app.HTTPFunctions() {
		if seen[app.Pattern(f)] {
			t.Errorf("two API Gateway functions serve %s", app.Pattern(f))
		}
		seen[app.Pattern(f)] = true
	}
	deps := &app.Deps{
		Config:  settings.Config{GeminiAPIKey: "k"},
		Signer:  auth.NewSigner([]byte(apitest.Secret), time.Hour),
		Builder: build.Remote{Function: "build"},
	}
	if _, err := app.Handler(deps, app.HTTPFunctions(), chatapp.Constructors()); err != nil {
		t.Fatal(err)
	}
}
