// Command webappbench measures the web app's budgets (docs/webapp.md) and
// takes its screenshots: `make bench-webapp` and `make screenshots`.
//
// It builds cmd/devserver and runs it as a process of its own on a fresh
// data directory with the offline model (replies paced at 20 ms a chunk),
// then drives Debian's headless Chromium against it:
//
//   - the app's JavaScript, gzipped as it is sent (internal/webapp/dist);
//   - the shell's first contentful paint after navigation to /, the first
//     navigation (nothing cached) and the next ones;
//   - each streamed chunk's time from the moment the page parsed its SSE
//     event to the first animation frame after the DOM holding its text
//     was committed (the frame that paints it), over a few replies, read
//     from the page's own record (window.__chunkTimings).
//
// With -screenshots DIR it writes the main screens as PNGs instead.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zocket/agent/internal/devtools/devproc"
	"github.com/zocket/agent/internal/devtools/timing"
)

// Budgets (issue 24).
const (
	budgetJS    = 150 * 1024 // bytes of JavaScript, gzipped
	budgetPaint = 300 * time.Millisecond
	budgetChunk = 50 * time.Millisecond
)

func main() {
	shots := flag.String("screenshots", "", "write the main screens as PNGs to this directory instead of measuring")
	runs := flag.Int("runs", 10, "navigations measured for the shell's paint (at least 2)")
	replies := flag.Int("replies", 3, "streamed replies measured for the chunks")
	flag.Parse()
	*runs = max(*runs, 2)
	if err := run(*shots, *runs, *replies); err != nil {
		log.Fatal(err)
	}
}

func run(shots string, runs, replies int) error {
	dir, err := os.MkdirTemp("", "webappbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "devserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/devserver").CombinedOutput(); err != nil {
		return fmt.Errorf("build devserver: %v\n%s", err, out)
	}
	srv, err := devproc.Start(bin, dir, "/")
	if err != nil {
		return err
	}
	defer srv.Stop()

	ctx, cancel, err := chromium(dir)
	defer cancel()
	if err != nil {
		return fmt.Errorf("start Chromium: %w", err)
	}
	if shots != "" {
		return screenshots(ctx, srv.URL, shots)
	}

	failed := false
	check := func(name string, ok bool) {
		if !ok {
			failed = true
			fmt.Printf("  OVER BUDGET: %s\n", name)
		}
	}

	js, err := scriptSize()
	if err != nil {
		return err
	}
	fmt.Printf("JavaScript, gzipped: %d bytes (%.1f KiB; budget %d KiB)\n", js, float64(js)/1024, budgetJS/1024)
	check("JavaScript", js <= budgetJS)

	paints, err := shellPaints(ctx, srv.URL, runs)
	if err != nil {
		return err
	}
	rest := paints[1:]
	fmt.Printf("shell painted after navigation (first contentful paint): first %.1f ms; next %d: median %.1f ms, max %.1f ms (budget %d ms)\n",
		timing.Milliseconds(paints[0]), len(rest), timing.Milliseconds(timing.Percentile(rest, 50)), timing.Milliseconds(slices.Max(rest)), budgetPaint.Milliseconds())
	check("shell paint", slices.Max(paints) <= budgetPaint)

	chunks, err := chunkLatencies(ctx, srv.URL, replies)
	if err != nil {
		return err
	}
	fmt.Printf("streamed chunk, SSE event to painted frame: %d chunks: median %.1f ms, p95 %.1f ms, max %.1f ms (budget %d ms)\n",
		len(chunks), timing.Milliseconds(timing.Percentile(chunks, 50)), timing.Milliseconds(timing.Percentile(chunks, 95)), timing.Milliseconds(slices.Max(chunks)), budgetChunk.Milliseconds())
	check("chunk to screen", slices.Max(chunks) <= budgetChunk)
	if failed {
		return fmt.Errorf("a budget is exceeded")
	}
	fmt.Println("every budget is met")
	return nil
}

// scriptSize is the gzipped size of the app's scripts, as they are sent
// (the API reference's, docs-*.js, load only at /api/docs).
func scriptSize() (int64, error) {
	files, err := filepath.Glob("internal/webapp/dist/assets/app-*.js.gz")
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no built script under internal/webapp/dist: run make webapp")
	}
	var n int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return 0, err
		}
		n += st.Size()
	}
	return n, nil
}

// shellPaints navigates fresh tabs to / and reads each first contentful
// paint; the first navigation has nothing cached.
func shellPaints(browser context.Context, url string, runs int) ([]time.Duration, error) {
	var out []time.Duration
	for range runs {
		tab, cancel := chromedp.NewContext(browser)
		err := chromedp.Do(tab, chromedp.Navigate(url+"/"))
		if err == nil {
			var ms float64
			ms, err = chromedp.Run(tab, chromedp.Poll[float64](`performance.getEntriesByName("first-contentful-paint")[0]?.startTime`,
				chromedp.WithPollingTimeout(10*time.Second)))
			out = append(out, time.Duration(ms*float64(time.Millisecond)))
		}
		cancel()
		if err != nil {
			return nil, fmt.Errorf("shell paint: %w", err)
		}
	}
	return out, nil
}

