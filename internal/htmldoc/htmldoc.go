// Package htmldoc reads and edits HTML documents with golang.org/x/net/html's
// tokenizer, keeping every byte it does not change as it was written.
package htmldoc

import (
	"bytes"
	"iter"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// Element is an element of a document, as its start tag gives it.
type Element struct {
	// Name is the tag name in lower case.
	Name string
	// Attrs are the attributes, names in lower case and values unescaped.
	Attrs []html.Attribute
	// Text is the content of a <script> or <style> element as written; ""
	// for other elements.
	Text string
}

// Attr returns the value of the attribute name, in any case, and whether
// the element has it.
func (e Element) Attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if strings.EqualFold(a.Key, name) {
			return a.Val, true
		}
	}
	return "", false
}

// token is one token of a document: its bytes as written and, for a tag,
// its name; a start tag also has its element and the index of the last
// token the element spans (its end tag, for <script> and <style>).
type token struct {
	typ  html.TokenType
	raw  string
	off  int
	name string
	el   *Element
	last int
}

// scan yields the tokens of doc, whose bytes, joined, are doc.
func scan(doc string) iter.Seq[token] {
	return func(yield func(token) bool) {
		z := html.NewTokenizer(strings.NewReader(doc))
		for off, i := 0, 0; ; i++ {
			tt := z.Next()
			n := len(z.Raw())
			if tt == html.ErrorToken {
				if off < len(doc) { // a tag cut off by the end of the document
					yield(token{typ: html.TextToken, raw: doc[off:], off: off, last: i})
				}
				return
			}
			t := token{typ: tt, raw: doc[off : off+n], off: off, last: i}
			off += n
			switch tt {
			case html.StartTagToken, html.SelfClosingTagToken:
				tok := z.Token()
				t.name = tok.Data
				t.el = &Element{Name: tok.Data, Attrs: tok.Attr}
			case html.EndTagToken:
				name, _ := z.TagName()
				t.name = string(name)
			}
			if !yield(t) {
				return
			}
		}
	}
}

// tokenize returns the tokens of doc, a <script> or <style> start tag with
// its content and the index of its end tag.
func tokenize(doc string) []token {
	toks := slices.Collect(scan(doc))
	// The tokenizer reads what follows <script> or <style> as raw text, up
	// to the element's end tag, whether or not the start tag closes itself.
	for i := range toks {
		t := &toks[i]
		if t.el == nil || (t.name != "script" && t.name != "style") {
			continue
		}
		if j := i + 1; j < len(toks) && toks[j].typ == html.TextToken {
			t.el.Text, t.last = toks[j].raw, j
		}
		if j := t.last + 1; j < len(toks) && toks[j].typ == html.EndTagToken && toks[j].name == t.name {
			t.last = j
		}
	}
	return toks
}

// Elements returns the elements of doc in document order.
func Elements(doc string) []Element {
	var out []Element
	for _, t := range tokenize(doc) {
		if t.el != nil {
			out = append(out, *t.el)
		}
	}
	return out
}

// IsDocument reports whether doc is a whole document rather than a
// fragment: it has a doctype or an <html>, <head> or <body> element.
func IsDocument(doc string) bool {
	for t := range scan(doc) {
		if t.typ == html.DoctypeToken || (t.el != nil && (t.name == "html" || t.name == "head" || t.name == "body")) {
			return true
		}
	}
	return false
}

// Title returns the text of doc's first <title>, else of its first <h1>,
// with blanks collapsed; an element without an end tag or without text
// gives none.
func Title(doc string) string {
	toks := tokenize(doc)
	for _, name := range [...]string{"title", "h1"} {
		i := firstTag(toks, false, name)
		if i < 0 {
			continue
		}
		if j := firstTag(toks[i:], true, name); j >= 0 {
			start, end := toks[i].off+len(toks[i].raw), toks[i+j].off
			if s := strings.Join(strings.Fields(text(doc[start:end])), " "); s != "" {
				return s
			}
		}
	}
	return ""
}

