package htmldoc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/zocket/agent/internal/htmldoc"
)

// describe writes an element as `name key="value" ... [text]` for
// comparison.
func describe(e htmldoc.Element) string {
	s := e.Name
	for _, a := range e.Attrs {
		s += fmt.Sprintf(" %s=%q", a.Key, a.Val)
	}
	if e.Text != "" {
		s += fmt.Sprintf(" [%s]", e.Text)
	}
	return s
}

func TestElements(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"empty", "", nil},
		{"uppercase tags and attribute names", `<HTML><Script SRC="A.js" Type=Module></Script>`, []string{`html`, `script src="A.js" type="Module"`}},
		{"attributes without quotes or values", `<link rel=stylesheet href=style.css disabled>`, []string{`link rel="stylesheet" href="style.css" disabled=""`}},
		{"character references in values", `<a title="Tom &amp; Jerry">`, []string{`a title="Tom & Jerry"`}},
		{"script content with tags is text", "<script>if (a < b) document.write('<p>x</p>')</script><p>", []string{`script [if (a < b) document.write('<p>x</p>')]`, `p`}},
		{"style content", "<style>a > b { color: red }</style>", []string{`style [a > b { color: red }]`}},
		{"comments are not elements", "<!-- <link href=a.css> --><br/>", []string{`br`}},
		{"unclosed tags", "<div><p>text", []string{`div`, `p`}},
		{"a tag cut off at the end", `<p><img src="a`, []string{`p`}},
		{"self-closing script reads on as text", "<script src=a.js />\n<p>x</p>", []string{`script src="a.js" [` + "\n<p>x</p>]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range htmldoc.Elements(tt.doc) {
				got = append(got, describe(e))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Elements mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttr(t *testing.T) {
	e := htmldoc.Elements(`<script TYPE="module" src='/src/main.tsx' defer>`)[0]
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"type", "module", true},
		{"Type", "module", true},
		{"SRC", "/src/main.tsx", true},
		{"defer", "", true},
		{"async", "", false},
	}
	for _, tt := range tests {
		if got, ok := e.Attr(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("Attr(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsDocument(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{"<!DOCTYPE html><p>x</p>", true},
		{"<!doctype html>", true},
		{"<HTML lang=en>", true},
		{"<head><title>x</title></head>", true},
		{"<p>x</p>\n<BODY>", true},
		{"<header>x</header>", false},
		{"<bodyguard>", false},
		{"<p>x</p>", false},
		{"<!-- <html> -->", false},
		{"<script>document.write('<body>')</script>", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := htmldoc.IsDocument(tt.doc); got != tt.want {
			t.Errorf("IsDocument(%q) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

func TestTitle(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"title", "<html><head><title>Shop</title></head></html>", "Shop"},
		{"uppercase, tags inside, blanks collapsed", "<TITLE> My   <b>Page</b>\n</TITLE>", "My Page"},
		{"references unescaped", "<title>Tom &amp; Jerry</title>", "Tom & Jerry"},
		{"tags are blanks", "<title>a<br>b</title>", "a b"},
		{"h1 when there is no title", `<section><h1 class="x">Pricing &amp; Plans</h1></section>`, "Pricing & Plans"},
		{"h1 with inline elements and a comment", "<h1>Hello <em>big</em><!-- x -->world</h1>", "Hello big world"},
		{"blank title gives the h1", "<title>  </title><h1>Docs</h1>", "Docs"},
		{"an unclosed title holds the rest", "<title>Draft<h1>Docs</h1>", ""},
		{"unclosed h1", "<h1>Docs", ""},
		{"only the first h1", "<h1></h1><h1>Second</h1>", ""},
		{"header is not h1", "<header>x</header>", ""},
		{"title inside a comment is not one", "<!-- <title>x</title> --><h1>y</h1>", "y"},
		{"none", "<p>x</p>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmldoc.Title(tt.doc); got != tt.want {
				t.Errorf("Title(%q) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}

// edit returns an Element callback that gives each element named name the
// edit e.
func edit(name string, e htmldoc.Edit) func(htmldoc.Element) htmldoc.Edit {
	return func(el htmldoc.Element) htmldoc.Edit {
		if el.Name == name {
			return e
		}
		return htmldoc.Edit{}
	}
}

// remove returns an Element callback that removes the elements named names.
func remove(names ...string) func(htmldoc.Element) htmldoc.Edit {
	return func(el htmldoc.Element) htmldoc.Edit {
		if slices.Contains(names, el.Name) {
			return htmldoc.Edit{Action: htmldoc.Remove}
		}
		return htmldoc.Edit{}
	}
}

func TestRewrite(t *testing.T) {
	const page = "<!DOCTYPE html>\n<html>\n<head>\n  <title>x</title>\n  <link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n  <p>Hi</p>\n  <script src=\"app.js\"></script>\n</body>\n</html>\n"
	tests := []struct {
		name    string
		doc     string
		changes htmldoc.Changes
		want    string
	}{
		{
			name: "no changes keep every byte",
			doc:  "<!DOCTYPE html><HTML><p class=a>x<!-- c --><script>a<b</script>\r\n<br/><div",
			want: "<!DOCTYPE html><HTML><p class=a>x<!-- c --><script>a<b</script>\r\n<br/><div",
		},
		{
			name:    "replace a void element alone",
			doc:     page,
			changes: htmldoc.Changes{Element: edit("link", htmldoc.Edit{Action: htmldoc.Replace, Text: "<style>p{}</style>"})},
			want:    strings.Replace(page, `<link rel="stylesheet" href="style.css">`, "<style>p{}</style>", 1),
		},
		{
			name:    "replace a script with its content and end tag",
			doc:     "<body><SCRIPT src=a.js>\nif (a < b) {}\n</SCRIPT>\n<p>after</p></body>",
			changes: htmldoc.Changes{Element: edit("script", htmldoc.Edit{Action: htmldoc.Replace, Text: "<script>x()</script>"})},
			want:    "<body><script>x()</script>\n<p>after</p></body>",
		},
		{
			name:    "replace an unclosed script to the end",
			doc:     "<p>a</p><script>x(",
			changes: htmldoc.Changes{Element: edit("script", htmldoc.Edit{Action: htmldoc.Replace})},
			want:    "<p>a</p>",
		},
		{
			name:    "replace the start tag of another element only",
			doc:     "<div id=a><p>x</p></div>",
			changes: htmldoc.Changes{Element: edit("div", htmldoc.Edit{Action: htmldoc.Replace, Text: "<section>"})},
			want:    "<section><p>x</p></div>",
		},
		{
			name:    "remove elements with the lines they stand on",
			doc:     page,
			changes: htmldoc.Changes{Element: remove("link", "script")},
			want:    strings.Replace(strings.Replace(page, "  <link rel=\"stylesheet\" href=\"style.css\">\n", "", 1), "  <script src=\"app.js\"></script>\n", "", 1),
		},
		{
			name:    "remove an element that shares its line",
			doc:     "<head>\n  <link href=a.css> <meta charset=utf-8>\n  <link href=b.css>\r\n  <link href=c.css></head>",
			changes: htmldoc.Changes{Element: remove("link")},
			want:    "<head>\n   <meta charset=utf-8>\n  </head>",
		},
		{
			name:    "remove the last line without a line break",
			doc:     "<p>x</p>\n\t<script src=a.js></script>",
			changes: htmldoc.Changes{Element: remove("script")},
			want:    "<p>x</p>\n",
		},
		{
			name: "defer before the next </body> or </html>",
			doc:  "<html><body><script defer src=a.js></script><p>x</p></body><script async src=b.js></script></html><script defer src=c.js></script>",
			changes: htmldoc.Changes{Element: func(e htmldoc.Element) htmldoc.Edit {
				if src, ok := e.Attr("src"); ok {
					return htmldoc.Edit{Action: htmldoc.Defer, Text: "[" + src + "]"}
				}
				return htmldoc.Edit{}
			}},
			want: "<html><body><p>x</p>[a.js]</body>[b.js]</html>[c.js]",
		},
		{
			name:    "head start after <head>",
			doc:     "<!DOCTYPE html><html lang=en><head><title>x</title></head></html>",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<!DOCTYPE html><html lang=en><head><base><title>x</title></head></html>",
		},
		{
			name:    "head start before the first element without a head",
			doc:     "<!-- c -->\n<html><body><p>x</p></body></html>",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<!-- c -->\n<html><base><body><p>x</p></body></html>",
		},
		{
			name:    "head start at the start without elements",
			doc:     "just text",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<base>just text",
		},
		{
			name:    "head start before text that begins the body",
			doc:     "<!DOCTYPE html>\nHello <b>there</b><head></head>",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<!DOCTYPE html><base>\nHello <b>there</b><head></head>",
		},
		{
			name:    "head start before an end tag",
			doc:     "<html></p><p>x",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<html><base></p><p>x",
		},
		{
			name:    "head start after a byte order mark and a doctype",
			doc:     "\ufeff<!DOCTYPE html> <p>x",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "\ufeff<!DOCTYPE html> <base><p>x",
		},
		{
			name:    "head start after the doctype without anything else",
			doc:     "<!DOCTYPE html><!-- c -->\n<!-- cut off",
			changes: htmldoc.Changes{HeadStart: "<base>"},
			want:    "<!DOCTYPE html><base><!-- c -->\n<!-- cut off",
		},
		{
			name:    "head end before </head>",
			doc:     page,
			changes: htmldoc.Changes{HeadEnd: "<style></style>\n"},
			want:    strings.Replace(page, "</head>", "<style></style>\n</head>", 1),
		},
		{
			name:    "head end before <body> without </head>",
			doc:     "<html><head><title>x</title><BODY><p>x</p></BODY></html>",
			changes: htmldoc.Changes{HeadEnd: "<style></style>"},
			want:    "<html><head><title>x</title><style></style><BODY><p>x</p></BODY></html>",
		},
		{
			name:    "head end after <html> without head or body",
			doc:     "<html lang=\"en\">\n<p>x</p>\n</html>",
			changes: htmldoc.Changes{HeadEnd: "<style></style>\n"},
			want:    "<html lang=\"en\">\n<style></style>\n\n<p>x</p>\n</html>",
		},
		{
			name:    "head end at the start",
			doc:     "<!DOCTYPE html>\n<p>x</p>",
			changes: htmldoc.Changes{HeadEnd: "<style></style>\n"},
			want:    "<style></style>\n<!DOCTYPE html>\n<p>x</p>",
		},
		{
			name:    "header is not head",
			doc:     "<html><header>x</header><body></body></html>",
			changes: htmldoc.Changes{HeadStart: "[start]", HeadEnd: "[end]"},
			want:    "<html>[start]<header>x</header>[end]<body></body></html>",
		},
		{
			name:    "body end before the last </body>",
			doc:     "<body><template></body></template>\n</body>\n</html>",
			changes: htmldoc.Changes{BodyEnd: "<script></script>\n"},
			want:    "<body><template></body></template>\n<script></script>\n</body>\n</html>",
		},
		{
			name:    "body end before </html> without </body>",
			doc:     "<html><p>x</p></HTML>",
			changes: htmldoc.Changes{BodyEnd: "<script></script>"},
			want:    "<html><p>x</p><script></script></HTML>",
		},
		{
			name:    "body end on a new line at the end",
			doc:     "<!DOCTYPE html>\n<p>x</p>\n\n",
			changes: htmldoc.Changes{BodyEnd: "<script></script>\n"},
			want:    "<!DOCTYPE html>\n<p>x</p>\n<script></script>\n",
		},
		{
			name: "a closing tag in script content does not count",
			doc:  "<head><script>document.write('</head></body>')</script></head><body></body>",
			changes: htmldoc.Changes{
				HeadEnd: "[head]",
				BodyEnd: "[body]",
			},
			want: "<head><script>document.write('</head></body>')</script>[head]</head><body>[body]</body>",
		},
		{
			name: "everything at once",
			doc:  page,
			changes: htmldoc.Changes{
				Element:   remove("link", "script"),
				HeadStart: "\n<meta name=x>",
				HeadEnd:   "<style>\np {}\n</style>\n",
				BodyEnd:   "<script>\nrun()\n</script>\n",
			},
			want: "<!DOCTYPE html>\n<html>\n<head>\n<meta name=x>\n  <title>x</title>\n<style>\np {}\n</style>\n</head>\n<body>\n  <p>Hi</p>\n<script>\nrun()\n</script>\n</body>\n</html>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := htmldoc.Rewrite(tt.doc, tt.changes)
			if got != tt.want {
				t.Errorf("Rewrite mismatch (-want +got):\n%s", cmp.Diff(strings.Split(tt.want, "\n"), strings.Split(got, "\n")))
			}
		})
	}
}

// FuzzRewrite checks that a rewrite without changes, or keeping every
// element, gives the document back byte for byte, and that HeadStart is
// where a browser's parser (x/net/html's, after dropping a byte order mark
// as a browser decoding the page does) puts it in the head before any
// element of the document's own.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{"", "<p>x", "<!DOCTYPE html><html><head><title>t</title></head><body><script>a<b</script></body></html>", "<a href='x", "<!--", "</", "<script/><style>", "\xff<\x00p>", "\ufeff<!doctype html>x"} {
		f.Add(s)
	}
	keep := htmldoc.Changes{Element: func(htmldoc.Element) htmldoc.Edit { return htmldoc.Edit{Action: htmldoc.Keep} }}
	const start = `<meta name="head-start">`
	f.Fuzz(func(t *testing.T, doc string) {
		if got := htmldoc.Rewrite(doc, htmldoc.Changes{}); got != doc {
			t.Fatalf("Rewrite without changes = %q, want %q", got, doc)
		}
		if got := htmldoc.Rewrite(doc, keep); got != doc {
			t.Fatalf("Rewrite keeping every element = %q, want %q", got, doc)
		}
		got := htmldoc.Rewrite(doc, htmldoc.Changes{HeadStart: start})
		if strings.Replace(got, start, "", 1) != doc {
			t.Fatalf("Rewrite with HeadStart = %q: not %q with it added", got, doc)
		}
		root, err := html.Parse(strings.NewReader(strings.TrimPrefix(got, "\ufeff")))
		if err != nil {
			t.Fatal(err)
		}
		var before []string // the elements before the first one named head-start
		found := false
		for n := range root.Descendants() {
			if n.Type != html.ElementNode || found {
				continue
			}
			if name, _ := attr(n, "name"); n.DataAtom == atom.Meta && name == "head-start" {
				found = true
				if p := n.Parent; p.DataAtom != atom.Head || p.Parent.DataAtom != atom.Html {
					t.Errorf("HeadStart is in <%s>, not the head, in %q", p.Data, got)
				}
				continue
			}
			before = append(before, n.Data)
		}
		if !found {
			t.Fatalf("no HeadStart in %q", got)
		}
		if s := strings.Join(before, " "); s != "html head" {
			t.Errorf("before HeadStart in %q: %s, want html head", got, s)
		}
	})
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