// chunkLatencies signs a new user in, streams replies, and reads the
// page's record of each chunk.
func chunkLatencies(browser context.Context, url string, replies int) ([]time.Duration, error) {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := signIn(tab, url, "bench"); err != nil {
		return nil, err
	}
	for i := range replies {
		if err := sendAndWait(tab, fmt.Sprintf("Create a React counter component, take %d", i+1)); err != nil {
			return nil, err
		}
		// A person reads the reply, and its preview starts, before the
		// next message.
		if err := chromedp.Do(tab, chromedp.Sleep(2*time.Second)); err != nil {
			return nil, err
		}
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[[]map[string]float64](`window.__chunkTimings || []`))
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("the page recorded no chunk")
	}
	var out []time.Duration
	for _, c := range raw {
		out = append(out, time.Duration((c["visible"]-c["received"])*float64(time.Millisecond)))
	}
	return out, nil
}

// signIn registers a user through the API and gives the page its token,
// as the sign-in form does.
func signIn(tab context.Context, url, name string) error {
	body, _ := json.Marshal(map[string]string{"email": name + "@example.com", "username": name, "password": "a good password"})
	resp, err := http.Post(url+"/api/auth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return fmt.Errorf("register %s: %d %v", name, resp.StatusCode, err)
	}
	return chromedp.Do(tab,
		chromedp.Navigate(url+"/"),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem("zocket.token", `+jsString(out.Token)+`)`),
		chromedp.Navigate(url+"/"),
		wait(`!!document.querySelector("[role=log]")`),
	)
}

func sendAndWait(tab context.Context, text string) error {
	return chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`textarea[aria-label="Message"]`), text+"\r"),
		wait(`document.querySelector("[role=log]").getAttribute("aria-busy") === "true"`),
		wait(`document.querySelector("[role=log]").getAttribute("aria-busy") === "false"`),
	)
}

func wait(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// screenshots writes the main screens: sign in, a chat with its artifact's
// preview, the code view, the sidebar with conversations, a phone, and the
// API reference.
func screenshots(browser context.Context, url, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	shot := func(tab context.Context, name string) error {
		png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
		if err != nil {
			return err
		}
		fmt.Println(filepath.Join(dir, name))
		return os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(url+"/"), wait(`!!document.querySelector("form.auth-card")`)); err != nil {
		return err
	}
	if err := shot(tab, "sign-in.png"); err != nil {
		return err
	}
	if err := signIn(tab, url, "ada"); err != nil {
		return err
	}
	for _, m := range []string{"Write a Python script that counts words", "Create an HTML landing page", "Create a React counter component"} {
		if err := sendAndWait(tab, m); err != nil {
			return err
		}
	}
	if err := chromedp.Do(tab, wait(`!!document.querySelector("iframe[title=Preview]")`), chromedp.Sleep(1500*time.Millisecond)); err != nil {
		return err
	}
	if err := shot(tab, "chat-and-preview.png"); err != nil {
		return err
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("[role=tab]")].find((e) => e.textContent === "Code")`)),
		wait(`!!document.querySelector(".code-view .hljs-keyword")`)); err != nil {
		return err
	}
	if err := shot(tab, "code.png"); err != nil {
		return err
	}
	phone, cancelPhone := chromedp.NewContext(browser)
	defer cancelPhone()
	if err := chromedp.Do(phone, chromedp.EmulateViewport(375, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		return err
	}
	if err := signIn(phone, url, "pocket"); err != nil {
		return err
	}
	if err := sendAndWait(phone, "Create a React counter component"); err != nil {
		return err
	}
	if err := chromedp.Do(phone, chromedp.Click(chromedp.CSS(`button[aria-label="Close artifact"]`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		return err
	}
	if err := shot(phone, "phone.png"); err != nil {
		return err
	}
	// The API reference, an operation open.
	if err := chromedp.Do(tab, chromedp.Navigate(url+"/api/docs#/chat/chat-send"),
		wait(`!!document.querySelector("#operations-chat-chat-send.is-open .opblock-body")`), chromedp.Sleep(500*time.Millisecond)); err != nil {
		return err
	}
	return shot(tab, "api-reference.png")
}

// chromium starts Debian's headless Chromium with the flags this machine
// needs (as internal/devtools/browsertest does).
func chromium(dir string) (context.Context, context.CancelFunc, error) {
	path := "/usr/bin/chromium"
	if p, err := exec.LookPath("chromium"); err == nil {
		path = p
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(filepath.Join(dir, "chromium")),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	// Started now, so that every tab is one of this browser's.
	err := chromedp.Do(ctx)
	return ctx, func() { cancel(); cancelAlloc() }, err
}
