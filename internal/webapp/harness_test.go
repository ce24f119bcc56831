package webapp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/browsertest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/webapp"
)

// The browser tests drive the web app in headless Chromium as a person
// would: controls are found by their accessible names (the role and name a
// screen reader announces), against the whole API served as the devserver
// serves it, with the fake model (geminitest) answering: its offline
// replies, or replies a test scripts.

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// site is the API and the web app on one origin, as the devserver and
// CloudFront serve them, recording every request's URL and the
// Last-Event-ID of each resumed stream.
type site struct {
	*apitest.Env
	URL string

	mu          sync.Mutex
	urls        []string
	lastEventID []string
	// cut, when set, ends the next chat stream's connection at its second
	// text chunk; refuseResume answers resumed streams 502.
	cut          bool
	refuseResume bool
}

func newSite(t *testing.T, env map[string]string) *site {
	t.Helper()
	return newSiteBehind(t, env, nil)
}

// newSiteBehind is newSite with DynamoDB behind faults (nil: none).
func newSiteBehind(t *testing.T, env map[string]string, faulty *faults.Injector) *site {
	t.Helper()
	requireBuilt(t)
	apitest.RequirePackages(t)
	vars := map[string]string{"CORS_ORIGINS": "http://localhost:3000"}
	for k, v := range env {
		vars[k] = v
	}
	table := dynamotest.NewTable(t, dynamotest.Backends(t)[0])
	if faulty != nil {
		table = dynamotest.Behind(t, table, faulty)
	}
	e := apitest.New(t, table, vars)
	h, err := app.Handler(e.Deps, app.HTTPFunctions(), chatapp.Constructors())
	if err != nil {
		t.Fatal(err)
	}
	// What the browser receives is checked against the OpenAPI document,
	// as every API test's answers are.
	h = apitest.Checked(t, h)
	s := &site{Env: e}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.urls = append(s.urls, r.URL.String())
		resume := strings.HasPrefix(r.URL.Path, "/api/chat/stream/")
		if resume {
			s.lastEventID = append(s.lastEventID, r.Header.Get("Last-Event-ID"))
		}
		cut, refuse := s.cut && r.URL.Path == "/api/chat/send", s.refuseResume && resume
		if cut {
			s.cut = false
		}
		s.mu.Unlock()
		if refuse {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		if cut {
			w = &cutter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// cutter breaks the connection when the second text chunk is written (the
// first has had time to be read), as a network that drops does: the
// server's later writes fail.
type cutter struct {
	http.ResponseWriter
	texts int
	cut   bool
}

func (c *cutter) Write(b []byte) (int, error) {
	if c.cut {
		return 0, http.ErrHijacked
	}
	if strings.Contains(string(b), `"text":`) {
		if c.texts++; c.texts == 2 {
			c.cut = true
			if conn, _, err := http.NewResponseController(c.ResponseWriter).Hijack(); err == nil {
				conn.Close()
			}
			return 0, http.ErrHijacked
		}
	}
	return c.ResponseWriter.Write(b)
}

func (c *cutter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (s *site) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.urls)
}

func (s *site) resumedFrom() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lastEventID)
}

// requireBuilt fails (CI) or skips the test when `make webapp` has not run.
func requireBuilt(t *testing.T) {
	t.Helper()
	if webapp.New().Built() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the web app is not built into this test binary: run `make webapp`")
	}
	t.Skip("the web app is not built: run `make webapp`")
}

// page is a browser tab on the site.
type page struct {
	t   *testing.T
	ctx context.Context
	s   *site
}

func open(t *testing.T, s *site) *page {
	t.Helper()
	p := &page{t: t, ctx: browsertest.NewTab(t), s: s}
	p.run(chromedp.EmulateViewport(1280, 860))
	p.run(chromedp.Navigate(s.URL + "/"))
	p.waitFor(`document.querySelector("form.auth-card, .workspace") !== null`)
	return p
}

func (p *page) run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%v\n%s", err, p.describe())
	}
}

