package artifacts_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/devtools/apitest"
)

// requirePackages fails under CI (and skips elsewhere) without the preview
// package set.
func requirePackages(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(apitest.PackagesDir()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the preview packages are missing (%v): run npm ci --prefix web", err)
		}
		t.Skipf("the preview packages are missing: run npm ci --prefix web")
	}
}

func get(t *testing.T, rawURL string, header map[string]string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return apitest.Send(t, req)
}

func TestBuildAndPreview(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		owner, other := env.Register(t), env.Register(t)
		arts := chat(t, env, owner, "```tsx\n"+counter+"\n```")
		id, previewURL := arts[0]["id"].(string), arts[0]["previewUrl"].(string)

		first := env.Do(t, "POST", "/api/artifacts/"+id+"/build", owner.Token, nil)
		second := env.Do(t, "POST", "/api/artifacts/"+id+"/build", owner.Token, nil)
		var b1, b2 struct {
			Success, Cached bool
			DurationMs      float64
			OutputSize      int
			Warnings        []any
		}
		first.Decode(t, &b1)
		second.Decode(t, &b2)
		if first.Status != 200 || !b1.Success || b1.OutputSize == 0 || b1.Warnings == nil {
			t.Fatalf("build = %d %s", first.Status, first.Body)
		}
		if !b2.Cached || b2.OutputSize != b1.OutputSize {
			t.Errorf("second build = %s, want cached", second.Body)
		}

		// The preview URL of the metadata works without a header, as an
		// iframe loads it.
		resp := get(t, previewURL, map[string]string{"Accept": "text/html"})
		if resp.Status != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(resp.Body), "<!doctype html>") {
			t.Fatalf("preview = %d %v", resp.Status, resp.Header)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"sandbox allow-scripts", "frame-ancestors 'self' http://localhost:3000 http://localhost:5173", "default-src 'none'", "connect-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP lacks %q: %s", want, csp)
			}
		}
		if strings.Contains(csp, "allow-same-origin") {
			t.Errorf("CSP gives the preview the API's origin: %s", csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("ETag") == "" {
			t.Errorf("headers = %v", resp.Header)
		}
		if r := get(t, previewURL, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); r.Status != http.StatusNotModified {
			t.Errorf("revalidation = %d, want 304", r.Status)
		}
		if strings.Contains(env.Logs(), "token=") {
			t.Error("a preview token reached the logs")
		}

		base := env.URL + "/api/artifacts/" + id + "/preview"
		tests := []struct {
			name       string
			url        string
			header     map[string]string
			wantStatus int
		}{
			{"the user's JWT in ?token= (the existing frontend)", base + "?token=" + url.QueryEscape(owner.Token), nil, 200},
			{"the user's JWT in the header", base, map[string]string{"Authorization": "Bearer " + owner.Token}, 200},
			{"another user's JWT", base + "?token=" + url.QueryEscape(other.Token), nil, 404},
			{"no token", base, nil, 401},
			{"garbage token", base + "?token=abc", nil, 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if r := get(t, tt.url, tt.header); r.Status != tt.wantStatus {
					t.Errorf("status %d, want %d: %.200s", r.Status, tt.wantStatus, r.Body)
				}
			})
		}

		// A preview token opens only its own artifact.
		arts2 := chat(t, env, owner, "```tsx\nexport default function Other() { return <p>other</p> }\n```")
		tok := previewURL[strings.Index(previewURL, "token=")+len("token="):]
		if r := get(t, env.URL+"/api/artifacts/"+arts2[0]["id"].(string)+"/preview?token="+tok, nil); r.Status != 401 {
			t.Errorf("a preview token for another artifact: %d", r.Status)
		}

		resp = env.Do(t, "POST", "/api/artifacts/"+id+"/bundle", owner.Token, nil)
		var bundle struct {
			Success        bool
			BundledHTMLURL string `json:"bundledHtmlUrl"`
			BuildResult    struct {
				BundleSize        int
				InstalledPackages []string
			}
		}
		resp.Decode(t, &bundle)
		if resp.Status != 200 || !bundle.Success || bundle.BuildResult.BundleSize == 0 || bundle.BuildResult.InstalledPackages == nil {
			t.Fatalf("bundle = %d %s", resp.Status, resp.Body)
		}
		if r := get(t, bundle.BundledHTMLURL, nil); r.Status != 200 || !strings.Contains(string(r.Body), "<!doctype html>") {
			t.Errorf("bundledHtmlUrl without a header: %d", r.Status)
		}
	})
}

