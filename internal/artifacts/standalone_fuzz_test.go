package artifacts

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/zocket/agent/internal/build"
)

// FuzzStandalone makes arbitrary HTML artifact pages standalone and parses
// the result as a browser does (golang.org/x/net/html's tree construction
// is the HTML standard's): the page is kept byte for byte around what was
// added, and the added policy is there once, in the head, before any
// element of the page's own, so that it governs every script and every
// load of the page opened from disk. A policy in the body, or after a
// script, would be ignored, or come too late.
func FuzzStandalone(f *testing.F) {
	for _, doc := range []string{
		"<!DOCTYPE html>\n<html>\n<head>\n<title>x</title>\n</head>\n<body>\n<p>Hi</p>\n<script>run()</script>\n</body>\n</html>\n",
		"<!doctype html><html lang=en><body><img src=https://example.com/x.png></body></html>",
		"<head><script>fetch('https://example.com')</script></head>",
		"<p>just a fragment</p>",
		"<html><head></head><body></body></html>",
		"<!-- a comment --><html><head><meta charset=latin1></head></html>",
		"",
		"<script>a</script><head></head>",
		"<frameset></frameset>",
	} {
		f.Add(doc)
	}
	policy := build.PagePolicy(nil)
	f.Fuzz(func(t *testing.T, doc string) {
		out := string(standalone([]byte(doc), nil))
		if strings.Replace(out, standaloneHead(), "", 1) != doc {
			t.Fatalf("standalone(%q) = %q: not the page with its head added", doc, out)
		}

		root, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatalf("parse %q: %v", out, err)
		}
		var policies int
		var before []string // the elements before the policy, in tree order
		var walk func(n *html.Node, inHead bool)
		walk = func(n *html.Node, inHead bool) {
			if n.Type == html.ElementNode {
				if isPolicy(n, policy) {
					policies++
					if !inHead {
						t.Errorf("the policy is not in the head of %q", out)
					}
				} else if policies == 0 {
					before = append(before, n.Data)
				}
			}
			for c := range n.ChildNodes() {
				walk(c, n.DataAtom == atom.Head && n.Parent.DataAtom == atom.Html)
			}
		}
		walk(root, false)
		if policies != 1 {
			t.Fatalf("%d policies in %q, want 1", policies, out)
		}
		if got := strings.Join(before, " "); got != "html head meta" {
			t.Errorf("before the policy of %q: %s, want html head meta (the charset)", out, got)
		}
	})
}

// isPolicy reports whether n is a meta element declaring policy.
func isPolicy(n *html.Node, policy string) bool {
	if n.DataAtom != atom.Meta {
		return false
	}
	var equiv, content string
	for _, a := range n.Attr {
		switch a.Key {
		case "http-equiv":
			equiv = a.Val
		case "content":
			content = a.Val
		}
	}
	return strings.EqualFold(equiv, "Content-Security-Policy") && content == policy
}
