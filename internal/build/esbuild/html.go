package esbuild

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
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

func attr(tok html.Token, name string) (string, bool) {
	for _, a := range tok.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
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

func isModule(tok html.Token) bool {
	t, _ := attr(tok, "type")
	return strings.EqualFold(strings.TrimSpace(t), "module")
}

func isStylesheet(tok html.Token) bool {
	rel, _ := attr(tok, "rel")
	return slices.Contains(strings.Fields(strings.ToLower(rel)), "stylesheet")
}

// scan finds the module scripts to bundle and whether the page uses Tailwind.
func (h *htmlPage) scan(doc string) {
	z := html.NewTokenizer(strings.NewReader(doc))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script":
			s, _ := attr(tok, "src")
			if isTailwindCDN(s) {
				h.tailwind = true
			} else if f, ok := h.local(s); ok && isModule(tok) && !slices.Contains(h.entries, f) {
				h.entries = append(h.entries, f)
			}
		case "style":
			if t, _ := attr(tok, "type"); t == "text/tailwindcss" {
				h.tailwind = true
			}
		case "link":
			href, _ := attr(tok, "href")
			if f, ok := h.local(href); ok && isStylesheet(tok) && tailwindDirective.MatchString(h.src.files[f]) {
				h.tailwind = true
			}
		}
	}
}

// renderHTML serves an HTML document as written, with the preview runtime
// first in its head, its local stylesheets and scripts inlined, its module
// scripts bundled, and a Tailwind CDN script replaced by the curated copy.
func (b *Builder) renderHTML(src *source) (*page, error) {
	doc := src.files[src.entry]
	h := &htmlPage{b: b, src: src}
	h.scan(doc)
	p := &page{}
	var chunkJS []inlineScript
	if len(h.entries) > 0 {
		bd, err := b.bundle(src, h.entries, false)
		if err != nil {
			return nil, err
		}
		if chunkJS, err = b.chunkScripts(bd); err != nil {
			return nil, err
		}
		h.bd = bd
		h.tailwind = h.tailwind || bd.tailwind
		p.packages, p.warnings = bd.packages, bd.warnings
	}
	head, err := h.head()
	if err != nil {
		return nil, err
	}

	var out, deferred strings.Builder
	injected, chunksWritten, skipping := false, false, false
	flushDeferred := func() {
		out.WriteString(deferred.String())
		deferred.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(doc))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		raw := string(z.Raw())
		if skipping {
			// The body and end tag of a script replaced by inline code.
			if tt == html.EndTagToken {
				skipping = false
			}
			continue
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !injected && tok.Data != "html" {
				injected = true
				if tok.Data == "head" {
					out.WriteString(raw + head)
					continue
				}
				out.WriteString(head)
			}
			switch tok.Data {
			case "script":
				s, _ := attr(tok, "src")
				f, local := h.local(s)
				switch {
				case isTailwindCDN(s):
					// The head already has the curated Tailwind runtime.
				case local && isModule(tok):
					if !chunksWritten {
						for _, c := range chunkJS {
							out.WriteString("<script>" + c.text + "</script>")
						}
						chunksWritten = true
					}
					out.WriteString(`<script type="module">` + escapeScript(h.bd.js[slices.Index(h.entries, f)]) + "</script>")
				case local:
					inline := "<script>" + escapeScript(src.files[f]) + "</script>"
					_, deferAttr := attr(tok, "defer")
					_, asyncAttr := attr(tok, "async")
					if deferAttr || asyncAttr {
						deferred.WriteString(inline)
					} else {
						out.WriteString(inline)
					}
				default:
					out.WriteString(raw)
					continue
				}
				skipping = tt == html.StartTagToken
			case "link":
				href, _ := attr(tok, "href")
				if f, ok := h.local(href); ok && isStylesheet(tok) {
					out.WriteString(styleElement(src.files[f]))
				} else {
					out.WriteString(raw)
				}
			default:
				out.WriteString(raw)
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "body" || string(name) == "html" {
				flushDeferred()
			}
			out.WriteString(raw)
		default:
			out.WriteString(raw)
		}
	}
	flushDeferred()
	result := out.String()
	if !injected {
		result = head + result
	}
	p.html = []byte(result)
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
