// Package webapp serves the first-party web app: the page at / and its
// assets under /assets/, and the API reference at /api/docs (Swagger UI,
// bundled the same way), embedded in the binary (make webapp writes them
// into dist/ first; package bundle builds them with esbuild's Go API).
//
// Assets are named by their content hash, so they are cached for a year as
// immutable (CloudFront caches them too: docs/webapp.md); the page is
// no-cache and revalidates by its ETag, so a deploy reaches a reload at
// once. The page's policy allows only its own script and stylesheet, the
// API on its own origin and previews framed from it: no inline script, no
// CDN.
package webapp

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/httpapi"
)

// ServePage builds the webapp function's handler: the page at /.
func ServePage(*app.Deps) (http.Handler, error) { return http.HandlerFunc(New().Page), nil }

// ServeDocs builds the openapi-docs function's handler: the API reference at
// /api/docs.
func ServeDocs(*app.Deps) (http.Handler, error) { return http.HandlerFunc(New().Docs), nil }

// ServeAssets builds the webapp-assets function's handler: /assets/{name}.
func ServeAssets(*app.Deps) (http.Handler, error) { return http.HandlerFunc(New().Asset), nil }

//go:embed dist
var dist embed.FS

// Policy is the page's Content-Security-Policy: its own script and
// stylesheet only, calls to its own origin (the API), previews framed from
// its own origin (each sandboxed by its own policy), images from itself or
// data: URLs, and nobody may frame the app.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// DocsPolicy is the API reference's Content-Security-Policy: its own script
// and stylesheet, the document and "Try it out" on its own origin, images
// from itself or data: URLs (Swagger UI's icons); no frames, no forms, and
// nobody may frame it.
const DocsPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// file is one embedded file with what its answer needs.
type file struct {
	body, gzipped []byte
	contentType   string
	etag          string
}

// App serves the embedded web app. An asset is read on its first request:
// the functions that serve a page never copy the assets (2.5 MB with the
// API reference's), and the one that serves assets copies only those asked.
type App struct {
	index  *file
	docs   *file
	fsys   fs.FS
	names  map[string]bool // the assets
	loaded sync.Map        // name → *file, once read
}

// New reads the embedded build. Without one (a checkout where `make
// webapp` has not run) the page says how to build it.
func New() *App { return newApp(dist) }

func newApp(fsys fs.FS) *App {
	a := &App{fsys: fsys, names: map[string]bool{}, index: page(fsys, "dist/index.html"), docs: page(fsys, "dist/docs.html")}
	entries, _ := fs.ReadDir(fsys, "dist/assets")
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".gz") {
			a.names[e.Name()] = true
		}
	}
	return a
}

// page is the page in file, or the one saying the app is not built. Its
// ETag is a hash of its bytes.
func page(fsys fs.FS, file string) *file {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		file, b = "", []byte(notBuilt)
	}
	sum := sha256.Sum256(b)
	return newFile(fsys, file, b, `"`+hex.EncodeToString(sum[:16])+`"`)
}

// asset is the asset called name, read on its first request. Its ETag is
// its name, which holds its content's hash.
func (a *App) asset(name string) (*file, bool) {
	if f, ok := a.loaded.Load(name); ok {
		return f.(*file), true
	}
	if !a.names[name] {
		return nil, false
	}
	b, err := fs.ReadFile(a.fsys, "dist/assets/"+name)
	if err != nil {
		return nil, false
	}
	f, _ := a.loaded.LoadOrStore(name, newFile(a.fsys, "dist/assets/"+name, b, `"`+name+`"`))
	return f.(*file), true
}

// newFile is the file called name ("" for none) with body b, and its
// gzipped copy when there is one.
func newFile(fsys fs.FS, name string, b []byte, etag string) *file {
	f := &file{body: b, contentType: contentType(name), etag: etag}
	if name != "" {
		f.gzipped, _ = fs.ReadFile(fsys, name+".gz")
	}
	return f
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".txt":
		return "text/plain; charset=utf-8"
	case "", ".html":
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Web app not built</title></head>
<body><p>The web app is not built into this binary: run <code>make webapp</code> (or <code>make dev</code>), then start the server again.</p></body></html>
`

// Built reports whether the binary carries a built app.
func (a *App) Built() bool { return len(a.names) > 0 }

// Page serves the page at /.
func (a *App) Page(w http.ResponseWriter, r *http.Request) { servePage(w, r, a.index, Policy) }

// Docs serves the API reference at /api/docs.
func (a *App) Docs(w http.ResponseWriter, r *http.Request) { servePage(w, r, a.docs, DocsPolicy) }

// servePage serves a page under policy: no-cache (a reload revalidates by
// its ETag, so a deploy reaches it at once), never framed, no referrer.
func servePage(w http.ResponseWriter, r *http.Request, f *file, policy string) {
	h := w.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("Cache-Control", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	serve(w, r, f)
}

// Asset serves /assets/{name}: an embedded file, cached for a year as
// immutable (its name changes with its content).
func (a *App) Asset(w http.ResponseWriter, r *http.Request) {
	f, ok := a.asset(r.PathValue("name"))
	if !ok {
		httpapi.Error(w, r, agent.NewError(agent.NotFound, "No such asset."))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	serve(w, r, f)
}

// serve answers f, gzipped when the client accepts it, 304 when the client
// has it.
func serve(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", f.etag)
	if f.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = bytes.NewReader(body).WriteTo(w)
}

func acceptsGzip(v string) bool {
	for _, part := range strings.Split(v, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