// text returns the text of an HTML fragment, each tag or comment read as a
// blank.
func text(fragment string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(fragment))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt == html.TextToken {
			b.Write(z.Text())
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// Changes are the edits Rewrite makes to a document.
type Changes struct {
	// Element says what becomes of each element; nil keeps them all.
	Element func(Element) Edit
	// HeadStart is inserted at the top of the head, where a parser puts it
	// in the head before anything of the document's own: right after the
	// <head> start tag when that comes first, else before the first thing
	// that begins the head or the body (an element other than <html>, an
	// end tag, text that is not blank), else after the last doctype or
	// <html> start tag, else at the start. A document that begins with text
	// thus gets it before that text.
	HeadStart string
	// HeadEnd is inserted at the end of the head: before </head>, else
	// before the <body> start tag, else on a new line after the <html>
	// start tag, else at the start.
	HeadEnd string
	// BodyEnd is inserted at the end of the body: before the last </body>,
	// else before the last </html>, else on a new line at the end.
	BodyEnd string
}

// Edit is what becomes of an element: its start tag and, for <script> and
// <style>, also their content and end tag.
type Edit struct {
	Action Action
	// Text is what Replace and Defer put in the element's place.
	Text string
}

// Action is a way of editing an element.
type Action int

const (
	// Keep leaves the element as written.
	Keep Action = iota
	// Replace puts the edit's Text in the element's place.
	Replace
	// Remove deletes the element, with the line it stands on when nothing
	// else is on that line.
	Remove
	// Defer deletes the element and puts the edit's Text before the next
	// </body> or </html> end tag, else at the end: where deferred scripts
	// run.
	Defer
)

// Rewrite returns doc with changes made; every other byte stays as it was.
func Rewrite(doc string, changes Changes) string {
	toks := tokenize(doc)
	at := make([]string, len(toks)+1) // what to insert before each token, and at the end
	if s := changes.HeadStart; s != "" {
		i := slices.IndexFunc(toks, beginsHead)
		switch {
		case i < 0:
			// Not at the end, which may be inside a comment it cut off.
			i = 0
			for j, t := range toks {
				if (t.typ == html.DoctypeToken || t.el != nil) && strings.HasSuffix(t.raw, ">") {
					i = j + 1
				}
			}
		case toks[i].name == "head" && toks[i].el != nil:
			i++
		}
		at[i] += s
	}
	if s := changes.HeadEnd; s != "" {
		i := firstTag(toks, true, "head")
		if i < 0 {
			i = firstTag(toks, false, "body")
		}
		if j := firstTag(toks, false, "html"); i < 0 && j >= 0 {
			i, s = j+1, "\n"+s
		}
		at[max(i, 0)] += s
	}
	bodyEnd := lastTag(toks, "body")
	if bodyEnd < 0 {
		bodyEnd = lastTag(toks, "html")
	}
	if bodyEnd >= 0 {
		at[bodyEnd] += changes.BodyEnd
	}

	var out, deferred []byte
	skip := 0 // the offset up to which doc is dropped: the rest of a removed line
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		var edit Edit
		if t.el != nil && changes.Element != nil {
			edit = changes.Element(*t.el)
		}
		if edit.Action == Remove {
			start, end := t.off, toks[t.last].off+len(toks[t.last].raw)
			lineStart, lineEnd := strings.LastIndexByte(doc[:start], '\n')+1, len(doc)
			if n := strings.IndexByte(doc[end:], '\n'); n >= 0 {
				lineEnd = end + n + 1
			}
			if strings.TrimSpace(doc[lineStart:start]) == "" && strings.TrimSpace(doc[end:lineEnd]) == "" {
				out = out[:len(out)-(start-lineStart)] // out ends with doc[lineStart:start]
				skip = lineEnd
			}
		}
		if t.typ == html.EndTagToken && (t.name == "body" || t.name == "html") {
			out, deferred = append(out, deferred...), deferred[:0]
		}
		out = append(out, at[i]...)
		switch edit.Action {
		case Keep:
			out = append(out, t.raw[min(len(t.raw), max(0, skip-t.off)):]...)
			continue
		case Replace:
			out = append(out, edit.Text...)
		case Defer:
			deferred = append(deferred, edit.Text...)
		}
		i = t.last
	}
	out = append(append(out, at[len(toks)]...), deferred...)
	if bodyEnd < 0 && changes.BodyEnd != "" {
		out = append(append(bytes.TrimRight(out, "\n"), '\n'), changes.BodyEnd...)
	}
	return string(out)
}

// beginsHead reports whether an HTML parser reading t has begun the head
// (or, past it, the body): whether t is anything but a comment, a doctype,
// the <html> start tag or blank text. A byte order mark that starts the
// document is blank: browsers drop it as they decode.
func beginsHead(t token) bool {
	switch t.typ {
	case html.CommentToken, html.DoctypeToken:
		return false
	case html.TextToken:
		text := t.raw
		if t.off == 0 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		return strings.Trim(text, " \t\n\f\r") != ""
	}
	return t.el == nil || t.name != "html"
}

// firstTag returns the index of the first start tag, or end tag when end
// is set, named name, or -1.
func firstTag(toks []token, end bool, name string) int {
	return slices.IndexFunc(toks, func(t token) bool {
		return t.name == name && (end && t.typ == html.EndTagToken || !end && t.el != nil)
	})
}

// lastTag returns the index of the last end tag named name, or -1.
func lastTag(toks []token, name string) int {
	for i, t := range slices.Backward(toks) {
		if t.typ == html.EndTagToken && t.name == name {
			return i
		}
	}
	return -1
}
