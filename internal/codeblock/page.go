package codeblock

import (
	"html"
	"strings"
)

// page is one HTML page being assembled from an HTML block and the CSS and
// JavaScript blocks that follow it.
type page struct {
	html    Block
	styles  []Block
	scripts []Block
}

// renderPage returns the page's code: the HTML block's code unchanged when
// it stands alone; otherwise a full document with the CSS in a <style>
// element at the end of <head> and the JavaScript in a <script> element at
// the end of <body>. Links and script elements that load local files are
// removed, since their content is now inline. A fragment is wrapped in a
// complete document titled title.
func renderPage(p *page, title string) string {
	if len(p.styles) == 0 && len(p.scripts) == 0 {
		return p.html.Code
	}
	css := joinCode(p.styles, "</style", `<\/style`)
	js := joinCode(p.scripts, "</script", `<\/script`)
	doc := p.html.Code
	if !isDocument(doc) {
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
	if css != "" {
		doc = removeTags(doc, "link", "href", ".css")
		doc = insertHead(doc, "<style>\n"+css+"\n</style>\n")
	}
	if js != "" {
		doc = removeTags(doc, "script", "src", ".js")
		doc = insertBody(doc, "<script>\n"+js+"\n</script>\n")
	}
	return doc
}

// joinCode joins the code of blocks with a blank line between them,
// escaping a closing tag that would end the element they are put in.
func joinCode(blocks []Block, end, escaped string) string {
	codes := make([]string, 0, len(blocks))
	for _, b := range blocks {
		codes = append(codes, replaceFold(strings.Trim(b.Code, "\n"), end, escaped))
	}
	return strings.Join(codes, "\n\n")
}

// replaceFold replaces every ASCII case-insensitive occurrence of old.
func replaceFold(s, old, repl string) string {
	lower := asciiLower(s)
	old = asciiLower(old)
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(lower[i:], old)
		if j < 0 {
			break
		}
		j += i
		b.WriteString(s[last:j])
		b.WriteString(repl)
		last = j + len(old)
		i = last
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isDocument reports whether HTML is a whole document rather than a
// fragment: it has a doctype or an html, head or body element.
func isDocument(doc string) bool {
	lower := asciiLower(doc)
	if strings.Contains(lower, "<!doctype") {
		return true
	}
	for _, tag := range [...]string{"<html", "<head", "<body"} {
		if tagAt(lower, tag) >= 0 {
			return true
		}
	}
	return false
}

// tagAt returns the offset of the first tag named by open ("<head") in the
// lower-cased document, not mistaking <header> for <head>, or -1.
func tagAt(lower, open string) int {
	for i := 0; ; {
		j := strings.Index(lower[i:], open)
		if j < 0 {
			return -1
		}
		j += i
		i = j + len(open)
		if i == len(lower) || strings.IndexByte(" \t\r\n/>", lower[i]) >= 0 {
			return j
		}
	}
}

// insertHead inserts s before </head>, else before <body>, else after the
// <html> start tag, else at the start.
func insertHead(doc, s string) string {
	lower := asciiLower(doc)
	if i := strings.Index(lower, "</head>"); i >= 0 {
		return doc[:i] + s + doc[i:]
	}
	if i := tagAt(lower, "<body"); i >= 0 {
		return doc[:i] + s + doc[i:]
	}
	if i := tagAt(lower, "<html"); i >= 0 {
		if j := strings.IndexByte(doc[i:], '>'); j >= 0 {
			return doc[:i+j+1] + "\n" + s + doc[i+j+1:]
		}
	}
	return s + doc
}

// insertBody inserts s before the last </body>, else before the last
// </html>, else at the end.
func insertBody(doc, s string) string {
	lower := asciiLower(doc)
	for _, end := range [...]string{"</body>", "</html>"} {
		if i := strings.LastIndex(lower, end); i >= 0 {
			return doc[:i] + s + doc[i:]
		}
	}
	return strings.TrimRight(doc, "\n") + "\n" + s
}

// removeTags removes the elements named tag whose attribute attr refers to
// a local file ending in ext (link href="style.css", script src="app.js"),
// with the line they stand on when nothing else is on it. A script element
// is removed with its end tag, and only when it has no inline content.
func removeTags(doc, tag, attr, ext string) string {
	var b strings.Builder
	lower := asciiLower(doc)
	last := 0
	for i := 0; ; {
		j := tagAt(lower[i:], "<"+tag)
		if j < 0 {
			break
		}
		j += i
		k := strings.IndexByte(doc[j:], '>')
		if k < 0 {
			break
		}
		end := j + k + 1
		i = end
		if v := attrValue(doc[j:end], attr); !isLocalFile(v, ext) || (tag == "link" && !strings.Contains(asciiLower(attrValue(doc[j:end], "rel")), "stylesheet")) {
			continue
		}
		if tag == "script" {
			rest := lower[end:]
			if !strings.HasPrefix(strings.TrimLeft(rest, " \t"), "</script>") {
				continue
			}
			end += strings.Index(rest, "</script>") + len("</script>")
			i = end
		}
		start := j
		lineStart := strings.LastIndexByte(doc[:j], '\n') + 1
		lineEnd := len(doc)
		if n := strings.IndexByte(doc[end:], '\n'); n >= 0 {
			lineEnd = end + n + 1
		}
		if strings.TrimSpace(doc[lineStart:j]) == "" && strings.TrimSpace(doc[end:lineEnd]) == "" {
			start, end = lineStart, lineEnd
			i = end
		}
		b.WriteString(doc[last:start])
		last = end
	}
	if last == 0 {
		return doc
	}
	b.WriteString(doc[last:])
	return b.String()
}

// attrValue returns the value of an attribute in a start tag, or "".
func attrValue(tag, name string) string {
	lower := asciiLower(tag)
	for i := 0; ; {
		j := strings.Index(lower[i:], name)
		if j < 0 {
			return ""
		}
		j += i
		i = j + len(name)
		if j == 0 || strings.IndexByte(" \t\r\n", lower[j-1]) < 0 {
			continue
		}
		rest := strings.TrimLeft(tag[i:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			v, _, _ := strings.Cut(rest[1:], string(q))
			return v
		}
		end := strings.IndexAny(rest, " \t\r\n>")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end]
	}
}

// isLocalFile reports whether a URL names a file of the page's own project
// (no scheme, not protocol-relative) ending in ext.
func isLocalFile(url, ext string) bool {
	u, _, _ := strings.Cut(url, "?")
	return strings.HasSuffix(asciiLower(u), ext) && !strings.Contains(u, "://") && !strings.HasPrefix(u, "//") && !strings.HasPrefix(asciiLower(u), "data:")
}

// htmlTitle returns the text of an HTML document's <title>, else of its
// first <h1>, or "".
func htmlTitle(doc string) string {
	lower := asciiLower(doc)
	for _, tag := range [...]string{"title", "h1"} {
		i := tagAt(lower, "<"+tag)
		if i < 0 {
			continue
		}
		k := strings.IndexByte(doc[i:], '>')
		if k < 0 {
			continue
		}
		start := i + k + 1
		end := strings.Index(lower[start:], "</"+tag)
		if end < 0 {
			continue
		}
		if t := cleanTitle(html.UnescapeString(stripTags(doc[start : start+end]))); t != "" {
			return t
		}
	}
	return ""
}

// stripTags removes the tags from an HTML fragment, keeping its text.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cssPart is one CSS block of a stylesheet group.
type cssPart struct {
	block Block
	lines []string
}

// renderStyles returns the code of a group of CSS blocks: one block's code
// unchanged, or the blocks joined by blank lines with their @charset and
// @import rules, which must come first, moved to the top once each.
func renderStyles(parts []cssPart) string {
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
