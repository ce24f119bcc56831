package esbuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/zocket/agent/internal/build"
)

// page is a rendered preview before it is stored.
type page struct {
	html         []byte
	scriptHashes []string
	packages     []string
	warnings     []build.Message
}

// cspHash returns the CSP source that allows an inline script.
func cspHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var (
	scriptClose = regexp.MustCompile(`(?i)</(script)`)
	styleClose  = regexp.MustCompile(`(?i)</(style)`)
)

// escapeScript keeps script text from closing its <script> element or
// opening an HTML comment. Both occur only in strings, templates, regular
// expressions and comments, where \x3C means the same "<".
func escapeScript(js string) string {
	js = scriptClose.ReplaceAllString(js, `\x3C/$1`)
	return strings.ReplaceAll(js, "<!--", `\x3C!--`)
}

// escapeStyle keeps CSS from closing its <style> element.
func escapeStyle(css string) string { return styleClose.ReplaceAllString(css, `<\/$1`) }

func (b *Builder) render(src *source) (*page, error) {
	switch src.mode {
	case modeScript:
		return b.renderScript(src)
	case modeHTML:
		return b.renderHTML(src)
	default:
		return b.renderCSS(src)
	}
}

// document writes a generated page: head styles and scripts, then the body
// markup and scripts, under a meta CSP that allows exactly those scripts.
type document struct {
	title       string
	styles      []string // CSS for <style> elements
	tailwind    bool     // add the Tailwind compiler
	tailwindCSS string   // CSS for the Tailwind compiler
	body        string   // markup
	scripts     []inlineScript
	module      *inlineScript // the artifact, a module script run last
}

func (b *Builder) writeDocument(d document) (*page, error) {
	head := []inlineScript{b.runtime}
	if d.tailwind {
		tw, err := b.vendor.tailwindRuntime()
		if err != nil {
			return nil, err
		}
		head = append(head, tw)
	}
	var hashes []string
	for _, s := range slices.Concat(head, d.scripts) {
		hashes = append(hashes, s.hash)
	}
	if d.module != nil {
		hashes = append(hashes, d.module.hash)
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)

	var w bytes.Buffer
	w.Grow(4096 + len(d.body) + scriptsLen(head) + scriptsLen(d.scripts))
	w.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&w, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", build.PagePolicy(hashes))
	w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&w, "<title>%s</title>\n", html.EscapeString(orDefault(d.title, "Preview")))
	w.WriteString("<style>" + pageCSS + "</style>\n")
	for _, s := range head {
		w.WriteString("<script>" + s.text + "</script>\n")
	}
	if d.tailwindCSS != "" {
		w.WriteString("<style type=\"text/tailwindcss\">" + escapeStyle(d.tailwindCSS) + "</style>\n")
	}
	for _, css := range d.styles {
		if strings.TrimSpace(css) != "" {
			w.WriteString("<style>" + escapeStyle(css) + "</style>\n")
		}
	}
	w.WriteString("</head>\n<body>\n" + d.body + "\n")
	for _, s := range d.scripts {
		w.WriteString("<script>" + s.text + "</script>\n")
	}
	if d.module != nil {
		w.WriteString("<script type=\"module\">" + d.module.text + "</script>\n")
	}
	w.WriteString("</body>\n</html>\n")
	return &page{html: w.Bytes(), scriptHashes: hashes}, nil
}

