package webapp_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

func TestSignUpChatArtifactExportsAndSignOut(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("ada")
	p.waitFor(`document.querySelector("[data-testid=credits]").textContent === "20 credits"`)

	p.send("Create a React counter component")
	p.waitFor(`button("Stop") || button("Regenerate")`)
	p.waitReply("Counter")
	if !eval[bool](p, `!!log().querySelector("pre.code .hljs-keyword")`) {
		t.Error("the reply's code is not highlighted")
	}
	// Credits and usage follow the turn.
	p.waitFor(`document.querySelector("[data-testid=credits]").textContent === "19 credits"`)
	p.waitFor(`document.querySelector("[data-testid=usage]")?.textContent.includes("1 turn,")`)

	// A reply re-renders the page at every chunk, and loads nothing again
	// for it: the list once when the conversation starts and once after the
	// reply, the artifact and its build once.
	lists, builds := 0, 0
	for _, u := range s.requested() {
		if strings.HasPrefix(u, "/api/conversations?") {
			lists++
		}
		if strings.HasSuffix(u, "/build") {
			builds++
		}
	}
	if lists > 3 || builds > 1 {
		t.Errorf("during one reply the page listed conversations %d times and built %d times", lists, builds)
	}

	// The artifact opens in the panel: its preview is framed through the
	// preview token, never the user's.
	p.waitFor(`document.querySelector("iframe[title=Preview]") !== null`)
	token := p.token()
	src := eval[string](p, `document.querySelector("iframe[title=Preview]").src`)
	if !strings.HasPrefix(src, s.URL+"/api/artifacts/") || !strings.Contains(src, "token=") || strings.Contains(src, token) {
		t.Errorf("preview src = %s", src)
	}
	if sb := eval[string](p, `document.querySelector("iframe[title=Preview]").getAttribute("sandbox")`); sb != "allow-scripts allow-forms" {
		t.Errorf("sandbox = %q", sb)
	}

	p.click("Code")
	p.waitFor(`!!document.querySelector(".code-view .hljs-keyword") && document.querySelector(".code-view").textContent.includes("export default function Counter")`)
	p.click("Versions")
	p.waitFor(`button("Version 1")`)

	dir, done := p.downloads()
	p.click("Download")
	if b := waitDownload(t, done, dir); !bytes.Contains(b, []byte("export default function Counter")) {
		t.Errorf("download = %.200s", b)
	}
	p.click("Export HTML")
	if b := waitDownload(t, done, dir); !bytes.Contains(bytes.ToLower(b), []byte("<!doctype html")) {
		t.Errorf("HTML export = %.200s", b)
	}
	p.click("Export JSON")
	if b := waitDownload(t, done, dir); !bytes.Contains(b, []byte(`"schemaVersion"`)) {
		t.Errorf("JSON export = %.200s", b)
	}
	p.click("Export Markdown")
	if b := waitDownload(t, done, dir); !bytes.Contains(b, []byte("export default function Counter")) {
		t.Errorf("Markdown export = %.200s", b)
	}
	p.click("Export ZIP")
	b := waitDownload(t, done, dir)
	if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil || len(zr.File) < 2 {
		t.Errorf("ZIP export: %v", err)
	}

	// The token went in headers only, and never into the page's address.
	for _, u := range s.requested() {
		if strings.Contains(u, token) {
			t.Errorf("a request carried the user's token in its URL: %s", u)
		}
	}
	if href := eval[string](p, `location.href`); strings.Contains(href, token) {
		t.Errorf("location = %s", href)
	}

	p.click("Sign out")
	p.waitFor(`button("Sign in") && field("Email")`)
	if got := p.token(); got != "" {
		t.Errorf("token kept after signing out: %q", got)
	}
	if r := s.Do(t, http.MethodGet, "/api/auth/me", token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the signed-out token still works: %d", r.Status)
	}
}