func (p *page) describe() string {
	s, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(document.querySelector("[role=alert]")?.textContent || "") + "\n" + document.body.innerText.slice(0, 1500)`))
	return "page shows: " + s
}

func (p *page) waitFor(expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](withFinders("!!("+expr+")"), chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v\n%s", expr, err, p.describe())
	}
}

func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](withFinders(expr)))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// finders find elements as assistive technology names them: a button by
// its aria-label or text, a field by its aria-label or its label's own
// text, only those shown.
const finders = `var shown = (e) => !!e && e.getClientRects().length > 0;
var nameOf = (e) => (e.getAttribute("aria-label") || e.textContent || "").trim();
var button = (name) => [...document.querySelectorAll("button, [role=button], [role=tab]")].find((e) => shown(e) && nameOf(e) === name);
var field = (name) => [...document.querySelectorAll("input, textarea, select")].find((e) => shown(e) && (e.getAttribute("aria-label") === name || (e.closest("label") && e.closest("label").firstChild.textContent.trim() === name)));
var log = () => document.querySelector("[role=log]") || document.createElement("div");
`

// withFinders is expr with the finders in scope.
func withFinders(expr string) string { return "(() => {" + finders + "return (" + expr + ");})()" }

// click clicks the button named name, as a mouse does.
func (p *page) click(name string) {
	p.t.Helper()
	p.waitFor(`button(` + quote(name) + `) && !button(` + quote(name) + `).disabled`)
	p.run(chromedp.Click(chromedp.JSPath(withFinders(`button(` + quote(name) + `)`))))
}

// fill types text into the field named name (keys as typed: "\r" is Enter).
func (p *page) fill(name, text string) {
	p.t.Helper()
	p.waitFor(`field(` + quote(name) + `)`)
	sel := chromedp.JSPath(withFinders(`field(` + quote(name) + `)`))
	p.run(chromedp.Focus(sel), chromedp.SendKeys(sel, text))
}

// clear empties the field named name, as selecting its text and deleting
// it does.
func (p *page) clear(name string) {
	p.t.Helper()
	eval[bool](p, `(() => { const e = field(`+quote(name)+`); const set = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), "value").set; set.call(e, ""); e.dispatchEvent(new Event("input", { bubbles: true })); return true; })()`)
}

// key presses one key on whatever has the focus.
func (p *page) key(k string) {
	p.t.Helper()
	p.run(chromedp.KeyEvent(k))
}

func (p *page) logText() string { return eval[string](p, `log().innerText`) }

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// signUp creates an account through the form and waits for the workspace.
func (p *page) signUp(username string) {
	p.t.Helper()
	p.click("Create account")
	p.fill("Email", username+"@example.com")
	p.fill("Username", username)
	p.fill("Password", "a good password")
	p.click("Create account")
	p.waitFor(`button("New chat") && button("Sign out")`)
}

// send types a message and sends it with Enter.
func (p *page) send(text string) {
	p.t.Helper()
	p.fill("Message", text+"\r")
}

// waitReply waits until no reply streams and the last one holds want.
func (p *page) waitReply(want string) {
	p.t.Helper()
	p.waitFor(`button("Send") && log().getAttribute("aria-busy") === "false" && [...log().querySelectorAll("article.assistant")].pop()?.innerText.includes(` + quote(want) + `)`)
}

// token is the user's token as the app keeps it.
func (p *page) token() string { return eval[string](p, `localStorage.getItem("zocket.token") || ""`) }

// downloads makes the tab save downloads to a directory and reports each
// one finished.
func (p *page) downloads() (dir string, done <-chan string) {
	p.t.Helper()
	dir = p.t.TempDir()
	ch := make(chan string, 16)
	progress := chromedp.Events(p.ctx, browser.DownloadProgress)
	go func() {
		for ev, err := range progress {
			if err != nil {
				return
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				ch <- ev.GUID
			}
		}
	}()
	enabled := true
	p.run(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &enabled,
		})
		return err
	}))
	return dir, ch
}

func waitDownload(t *testing.T, done <-chan string, dir string) []byte {
	t.Helper()
	select {
	case guid := <-done:
		b, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		return b
	case <-time.After(20 * time.Second):
		t.Fatal("no download finished")
	}
	return nil
}

// moduleRoot is the repository, for reading the built files' sizes.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
