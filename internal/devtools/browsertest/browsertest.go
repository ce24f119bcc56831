// Package browsertest runs one headless Chromium (Debian's) per test binary
// and gives tests tabs in it, with small helpers to wait for and read the
// page. Without Chromium a test fails under CI=true and is skipped elsewhere.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is the process's Chromium; it lives as long as the test binary.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

// ChromiumPath finds Debian's Chromium (apt-get install -y chromium).
func ChromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("Chromium is not installed: run `apt-get install -y chromium`")
	}
	tb.Skip("Chromium is not installed: run `apt-get install -y chromium`")
	return ""
}

// NewTab opens a tab in the shared headless Chromium, closed with the test.
// The browser runs with the flags this machine needs: no sandbox (root), no
// GPU, and nothing that reaches the network by itself.
func NewTab(t *testing.T) context.Context {
	t.Helper()
	path := ChromiumPath(t)
	browser.once.Do(func() {
		browser.dir, browser.err = os.MkdirTemp("", "chromium-")
		if browser.err != nil {
			return
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(browser.dir),
		)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.ctx, browser.cancel = ctx, func() { cancel(); cancelAlloc() }
		browser.err = chromedp.Do(ctx)
	})
	if browser.err != nil {
		t.Fatalf("start Chromium: %v", browser.err)
	}
	tab, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(tab, 45*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// WaitFor polls a JavaScript expression until it is truthy; failing, it
// reports what the page shows as errors.
func WaitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v\npage errors: %s", expr, err, PageErrors(ctx))
	}
}

// Eval returns the value of a JavaScript expression.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// PageErrors returns what a preview shows as errors.
func PageErrors(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#__preview-errors, [data-preview-error]")].map((e) => e.textContent).join("\n")`))
	return s
}

// Close stops the shared Chromium, if one started; call it from TestMain
// after m.Run.
func Close() {
	if browser.cancel != nil {
		browser.cancel()
		os.RemoveAll(browser.dir)
	}
}
