package webapp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestServe(t *testing.T) {
	app := newApp(fstest.MapFS{
		"dist/index.html":              {Data: []byte("<!doctype html><title>page</title>")},
		"dist/index.html.gz":           {Data: []byte("gzipped page")},
		"dist/docs.html":               {Data: []byte("<!doctype html><title>reference</title>")},
		"dist/assets/app-ABC123.js":    {Data: []byte("console.log(1)")},
		"dist/assets/app-ABC123.js.gz": {Data: []byte("gzipped script")},
		"dist/assets/app-DEF456.css":   {Data: []byte("body{}")},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", app.Page)
	mux.HandleFunc("GET /assets/{name}", app.Asset)
	mux.HandleFunc("GET /api/docs", app.Docs)

	get := func(path string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}

	page := get("/")
	if page.Code != 200 || page.Body.String() != "<!doctype html><title>page</title>" {
		t.Fatalf("page: %d %q", page.Code, page.Body)
	}
	for k, want := range map[string]string{
		"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8",
		"Content-Security-Policy": Policy, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
	} {
		if got := page.Header().Get(k); got != want {
			t.Errorf("page %s = %q, want %q", k, got, want)
		}
	}
	for _, directive := range []string{"script-src 'self';", "style-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(Policy, directive) {
			t.Errorf("policy lacks %s", directive)
		}
	}
	if strings.Contains(Policy, "unsafe-inline") || strings.Contains(Policy, "http") {
		t.Errorf("policy allows inline code or another origin: %s", Policy)
	}
	docs := get("/api/docs")
	if docs.Code != 200 || docs.Body.String() != "<!doctype html><title>reference</title>" ||
		docs.Header().Get("Content-Security-Policy") != DocsPolicy || docs.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("reference: %d %q %v", docs.Code, docs.Body, docs.Header())
	}
	if strings.Contains(DocsPolicy, "unsafe-") || strings.Contains(DocsPolicy, "http") || !strings.Contains(DocsPolicy, "connect-src 'self';") {
		t.Errorf("the reference's policy allows inline code, eval or another origin: %s", DocsPolicy)
	}
	if got := get("/", "If-None-Match", page.Header().Get("ETag")); got.Code != http.StatusNotModified {
		t.Errorf("page revalidated: %d, want 304", got.Code)
	}

	js := get("/assets/app-ABC123.js", "Accept-Encoding", "br, gzip")
	if js.Code != 200 || js.Body.String() != "gzipped script" || js.Header().Get("Content-Encoding") != "gzip" ||
		js.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(js.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("script: %d %q %v", js.Code, js.Body, js.Header())
	}
	if etag := js.Header().Get("ETag"); etag != `"app-ABC123.js"` {
		t.Errorf("script's ETag %s, want its name (which holds its content's hash)", etag)
	} else if got := get("/assets/app-ABC123.js", "If-None-Match", etag); got.Code != http.StatusNotModified {
		t.Errorf("script revalidated: %d, want 304", got.Code)
	}
	if plain := get("/assets/app-ABC123.js", "Accept-Encoding", "gzip;q=0"); plain.Body.String() != "console.log(1)" || plain.Header().Get("Content-Encoding") != "" {
		t.Errorf("script without gzip: %q %v", plain.Body, plain.Header())
	}
	if css := get("/assets/app-DEF456.css", "Accept-Encoding", "gzip"); css.Body.String() != "body{}" || !strings.HasPrefix(css.Header().Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet without a gzipped copy: %q %v", css.Body, css.Header())
	}
	for _, path := range []string{"/assets/app-NOPE.js", "/assets/app-ABC123.js.gz", "/assets/index.html"} {
		if got := get(path); got.Code != http.StatusNotFound || !strings.Contains(got.Body.String(), `"code":"not_found"`) {
			t.Errorf("%s: %d %s", path, got.Code, got.Body)
		}
	}
	if got := get("/index.html"); got.Code != http.StatusNotFound {
		t.Errorf("/index.html: %d", got.Code)
	}
}

func TestNotBuilt(t *testing.T) {
	app := newApp(fstest.MapFS{"dist/placeholder.txt": {Data: []byte("not built")}})
	if app.Built() {
		t.Error("an empty build reports itself built")
	}
	w := httptest.NewRecorder()
	app.Page(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "make webapp") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}