func TestSignInAndWrongPassword(t *testing.T) {
	s := newSite(t, nil)
	u := s.Register(t)
	p := open(t, s)
	p.fill("Email", u.Email)
	p.fill("Password", "not the password")
	p.click("Sign in")
	p.waitFor(`document.querySelector("[role=alert]")?.textContent.includes("Invalid email or password")`)
	p.clear("Password")
	p.fill("Password", u.Password+"\r")
	p.waitFor(`button("New chat") && document.body.textContent.includes(` + quote(u.Username) + `)`)
	// A reload stays signed in.
	p.run(chromedp.Reload())
	p.waitFor(`button("Sign out")`)
}

// A component that tells its parent it rendered: the only way to see into
// a sandboxed frame from outside.
const announcingComponent = "Here it is.\n\n```tsx\nimport { useEffect } from \"react\";\n\nexport default function Hello() {\n" +
	"  useEffect(() => { parent.postMessage(\"rendered \" + document.querySelector(\"#hello\").textContent, \"*\"); }, []);\n" +
	"  return <h1 id=\"hello\">Hello from the preview</h1>;\n}\n```\n"

func TestPreviewRendersFramedInTheApp(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("grace")
	eval[bool](p, `addEventListener("message", (e) => { window.__fromPreview = e.data; }), true`)
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{announcingComponent}})
	p.send("Say hello in a component")
	p.waitFor(`window.__fromPreview === "rendered Hello from the preview"`)
	if origin := eval[string](p, `new URL(document.querySelector("iframe[title=Preview]").src).origin`); origin != s.URL {
		t.Errorf("preview origin %s, want the app's own %s", origin, s.URL)
	}
}

// hostile is a reply steered by prompt injection: every way markdown can
// carry script or a tracker.
const hostile = "Look: <img src=x onerror=\"window.__pwned='img'\"> and <script>window.__pwned='script'</script>\n\n" +
	"[click me](javascript:window.__pwned='link') and <a href=\"javascript:window.__pwned='a'\">this</a>\n\n" +
	"<iframe src=\"javascript:parent.__pwned='iframe'\"></iframe>\n\n" +
	"![tracker](https://tracker.example/pixel.png) <svg onload=\"window.__pwned='svg'\"></svg>\n\n" +
	"<div style=\"position:fixed;inset:0\" onclick=\"window.__pwned='div'\">cover</div> [fine](https://example.com/ok)\n"

func TestHostileRepliesAreInert(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("mallory")
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{hostile[:60], hostile[60:200], hostile[200:]}})
	p.send("Show me something")
	p.waitReply("fine")
	// Let any handler that slipped through run.
	time.Sleep(300 * time.Millisecond)
	if got := eval[string](p, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("the reply ran script: __pwned = %s", got)
	}
	reply := `[...log().querySelectorAll("article.assistant")].pop()`
	if n := eval[int](p, reply+`.querySelectorAll("img, script, iframe, svg, [onerror], [onload], [onclick], [style]").length`); n != 0 {
		t.Errorf("%d live elements in the reply:\n%s", n, eval[string](p, reply+`.innerHTML`))
	}
	hrefs := eval[[]string](p, `[...`+reply+`.querySelectorAll("a[href]")].map((a) => a.getAttribute("href") + " " + a.rel + " " + a.target)`)
	for _, h := range hrefs {
		if !strings.HasPrefix(h, "https://") || !strings.Contains(h, "noopener") || !strings.HasSuffix(h, "_blank") {
			t.Errorf("link %q", h)
		}
	}
	// What the model wrote is shown as text.
	if text := eval[string](p, reply+`.innerText`); !strings.Contains(text, "<script>") {
		t.Errorf("raw HTML not shown as text: %q", text)
	}
}

func TestStopWithTheButtonAndEscape(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("stopper")
	for i, stop := range []func(){func() { p.click("Stop") }, func() { p.key(kbEscape) }} {
		hold := make(chan struct{})
		t.Cleanup(func() { close(hold) })
		s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"First words. ", "never shown"}, Hold: hold, HoldAfter: 1})
		p.send("Talk slowly")
		p.waitFor(`button("Stop") && [...log().querySelectorAll("article.assistant")].pop()?.innerText.includes("First words.")`)
		stop()
		p.waitFor(`button("Send") && [...log().querySelectorAll("article.assistant")].pop().innerText.includes("Stopped.")`)
		if strings.Contains(p.logText(), "never shown") {
			t.Errorf("stop %d: the held text arrived", i)
		}
	}
}