func TestBuildFailures(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		tests := []struct {
			name       string
			reply      string
			wantStatus int
			wantCode   string
			wantDetail string
			wantLine   float64
		}{
			{"syntax error", "```tsx\nexport default function Broken() {\n  return <div>{1 +}</div>;\n}\n```", 422, "build_failed", "", 2},
			{"import outside the set", "```tsx\nimport pad from \"left-pad\";\nexport default function P() { return <p>{pad(\"x\", 3)}</p> }\n```", 422, "build_failed", "left-pad", 1},
			{"python", "```python\nprint('hi')\n```", 422, "not_previewable", "", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := chat(t, env, u, tt.reply)[0]["id"].(string)
				resp := env.Do(t, "POST", "/api/artifacts/"+id+"/build", u.Token, nil)
				if resp.Status != tt.wantStatus {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				var body struct {
					Code    string
					Message string
					Details []map[string]any
				}
				resp.Decode(t, &body)
				if body.Code != tt.wantCode {
					t.Errorf("code = %s", body.Code)
				}
				if tt.wantCode == "build_failed" {
					if len(body.Details) == 0 || body.Details[0]["line"] != tt.wantLine || body.Details[0]["file"] == nil || body.Details[0]["lineText"] == nil {
						t.Errorf("details = %v", body.Details)
					}
					if tt.wantDetail != "" && !strings.Contains(string(resp.Body), tt.wantDetail) {
						t.Errorf("the error does not name %q: %s", tt.wantDetail, resp.Body)
					}
				}
				// The iframe gets a page saying so.
				page := get(t, env.URL+"/api/artifacts/"+id+"/preview?token="+url.QueryEscape(u.Token), map[string]string{"Accept": "text/html"})
				if page.Status != tt.wantStatus || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(page.Header.Get("Content-Security-Policy"), "sandbox") {
					t.Errorf("preview = %d %v", page.Status, page.Header)
				}
			})
		}
	})
}

func TestProjectPreview(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		a := chat(t, env, u, project)[0]
		if !strings.Contains(a["previewUrl"].(string), "/project-preview?token=") {
			t.Errorf("previewUrl = %v", a["previewUrl"])
		}
		resp := env.Do(t, "POST", "/api/artifacts/"+a["id"].(string)+"/build-project", u.Token, nil)
		if resp.Status != 200 {
			t.Fatalf("build-project = %d %s", resp.Status, resp.Body)
		}
		page := get(t, a["previewUrl"].(string), nil)
		if page.Status != 200 || !strings.Contains(string(page.Body), "rebeccapurple") {
			t.Errorf("project preview = %d (css applied: %v)", page.Status, strings.Contains(string(page.Body), "rebeccapurple"))
		}
	})
}

