package esbuild

import (
	"slices"
	"strings"

	"github.com/zocket/agent/internal/htmldoc"
)

// isTailwindCDN reports whether a script URL loads Tailwind's browser build
// from a CDN (the Play CDN or @tailwindcss/browser); the page gets the
// curated copy instead, since previews have no network.
func isTailwindCDN(src string) bool {
	return strings.Contains(src, "cdn.tailwindcss.com") || strings.Contains(src, "@tailwindcss/browser")
}

// htmlRef turns an HTML src or href into a project reference; ok is false for
// a URL.
func htmlRef(ref string) (string, bool) {
	switch {
	case ref == "" || strings.Contains(ref, ":") || strings.HasPrefix(ref, "//"):
		return "", false
	case strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "/"):
		return ref, true
	default:
		return "./" + ref, true
	}
}

// htmlPage is the rewriting of an HTML document into a preview.
type htmlPage struct {
	b        *Builder
	src      *source
	entries  []string // module scripts, bundled
	tailwind bool
	bd       *bundled
}

// local resolves an element's src or href to a project file.
func (h *htmlPage) local(ref string) (string, bool) {
	r, ok := htmlRef(ref)
	if !ok {
		return "", false
	}
	return h.src.resolveRef(h.src.entry, r)
}

func isModule(el htmldoc.Element) bool {
	t, _ := el.Attr("type")
	return strings.EqualFold(strings.TrimSpace(t), "module")
}

func isStylesheet(el htmldoc.Element) bool {
	rel, _ := el.Attr("rel")
	return slices.Contains(strings.Fields(strings.ToLower(rel)), "stylesheet")
}

// scan finds the module scripts to bundle and whether the page uses Tailwind.
func (h *htmlPage) scan(doc string) {
	for _, el := range htmldoc.Elements(doc) {
		switch el.Name {
		case "script":
			s, _ := el.Attr("src")
			if isTailwindCDN(s) {
				h.tailwind = true
			} else if f, ok := h.local(s); ok && isModule(el) && !slices.Contains(h.entries, f) {
				h.entries = append(h.entries, f)
			}
		case "style":
			if t, _ := el.Attr("type"); t == "text/tailwindcss" {
				h.tailwind = true
			}
		case "link":
			href, _ := el.Attr("href")
			if f, ok := h.local(href); ok && isStylesheet(el) && tailwindDirective.MatchString(h.src.files[f]) {
				h.tailwind = true
			}
		}
	}
}

// renderHTML serves an HTML document as written, with the preview runtime
// first in its head, its local stylesheets and scripts inlined (deferred
// and async ones at the end of the body), its module scripts bundled, and a
// Tailwind CDN script replaced by the curated copy.
func (b *Builder) renderHTML(src *source) (*page, error) {
	doc := src.files[src.entry]
	h := &htmlPage{b: b, src: src}
	h.scan(doc)
	p := &page{}
	var chunks strings.Builder // the vendor chunks, before the first module
	if len(h.entries) > 0 {
		bd, err := b.bundle(src, h.entries, false)
		if err != nil {
			return nil, err
		}
		chunkJS, err := b.chunkScripts(bd)
		if err != nil {
			return nil, err
		}
		for _, c := range chunkJS {
			chunks.WriteString("<script>" + c.text + "</script>")
		}
		h.bd = bd
		h.tailwind = h.tailwind || bd.tailwind
		p.packages, p.warnings = bd.packages, bd.warnings
	}
	head, err := h.head()
	if err != nil {
		return nil, err
	}
	p.html = []byte(htmldoc.Rewrite(doc, htmldoc.Changes{HeadStart: head, Element: func(el htmldoc.Element) htmldoc.Edit {
		switch el.Name {
		case "script":
			s, _ := el.Attr("src")
			f, local := h.local(s)
			_, deferred := el.Attr("defer")
			_, async := el.Attr("async")
			switch {
			case isTailwindCDN(s):
				// The head already has the curated Tailwind runtime.
				return htmldoc.Edit{Action: htmldoc.Replace}
			case local && isModule(el):
				text := chunks.String() + `<script type="module">` + escapeScript(h.bd.js[slices.Index(h.entries, f)]) + "</script>"
				chunks.Reset()
				return htmldoc.Edit{Action: htmldoc.Replace, Text: text}
			case local && (deferred || async):
				return htmldoc.Edit{Action: htmldoc.Defer, Text: "<script>" + escapeScript(src.files[f]) + "</script>"}
			case local:
				return htmldoc.Edit{Action: htmldoc.Replace, Text: "<script>" + escapeScript(src.files[f]) + "</script>"}
			}
		case "link":
			href, _ := el.Attr("href")
			if f, ok := h.local(href); ok && isStylesheet(el) {
				return htmldoc.Edit{Action: htmldoc.Replace, Text: styleElement(src.files[f])}
			}
		}
		return htmldoc.Edit{}
	}}))
	return p, nil
}

// head is what the preview adds at the top of an HTML document.
func (h *htmlPage) head() (string, error) {
	var s strings.Builder
	s.WriteString("<style>" + pageCSS + "</style><script>" + h.b.runtime.text + "</script>")
	if h.tailwind {
		tw, err := h.b.vendor.tailwindRuntime()
		if err != nil {
			return "", err
		}
		s.WriteString("<script>" + tw.text + "</script>")
	}
	if h.bd != nil {
		if h.bd.tailwindCSS != "" {
			s.WriteString(`<style type="text/tailwindcss">` + escapeStyle(h.bd.tailwindCSS) + "</style>")
		}
		if strings.TrimSpace(h.bd.css) != "" {
			s.WriteString("<style>" + escapeStyle(h.bd.css) + "</style>")
		}
	}
	return s.String(), nil
}

// styleElement inlines a project stylesheet, for the Tailwind compiler when
// it uses Tailwind's at-rules.
func styleElement(css string) string {
	if tailwindDirective.MatchString(css) {
		return `<style type="text/tailwindcss">@import "tailwindcss";` + "\n" + escapeStyle(tailwindImport.ReplaceAllString(css, "")) + "</style>"
	}
	return "<style>" + escapeStyle(css) + "</style>"
}