const kbEscape = "\u001b"

func TestReloadDuringAReplyResumesIt(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("reloader")
	hold := make(chan struct{})
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Part one. ", "Part two. ", "Part three."}, Hold: hold, HoldAfter: 2})
	p.send("Tell me in parts")
	p.waitFor(`log().innerText.includes("Part two.")`)
	p.run(chromedp.Reload())
	p.waitFor(`button("Stop") && log().innerText.includes("Part two.")`)
	close(hold)
	p.waitReply("Part three.")
	if n := strings.Count(p.logText(), "Part one."); n != 1 {
		t.Errorf("Part one. shown %d times:\n%s", n, p.logText())
	}
	ids := s.resumedFrom()
	if len(ids) == 0 || ids[0] == "" {
		t.Errorf("resumed with Last-Event-ID %q, want the last event's id", ids)
	}
	// Later, the conversation reads as saved.
	p.run(chromedp.Reload())
	p.waitFor(`log().innerText.includes("Part one. Part two. Part three.")`)
}

func TestRegenerateAndBrowseAlternatives(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("twice")
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"The first answer."}})
	p.send("Answer me")
	p.waitReply("The first answer.")
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"The second answer."}})
	p.click("Regenerate")
	p.waitReply("The second answer.")
	p.waitFor(`document.querySelector(".alt-pos")?.textContent.replace(/\s/g, "") === "2/2"`)
	p.click("Previous alternative")
	p.waitFor(`log().innerText.includes("The first answer.") && document.querySelector(".alt-pos").textContent.replace(/\s/g, "") === "1/2"`)
	p.click("Next alternative")
	p.waitFor(`log().innerText.includes("The second answer.")`)
}

const brokenComponent = "A chart:\n\n```tsx\nimport pad from \"left-pad\";\n\nexport default function Padded() {\n  return <p>{pad(\"x\", 3)}</p>;\n}\n```\n"
const fixedComponent = "Fixed: no package outside the set.\n\n```tsx\nexport default function Padded() {\n  return <p>{\"x\".padStart(3)}</p>;\n}\n```\n"

func TestFixAFailingBuildThenDiffTheVersions(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.signUp("fixer")
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{brokenComponent}})
	p.send("Pad a string in a component")
	p.waitReply("A chart")
	p.waitFor(`document.querySelector(".build-failed")?.textContent.includes("left-pad")`)
	s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{fixedComponent}})
	p.click("Fix")
	p.waitReply("Fixed")
	p.waitFor(`document.querySelector(".panel .artifact-meta")?.textContent.includes("v2") && !document.querySelector(".build-failed")`)
	p.click("Versions")
	p.waitFor(`button("Version 1") && button("Version 2") && !!document.querySelector(".diff .diff-add") && !!document.querySelector(".diff .diff-del")`)
	if d := eval[string](p, `document.querySelector(".diff").textContent`); !strings.Contains(d, `-import pad from "left-pad";`) {
		t.Errorf("diff:\n%s", d)
	}
}