// noRedirects is a client that answers redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestUserTokenNeverStaysInAPreviewURL opens previews as the existing
// frontend does, with the user's token in ?token=: the answer is a redirect
// to the same page with a short-lived preview token of that artifact, and
// the page itself is served only for a preview token or the header.
func TestUserTokenNeverStaysInAPreviewURL(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		single := chat(t, env, u, "```tsx\n"+counter+"\n```")[0]["id"].(string)
		project := chat(t, env, u, "```tsx src/App.tsx\n"+counter+"\n```\n\n```css src/styles.css\nbody { margin: 0 }\n```")[0]["id"].(string)
		for _, tt := range []struct{ id, route string }{{single, "preview"}, {project, "project-preview"}} {
			t.Run(tt.route, func(t *testing.T) {
				req, _ := http.NewRequest("GET", env.URL+"/api/artifacts/"+tt.id+"/"+tt.route+"?token="+url.QueryEscape(u.Token), nil)
				resp, err := noRedirects.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				loc := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(loc, tt.route+"?token=") {
					t.Fatalf("got %d, Location %q, Cache-Control %q; want 303 to a relative %s?token=", resp.StatusCode, loc, resp.Header.Get("Cache-Control"), tt.route)
				}
				tok, _ := url.QueryUnescape(strings.TrimPrefix(loc, tt.route+"?token="))
				if tok == u.Token {
					t.Fatal("the redirect keeps the user's token")
				}
				var c jwt.RegisteredClaims
				if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil || c.ExpiresAt.Sub(c.IssuedAt.Time) > artifacts.RedirectTokenTTL {
					t.Errorf("the preview token lives %v, want at most %v", c.ExpiresAt.Sub(c.IssuedAt.Time), artifacts.RedirectTokenTTL)
				}
				if _, err := env.Deps.Sessions.AuthenticatePreview(context.Background(), tok, tt.id); err != nil {
					t.Errorf("the redirect's token is not a preview token of the artifact: %v", err)
				}
				if _, err := env.Deps.Sessions.Authenticate(context.Background(), tok); err == nil {
					t.Error("the redirect's token acts as a user token")
				}
				page, err := noRedirects.Get(resp.Request.URL.ResolveReference(&url.URL{Path: tt.route, RawQuery: "token=" + url.QueryEscape(tok)}).String())
				if err != nil {
					t.Fatal(err)
				}
				page.Body.Close()
				if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
					t.Errorf("following the redirect: %d", page.StatusCode)
				}
			})
		}
	})
}

// TestLinksNeverOpenOutsideTheSandbox checks the URLs an artifact carries:
// bundledHtmlUrl is the sandboxed preview route with a preview token (never
// the bucket's origin, where a page has no policy), and s3Url downloads the
// code as a plain-text attachment, which no browser renders as a page.
func TestLinksNeverOpenOutsideTheSandbox(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		id := chat(t, env, u, "```html\n<!doctype html><html><body><h1>Hi</h1><script>document.title='x'</script></body></html>\n```")[0]["id"].(string)
		if r := env.Do(t, "POST", "/api/artifacts/"+id+"/bundle", u.Token, nil); r.Status != 200 {
			t.Fatalf("bundle: %d %s", r.Status, r.Body)
		}
		var meta struct {
			Artifact struct {
				S3URL          string `json:"s3Url"`
				PreviewURL     string `json:"previewUrl"`
				BundledHTMLURL string `json:"bundledHtmlUrl"`
			}
		}
		env.Do(t, "GET", "/api/artifacts/"+id, u.Token, nil).Decode(t, &meta)
		a := meta.Artifact
		if !strings.HasPrefix(a.BundledHTMLURL, env.URL+"/api/artifacts/"+id+"/preview?token=") {
			t.Errorf("bundledHtmlUrl = %q, want the API's preview route", a.BundledHTMLURL)
		}
		page := get(t, a.BundledHTMLURL, nil)
		if page.Status != 200 || !strings.Contains(page.Header.Get("Content-Security-Policy"), "sandbox allow-scripts") {
			t.Errorf("bundledHtmlUrl: %d, CSP %q", page.Status, page.Header.Get("Content-Security-Policy"))
		}
		code := get(t, a.S3URL, nil)
		if code.Status != 200 || !strings.HasPrefix(code.Header.Get("Content-Type"), "text/plain") || !strings.HasPrefix(code.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("s3Url: %d, Content-Type %q, Content-Disposition %q", code.Status, code.Header.Get("Content-Type"), code.Header.Get("Content-Disposition"))
		}
	})
}
