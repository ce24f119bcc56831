package artifacts_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/devtools/apitest"
)

const htmlPage = "```html\n<!doctype html>\n<html><head><title>Hello page</title><style>h1 { color: rgb(200, 10, 10); }</style></head>\n" +
	"<body><h1 id=\"t\">Hello HTML</h1><script>document.getElementById('t').dataset.ran = 'yes';</script></body></html>\n```"

type htmlExport struct {
	Success     bool
	HTMLContent string
	FileName    string
}

// exportHTML calls html-export as the frontend's exportArtifactAsHtml does:
// a POST with a JSON content type and no body.
func exportHTML(t *testing.T, env *apitest.Env, token, id, query string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", env.URL+"/api/artifacts/"+id+"/html-export"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return apitest.Send(t, req)
}

// metaPolicy returns the policy of a page's meta element, and where in the
// page it is.
func metaPolicy(page string) (string, int) {
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatchIndex(page)
	if m == nil {
		return "", -1
	}
	return strings.ReplaceAll(page[m[2]:m[3]], "&#39;", "'"), m[0]
}

func TestHTMLExport(t *testing.T) {
	requirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		owner, other := env.Register(t), env.Register(t)
		react := chat(t, env, owner, "```tsx\n"+counter+"\n```")[0]
		page := chat(t, env, owner, htmlPage)[0]
		python := chat(t, env, owner, "```python\nprint('not in a browser')\n```")[0]
		id := react["id"].(string)

		resp := exportHTML(t, env, owner.Token, id, "")
		var got htmlExport
		resp.Decode(t, &got)
		if resp.Status != 200 || !got.Success || got.FileName != "Counter.html" || !strings.HasPrefix(got.HTMLContent, "<!doctype html>") {
			t.Fatalf("export = %d %.300s", resp.Status, resp.Body)
		}
		t.Run("the preview's page, with its policy", func(t *testing.T) {
			preview := get(t, react["previewUrl"].(string), nil)
			if !bytes.Equal(preview.Body, []byte(got.HTMLContent)) {
				t.Error("the exported page is not the previewed page")
			}
			policy, _ := metaPolicy(got.HTMLContent)
			for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "connect-src 'none'", "form-action 'none'"} {
				if !strings.Contains(policy, want) {
					t.Errorf("meta policy lacks %q: %s", want, policy)
				}
			}
			if strings.Contains(policy, "script-src 'unsafe-inline'") {
				t.Errorf("meta policy allows any inline script: %s", policy)
			}
			if regexp.MustCompile(`<(script|link|img|iframe)[^>]+(src|href)=`).MatchString(got.HTMLContent) {
				t.Error("the page loads something by URL")
			}
			if strings.Contains(got.HTMLContent, owner.Token) || strings.Contains(got.HTMLContent, "token=") || strings.Contains(got.HTMLContent, env.URL) {
				t.Error("the page carries a token or the API's URL")
			}
		})
		t.Run("recorded on the artifact", func(t *testing.T) {
			var meta struct {
				Artifact struct{ BundledHTMLKey *string }
			}
			env.Do(t, "GET", "/api/artifacts/"+id, owner.Token, nil).Decode(t, &meta)
			if meta.Artifact.BundledHTMLKey == nil {
				t.Error("the build is not recorded")
			}
		})
		t.Run("download", func(t *testing.T) {
			resp := exportHTML(t, env, owner.Token, id, "?download=1")
			h := resp.Header
			if resp.Status != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Content-Disposition") != "attachment; filename=Counter.html" ||
				h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox allow-scripts") {
				t.Fatalf("download = %d %v", resp.Status, h)
			}
			if string(resp.Body) != got.HTMLContent {
				t.Error("the download is not the exported page")
			}
		})
		t.Run("html artifact", func(t *testing.T) {
			resp := exportHTML(t, env, owner.Token, page["id"].(string), "")
			var got htmlExport
			resp.Decode(t, &got)
			if resp.Status != 200 || got.FileName != "Hello-page.html" {
				t.Fatalf("export = %d %.300s", resp.Status, resp.Body)
			}
			policy, at := metaPolicy(got.HTMLContent)
			if policy == "" || at > strings.Index(got.HTMLContent, "<script") || at > strings.Index(got.HTMLContent, "<style") {
				t.Fatalf("no meta policy before the page's first script and style:\n%.600s", got.HTMLContent)
			}
			for _, want := range []string{"default-src 'none'", "script-src 'unsafe-inline'", "connect-src 'none'"} {
				if !strings.Contains(policy, want) {
					t.Errorf("meta policy lacks %q: %s", want, policy)
				}
			}
			if i := strings.Index(got.HTMLContent, `<meta charset="utf-8">`); i < 0 || i > 1024 {
				t.Errorf("charset declared at %d, want within the first 1,024 bytes", i)
			}
			if !strings.Contains(got.HTMLContent, `<h1 id="t">Hello HTML</h1><script>document.getElementById('t').dataset.ran = 'yes';</script>`) {
				t.Error("the artifact's own markup changed")
			}
		})

		tests := []struct {
			name, token, id, query string
			wantStatus             int
			wantCode               string
		}{
			{"python", owner.Token, python["id"].(string), "", 422, "not_previewable"},
			{"python, download", owner.Token, python["id"].(string), "?download=1", 422, "not_previewable"},
			{"another user's", other.Token, id, "", 404, "not_found"},
			{"malformed id", owner.Token, "x", "", 404, "not_found"},
			{"no token", "", id, "", 401, "unauthorized"},
			{"download=maybe", owner.Token, id, "?download=maybe", 400, "validation_error"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := exportHTML(t, env, tt.token, tt.id, tt.query)
				if resp.Status != tt.wantStatus || resp.Err(t).Code != tt.wantCode {
					t.Errorf("%d %s, want %d %s", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
				}
			})
		}
	})
}

func TestExportFileName(t *testing.T) {
	safe := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\.html$`)
	tests := []struct{ title, want string }{
		{"Counter", "Counter.html"},
		{"Todo app: v2", "Todo-app-v2.html"},
		{"index.html", "index.html"},
		{"../../etc/passwd", "etc-passwd.html"},
		{`a\b/c`, "a-b-c.html"},
		{"<script>alert(1)</script>", "script-alert-1-script.html"},
		{"日本語のアプリ", "artifact.html"},
		{"Café crème", "Caf-cr-me.html"},
		{"", "artifact.html"},
		{"...", "artifact.html"},
		{strings.Repeat("long ", 40), strings.TrimSuffix(strings.Repeat("long-", 16), "-") + ".html"},
	}
	for _, tt := range tests {
		got := artifacts.ExportFileName(tt.title)
		if got != tt.want || !safe.MatchString(got) {
			t.Errorf("ExportFileName(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}