func TestSidebarPagesSearchesRenamesAndDeletes(t *testing.T) {
	s := newSite(t, nil)
	u := s.Register(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Hour)
	for i := range 25 {
		title := "Beta " + string(rune('A'+i))
		if i < 3 {
			title = "Alpha " + string(rune('A'+i))
		}
		c := agent.Conversation{ID: uuid.Must(uuid.NewV7()).String(), UserID: u.ID, Title: title, CreatedAt: start.Add(time.Duration(i) * time.Second)}
		if err := s.Deps.Store.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	p := open(t, s)
	p.fill("Email", u.Email)
	p.fill("Password", u.Password+"\r")
	rows := `document.querySelectorAll(".conversation").length`
	p.waitFor(rows + ` === 20`)
	eval[bool](p, `document.querySelector(".sidebar").scrollTop = 1e6, true`)
	p.waitFor(rows + ` === 25`)

	p.fill("Search conversations", "alpha")
	p.waitFor(rows + ` === 3`)
	p.click("Rename Alpha B")
	p.clear("Title")
	p.fill("Title", "Renamed by hand\r")
	p.waitFor(`document.querySelector(".sidebar").textContent.includes("Renamed by hand")`)
	p.click("Delete Alpha A")
	p.click("Delete")
	p.waitFor(rows + ` === 2`)

	r := s.Do(t, http.MethodGet, "/api/conversations?search=alpha", u.Token, nil)
	if !bytes.Contains(r.Body, []byte(`"totalCount":1`)) {
		t.Errorf("after the delete and the rename: %s", r.Body)
	}
	r = s.Do(t, http.MethodGet, "/api/conversations?search=renamed", u.Token, nil)
	if !bytes.Contains(r.Body, []byte(`"Renamed by hand"`)) {
		t.Errorf("rename not saved: %s", r.Body)
	}
}

func TestErrorsAreClear(t *testing.T) {
	t.Run("credits exhausted", func(t *testing.T) {
		s := newSite(t, map[string]string{"DEFAULT_CREDITS": "1"})
		p := open(t, s)
		p.signUp("spender")
		p.send("hello")
		p.waitReply("")
		p.waitFor(`document.querySelector("[data-testid=credits]").textContent === "0 credits"`)
		p.send("hello again")
		p.waitFor(`document.querySelector(".banner")?.textContent.includes("You have exhausted your credits")`)
	})
	t.Run("429 with its retry time", func(t *testing.T) {
		s := newSite(t, map[string]string{"TURNS_PER_MINUTE": "1"})
		p := open(t, s)
		p.signUp("hurried")
		p.send("hello")
		p.waitReply("")
		p.send("hello again")
		p.waitFor(`/Too many requests: try again in \d+ s/.test(document.querySelector(".banner")?.textContent || "")`)
		if eval[bool](p, `!button("Send").disabled`) {
			t.Error("Send is enabled before the retry time")
		}
	})
	t.Run("503 while the store is down", func(t *testing.T) {
		var down atomic.Bool
		s := newSiteBehind(t, nil, &faults.Injector{Policy: func(r faults.Request) faults.Fault {
			if down.Load() && r.Operation == "UpdateItem" { // the turn's reservation
				return faults.ServerError
			}
			return faults.None
		}})
		p := open(t, s)
		p.signUp("unlucky")
		down.Store(true)
		p.send("hello")
		p.waitFor(`(document.querySelector(".banner")?.textContent || "").includes("The service is busy right now")`)
		down.Store(false)
		p.fill("Message", "hello again")
		if eval[bool](p, `!button("Send").disabled`) {
			t.Error("Send is enabled before the Retry-After time")
		}
		p.click("Send") // once Retry-After has passed
		p.waitReply("")
	})
	t.Run("connection lost", func(t *testing.T) {
		s := newSite(t, nil)
		p := open(t, s)
		p.signUp("unplugged")
		s.mu.Lock()
		s.cut, s.refuseResume = true, true
		s.mu.Unlock()
		s.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Before the cut. ", "After ", "the cut."}, Delay: 200 * time.Millisecond})
		p.send("Keep talking")
		p.waitFor(`document.querySelector(".banner")?.textContent.includes("Connection lost.") && button("Reconnect")`)
		s.mu.Lock()
		s.refuseResume = false
		s.mu.Unlock()
		p.click("Reconnect")
		p.waitReply("After the cut.")
	})
}

func TestKeyboardAndANarrowScreen(t *testing.T) {
	s := newSite(t, nil)
	p := open(t, s)
	p.run(chromedp.EmulateViewport(375, 740))
	p.signUp("pocket")
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the page is %d px wide at 375", w)
	}
	p.fill("Message", "line one")
	p.run(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)))
	p.fill("Message", "line two")
	if v := eval[string](p, `field("Message").value`); v != "line one\nline two" {
		t.Errorf("Shift+Enter: %q", v)
	}
	p.key("\r")
	p.waitReply("")
	if got := eval[string](p, `log().querySelector("article.user").innerText`); got != "line one\nline two" {
		t.Errorf("sent %q", got)
	}
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("with a reply the page is %d px wide", w)
	}
	p.click("Conversations")
	p.waitFor(`getComputedStyle(document.querySelector(".sidebar")).transform === "none" && button("New chat")`)
}