func scriptsLen(ss []inlineScript) int {
	n := 0
	for _, s := range ss {
		n += len(s.text)
	}
	return n
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// chunkScripts returns the vendor chunks a bundle needs, in load order,
// building the missing ones in parallel.
func (b *Builder) chunkScripts(bd *bundled) ([]inlineScript, error) {
	return b.vendor.chunks(bd.chunks, b.countESBuild)
}

// renderScript bundles a JavaScript or TypeScript entry into a page that
// mounts its React component, if it has one.
func (b *Builder) renderScript(src *source) (*page, error) {
	bd, err := b.bundle(src, []string{src.entry}, true)
	if err != nil {
		return nil, err
	}
	chunkJS, err := b.chunkScripts(bd)
	if err != nil {
		return nil, err
	}
	module := newInlineScript(bd.js[0])
	p, err := b.writeDocument(document{
		title:       src.title,
		styles:      []string{bd.css},
		tailwind:    bd.tailwind || usesTailwind(slices.Collect(maps.Values(src.files))...),
		tailwindCSS: bd.tailwindCSS,
		body:        `<div id="root"></div>`,
		scripts:     chunkJS,
		module:      &module,
	})
	if err != nil {
		return nil, err
	}
	p.packages, p.warnings = bd.packages, bd.warnings
	return p, nil
}

// cssClass finds the class names a stylesheet's selectors use.
var cssClass = regexp.MustCompile(`\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)`)

// renderCSS shows a stylesheet applied to sample elements: common markup and
// one element for each class its selectors name.
func (b *Builder) renderCSS(src *source) (*page, error) {
	code := src.files[src.entry]
	b.countESBuild()
	res := api.Transform(code, api.TransformOptions{Loader: api.LoaderCSS, Sourcefile: src.entry, LogLevel: api.LogLevelSilent})
	if len(res.Errors) > 0 {
		return nil, build.Failed(messages(res.Errors))
	}
	var body strings.Builder
	body.WriteString(cssSamples)
	var classes []string
	for _, m := range cssClass.FindAllStringSubmatch(selectorsOf(code), -1) {
		if !slices.Contains(classes, m[1]) && len(classes) < 60 {
			classes = append(classes, m[1])
		}
	}
	if len(classes) > 0 {
		body.WriteString("\n<section class=\"preview-classes\">\n")
		for _, c := range classes {
			fmt.Fprintf(&body, "<div class=\"%s\">.%s</div>\n", html.EscapeString(c), html.EscapeString(c))
		}
		body.WriteString("</section>")
	}
	p, err := b.writeDocument(document{
		title:    src.title,
		styles:   []string{code},
		tailwind: tailwindDirective.MatchString(code),
		body:     body.String(),
	})
	if err != nil {
		return nil, err
	}
	p.warnings = messages(res.Warnings)
	return p, nil
}

var (
	cssComment = regexp.MustCompile(`/\*[\s\S]*?\*/`)
	cssPrelude = regexp.MustCompile(`([^{};]*)\{`)
)

// selectorsOf returns the selectors (and at-rule preludes) of a stylesheet:
// the text before each block, so that ".5em" in a value is no class.
func selectorsOf(css string) string {
	var out strings.Builder
	for _, m := range cssPrelude.FindAllStringSubmatch(cssComment.ReplaceAllString(css, ""), -1) {
		out.WriteString(m[1])
		out.WriteByte('\n')
	}
	return out.String()
}

// cssSamples is the markup a stylesheet preview styles.
const cssSamples = `<main class="preview-samples">
<h1>Heading one</h1>
<h2>Heading two</h2>
<h3>Heading three</h3>
<p>A paragraph with <a href="#">a link</a>, <strong>strong</strong> and <em>emphasised</em> text, and <code>inline code</code>.</p>
<blockquote>A quotation.</blockquote>
<ul><li>First item</li><li>Second item</li></ul>
<ol><li>One</li><li>Two</li></ol>
<p><label>Text <input type="text" placeholder="Type here"></label>
<label><input type="checkbox" checked> Checkbox</label>
<select><option>Option</option></select></p>
<p><textarea rows="2">Text area</textarea></p>
<p><button type="button">Button</button> <button type="button" disabled>Disabled</button></p>
<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody><tr><td>Alpha</td><td>1</td></tr><tr><td>Beta</td><td>2</td></tr></tbody></table>
<hr>
<div class="card"><h3>Card</h3><p>Content in a card.</p></div>
</main>`
