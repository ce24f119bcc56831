// Package bundle builds the web app (webapp/src) into the files package
// webapp serves: esbuild's Go API bundles the TypeScript sources, with
// React from the curated preview packages (web/node_modules) and the app's
// own few dependencies (webapp/node_modules), into one minified script and
// one stylesheet named by their content hash, each with a gzipped copy,
// and an index.html that loads them. No npm bundler runs.
package bundle

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Options say where the sources and packages are and where the files go.
type Options struct {
	Root string // the repository: webapp/src, webapp/node_modules and web/node_modules under it
	Out  string // the directory the files are written to (the last build's removed first)
}

// File is one file written.
type File struct {
	Name        string // relative to Out: index.html, assets/app-<hash>.js, ...
	Size        int
	GzippedSize int // 0 when no gzipped copy is kept
}

// Build bundles the app and writes it to opts.Out; it answers the files it
// wrote. esbuild's errors come back with file, line and column.
func Build(opts Options) ([]File, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return nil, err
	}
	opts.Root, opts.Out = root, out
	src := filepath.Join(opts.Root, "webapp", "src")
	res := api.Build(api.BuildOptions{
		EntryPointsAdvanced: []api.EntryPoint{
			{InputPath: filepath.Join(src, "main.tsx"), OutputPath: "app"},
			{InputPath: filepath.Join(src, "docs.ts"), OutputPath: "docs"},
		},
		Bundle:            true,
		Write:             false,
		Outdir:            filepath.Join(opts.Out, "assets"),
		EntryNames:        "[name]-[hash]",
		AssetNames:        "[name]-[hash]",
		Format:            api.FormatIIFE,
		Target:            api.ES2022,
		Platform:          api.PlatformBrowser,
		JSX:               api.JSXAutomatic,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsLinked,
		Define:            map[string]string{"process.env.NODE_ENV": `"production"`},
		NodePaths: []string{
			filepath.Join(opts.Root, "webapp", "node_modules"),
			filepath.Join(opts.Root, "web", "node_modules"),
		},
		AbsWorkingDir: opts.Root,
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		var b strings.Builder
		for _, m := range res.Errors {
			if m.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			b.WriteString(m.Text + "\n")
		}
		return nil, errors.New("bundle the web app:\n" + b.String())
	}
	// The last build goes; the directory's committed note stays (go:embed
	// needs a file there before any build).
	for _, old := range []string{"assets", "index.html", "index.html.gz", "docs.html", "docs.html.gz"} {
		if err := os.RemoveAll(filepath.Join(opts.Out, old)); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(opts.Out, "assets"), 0o755); err != nil {
		return nil, err
	}
	var files []File
	scripts, styles := map[string]string{}, map[string]string{} // by entry: app, docs
	for _, f := range res.OutputFiles {
		rel, err := filepath.Rel(opts.Out, f.Path)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		entry, _, _ := strings.Cut(path.Base(rel), "-")
		switch {
		case strings.HasSuffix(rel, ".js"):
			scripts[entry] = "/" + rel
		case strings.HasSuffix(rel, ".css"):
			styles[entry] = "/" + rel
		}
		contents := f.Contents
		if strings.HasSuffix(rel, ".js.LEGAL.txt") {
			if contents, err = withLicenses(opts.Root, contents, bundledLicenses[entry]); err != nil {
				return nil, err
			}
		}
		file, err := write(opts.Out, rel, contents)
		if err != nil {
			return nil, err
		}
		files = append(files, file)
	}
	for _, p := range pages {
		script, style := scripts[p.entry], styles[p.entry]
		if script == "" || style == "" {
			return nil, fmt.Errorf("bundle the web app: esbuild wrote no script or no stylesheet for %s", p.entry)
		}
		page, err := write(opts.Out, p.name, p.render(script, style))
		if err != nil {
			return nil, err
		}
		files = append(files, page)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// bundledLicenses are, by entry, the license files of a package bundled
// prebuilt, whose own legal comment only points at them: they are added to
// the entry's LEGAL.txt, which is served beside its script.
var bundledLicenses = map[string][]string{
	"docs": {"swagger-ui-dist/LICENSE", "swagger-ui-dist/NOTICE", "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt"},
}

// withLicenses is legal with the license files added.
func withLicenses(root string, legal []byte, licenses []string) ([]byte, error) {
	out := bytes.Clone(legal)
	for _, name := range licenses {
		b, err := os.ReadFile(filepath.Join(root, "webapp", "node_modules", filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("bundle the web app: %w", err)
		}
		out = fmt.Appendf(out, "\n%s:\n\n%s", name, b)
	}
	return out, nil
}

// pages are the HTML pages written beside the assets, each loading its
// entry's script and stylesheet.
var pages = []struct {
	name, entry string
	render      func(script, style string) []byte
}{
	{"index.html", "app", Index},
	{"docs.html", "docs", Docs},
}

// Index is the page at /: the shell (painted before the script runs), the
// stylesheet and the script, nothing inline, so that its policy can forbid
// inline script and style.
func Index(script, style string) []byte {
	return shell("Zocket: chat, code, preview", script, style, `<div id="root"><div class="shell-loading"><span class="brand">Zocket</span></div></div>
<noscript>This app needs JavaScript. The API itself is documented in the repository's README.</noscript>`)
}

// Docs is the API reference at /api/docs: Swagger UI (its script and
// stylesheet, nothing inline) rendering /api/openapi.json.
func Docs(script, style string) []byte {
	return shell("Zocket API reference", script, style, `<nav class="docs-bar" aria-label="Site"><strong>Zocket API</strong><a href="/">The web app</a><a href="/api/openapi.json">openapi.json</a></nav>
<main id="docs"></main>
<noscript>This reference needs JavaScript; the document itself is at /api/openapi.json.</noscript>`)
}

// shell is a page loading one stylesheet and one deferred script, with
// body (trusted markup) as its content.
func shell(title, script, style, body string) []byte {
	return []byte(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>` + html.EscapeString(title) + `</title>
<link rel="stylesheet" href="` + html.EscapeString(style) + `">
<script defer src="` + html.EscapeString(script) + `"></script>
</head>
<body>
` + body + `
</body>
</html>
`)
}

// write writes a file and, for text a browser downloads, its gzipped copy
// beside it (name.gz), which the handler sends to clients that accept it.
func write(dir, rel string, b []byte) (File, error) {
	f := File{Name: rel, Size: len(b)}
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return f, err
	}
	if !strings.HasSuffix(rel, ".js") && !strings.HasSuffix(rel, ".css") && !strings.HasSuffix(rel, ".html") {
		return f, nil
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b)
	if err := w.Close(); err != nil {
		return f, err
	}
	f.GzippedSize = gz.Len()
	return f, os.WriteFile(path+".gz", gz.Bytes(), 0o644)
}

// Hash is the hex SHA-256 of b, for ETags.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
