package webapp_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/webapp"
)

// TestAPIReference reads the API reference at /api/docs as a developer
// does: Swagger UI renders the served document, "Authorize" takes a token,
// and "Try it out" on GET /api/auth/me calls this origin and shows the
// signed-in user; nothing breaks the page's policy on the way.
func TestAPIReference(t *testing.T) {
	s := newSite(t, nil)
	u := s.Register(t)

	resp, err := http.Get(s.URL + "/api/docs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != 200 || got != webapp.DocsPolicy {
		t.Fatalf("GET /api/docs: %d, policy %q", resp.StatusCode, got)
	}

	p := &page{t: t, ctx: browsertest.NewTab(t), s: s}
	// Every violation of the page's policy is kept, from the first script on.
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.violations = []; document.addEventListener("securitypolicyviolation", (e) => window.violations.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}
	p.run(chromedp.EmulateViewport(1280, 860))
	// A deep link opens the operation (deepLinking, by operationId).
	p.run(chromedp.Navigate(s.URL + "/api/docs#/auth/auth-me"))
	p.waitFor(`document.querySelector(".info .title")?.textContent.includes("AI coding agent API")`)

	p.click("Authorize")
	p.fill("auth-bearer-value", u.Token)
	p.click("Apply credentials")
	p.click("Close")
	p.click("Try it out")
	p.click("Execute")
	p.waitFor(`document.querySelector("#operations-auth-auth-me .live-responses-table")?.innerText.includes(` + quote(`"username": "`+u.Username+`"`) + `)`)

	curl := eval[string](p, `document.querySelector("#operations-auth-auth-me .curl-command")?.innerText || ""`)
	if !strings.Contains(curl, s.URL+"/api/auth/me") || !strings.Contains(curl, "Authorization: Bearer") {
		t.Errorf("the request shown is not this origin's, with the token:\n%s", curl)
	}
	if !slices.Contains(s.requested(), "/api/auth/me") || !slices.Contains(s.requested(), "/api/openapi.json") {
		t.Errorf("requests: %v", s.requested())
	}
	if v := eval[[]string](p, `window.violations`); len(v) > 0 {
		t.Errorf("the page broke its policy: %v", v)
	}
}
