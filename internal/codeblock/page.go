package codeblock

import (
	"html"
	"regexp"
	"strings"

	"github.com/zocket/agent/internal/htmldoc"
)

// page is one HTML page being assembled from an HTML block and the CSS and
// JavaScript blocks that follow it.
type page struct {
	html    textPart
	styles  []textPart
	scripts []textPart
}

// renderPage returns the page's code: the HTML block's code unchanged when
// it stands alone; otherwise a full document with the CSS in a <style>
// element at the end of <head> and the JavaScript in a <script> element at
// the end of <body>. Links and script elements that load local files are
// removed, since their content is now inline. A fragment is wrapped in a
// complete document titled title.
func renderPage(p *page, title string) string {
	if len(p.styles) == 0 && len(p.scripts) == 0 {
		return p.html.block.Code
	}
	css := joinCode(p.styles, styleEnd, `<\/style`)
	js := joinCode(p.scripts, scriptEnd, `<\/script`)
	doc := p.html.block.Code
	if !htmldoc.IsDocument(doc) {
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n")
		b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n")
		b.WriteString("<title>" + html.EscapeString(title) + "</title>\n")
		if css != "" {
			b.WriteString("<style>\n" + css + "\n</style>\n")
		}
		b.WriteString("</head>\n<body>\n" + strings.TrimRight(doc, "\n") + "\n")
		if js != "" {
			b.WriteString("<script>\n" + js + "\n</script>\n")
		}
		b.WriteString("</body>\n</html>")
		return b.String()
	}
	var changes htmldoc.Changes
	if css != "" {
		changes.HeadEnd = "<style>\n" + css + "\n</style>\n"
	}
	if js != "" {
		changes.BodyEnd = "<script>\n" + js + "\n</script>\n"
	}
	changes.Element = func(e htmldoc.Element) htmldoc.Edit {
		if inlined(e, css != "", js != "") {
			return htmldoc.Edit{Action: htmldoc.Remove}
		}
		return htmldoc.Edit{}
	}
	return htmldoc.Rewrite(doc, changes)
}

// inlined reports whether an element loads a local file whose content the
// page now holds inline: a stylesheet link when it has CSS, a script
// element without content of its own when it has JavaScript.
func inlined(e htmldoc.Element, css, js bool) bool {
	switch {
	case e.Name == "link" && css:
		rel, _ := e.Attr("rel")
		href, _ := e.Attr("href")
		return strings.Contains(asciiLower(rel), "stylesheet") && isLocalFile(href, ".css")
	case e.Name == "script" && js:
		src, _ := e.Attr("src")
		return strings.Trim(e.Text, " \t") == "" && isLocalFile(src, ".js")
	}
	return false
}

// The starts of the end tags that would close the <style> or <script>
// element holding a page's CSS or JavaScript.
var (
	styleEnd  = regexp.MustCompile(`(?i)</style`)
	scriptEnd = regexp.MustCompile(`(?i)</script`)
)

// joinCode joins the code of parts with a blank line between them,
// replacing each end tag that would close the element they are put in.
func joinCode(parts []textPart, end *regexp.Regexp, escaped string) string {
	codes := make([]string, 0, len(parts))
	for _, p := range parts {
		codes = append(codes, end.ReplaceAllLiteralString(strings.Trim(p.block.Code, "\n"), escaped))
	}
	return strings.Join(codes, "\n\n")
}

// isLocalFile reports whether a URL names a file of the page's own project
// (no scheme, not protocol-relative) ending in ext.
func isLocalFile(url, ext string) bool {
	u, _, _ := strings.Cut(url, "?")
	return strings.HasSuffix(asciiLower(u), ext) && !strings.Contains(u, "://") && !strings.HasPrefix(u, "//") && !hasPrefixFold(u, "data:")
}

// renderStyles returns the code of a group of CSS blocks: one block's code
// unchanged, or the blocks joined by blank lines with their @charset and
// @import rules, which must come first, moved to the top once each.
func renderStyles(parts []textPart) string {
	if len(parts) == 1 {
		return parts[0].block.Code
	}
	var head, bodies []string
	seen := map[string]bool{}
	for _, p := range parts {
		var body []string
		for _, line := range strings.Split(p.block.Code, "\n") {
			t := strings.TrimSpace(line)
			if (strings.HasPrefix(line, "@import ") || strings.HasPrefix(line, "@charset ")) && strings.HasSuffix(t, ";") {
				if !seen[t] {
					seen[t] = true
					head = append(head, t)
				}
				continue
			}
			body = append(body, line)
		}
		if t := trimBlank(body); len(t) > 0 {
			bodies = append(bodies, strings.Join(t, "\n"))
		}
	}
	if len(head) > 0 {
		bodies = append([]string{strings.Join(head, "\n")}, bodies...)
	}
	return strings.Join(bodies, "\n\n")
}
