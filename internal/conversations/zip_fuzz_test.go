package conversations

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zocket/agent"
)

// FuzzZipNames writes the ZIP of a conversation whose artifacts have
// arbitrary titles, languages and project file paths (one per line; two
// projects of the same title hold them), each with its page, and reads it
// back: every entry is there once, under a clean relative path of valid
// UTF-8 without control characters, backslashes, . or .. segments, unique
// without case, and no entry's name is a directory of another's, so the ZIP
// unzips on any file system without writing outside its directory or
// losing a file.
func FuzzZipNames(f *testing.F) {
	for _, seed := range [][4]string{
		{"Counter", "tsx", "Todo app", "src/App.tsx\nsrc/index.css\npackage.json"},
		{"conversation.md", "markdown", "conversation.md", "conversation.md\npreview.html\npreview-2.html"},
		{"", "", "", ""},
		{"../../etc/passwd", "sh", "..", "../../x\n/abs/path\n..\\..\\win.txt\nC:\\x\\y.js\n./a/./b/../c.js\n\n."},
		{"A", "tsx", "a", "Readme.md\nREADME.md\nreadme.MD\nx.tsx\nx-2.tsx\n.env\n.ENV"},
		{"x", "", "y", "src\nsrc/App.tsx\nSRC/b.js\na/b\na/b/c\na\nA-2\n"},
		{"\xff\xfe", "\x00", "t\x00t", "a\xffb.js\na_b.js\nc\x01d.js\n\u202etxt.exe\nd/\u00e9.js\nd/e\u0301.js"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	page := []byte("<!doctype html><html></html>")
	s := &Service{Pages: pageCopies(page), Zip: DefaultZipLimits, Now: time.Now}
	f.Fuzz(func(t *testing.T, title, language, projectTitle, paths string) {
		var (
			doc   Export
			arts  []zipArtifact
			codes []string // the content of every entry but conversation.md
		)
		add := func(a ExportArtifact) {
			arts = append(arts, zipArtifact{doc: a, art: agent.Artifact{ID: fmt.Sprint(len(arts)), Type: agent.TypeReact}})
			doc.Messages = append(doc.Messages, ExportMessage{Role: agent.RoleAssistant, Artifacts: []ExportArtifact{a}})
			codes = append(codes, string(page))
		}
		single := fmt.Sprintf("artifact %d", len(arts))
		add(ExportArtifact{Title: title, Language: language, Type: agent.TypeReact, Code: single})
		codes = append(codes, single)
		for p := range 2 {
			a := ExportArtifact{Title: projectTitle, Type: agent.TypeProject}
			for i, fp := range strings.Split(paths, "\n") {
				code := fmt.Sprintf("project %d, file %d", p, i)
				a.Files = append(a.Files, ExportFile{Path: fp, Code: code})
				codes = append(codes, code)
			}
			add(a)
		}

		var buf bytes.Buffer
		if err := s.writeZip(context.Background(), &buf, doc, arts); err != nil {
			t.Fatalf("writeZip: %v", err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("read the ZIP: %v", err)
		}
		names, got := map[string]bool{}, map[string]int{}
		for _, e := range zr.File {
			if problem := entryNameProblem(e.Name); problem != "" {
				t.Errorf("entry %q: %s", e.Name, problem)
			}
			lower := strings.ToLower(e.Name)
			if names[lower] {
				t.Errorf("entry %q: a second entry of that name (without case)", e.Name)
			}
			names[lower] = true
			if e.Name == zipConversation {
				continue
			}
			rc, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			got[string(body)]++
		}
		for name := range names {
			for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
				if names[dir] {
					t.Errorf("entry %q is a file and the directory of %q", dir, name)
				}
			}
		}
		want := map[string]int{}
		for _, c := range codes {
			want[c]++
		}
		for c, n := range want {
			if got[c] != n {
				t.Errorf("%q is in %d entries, want %d", c, got[c], n)
			}
		}
		if !names[zipConversation] {
			t.Errorf("no %s", zipConversation)
		}
	})
}

// entryNameProblem says what is wrong with a ZIP entry's name, or "".
func entryNameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "not UTF-8"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "a control character"
	case strings.Contains(name, `\`):
		return "a backslash"
	case strings.HasPrefix(name, "/"):
		return "absolute"
	case path.Clean(name) != name || name == "." || name == ".." || strings.HasPrefix(name, "../"):
		return "not a clean relative path"
	}
	return ""
}

// TestZipNames takes names in order, as writeZip does: a taken name gets
// -2, -3, ... (a file's before its extension), and a name that is a file's
// cannot become a directory's or the reverse.
func TestZipNames(t *testing.T) {
	tests := []struct {
		name  string
		takes []string // "dir:x" takes a directory, anything else a file
		want  []string
	}{
		{"same title", []string{"conversation.md", "dir:Counter", "dir:counter"}, []string{"conversation.md", "Counter", "counter-2"}},
		{"same file without case", []string{"dir:a", "a/App.tsx", "a/app.tsx", "a/.env", "a/.ENV"}, []string{"a", "a/App.tsx", "a/app-2.tsx", "a/.env", "a/.ENV-2"}},
		{"a file, then a directory of that name", []string{"dir:a", "a/src", "a/src/App.tsx", "a/SRC/b.js"}, []string{"a", "a/src", "a/src-2/App.tsx", "a/SRC-2/b.js"}},
		{"a directory, then a file of that name", []string{"dir:a", "a/src/App.tsx", "a/src"}, []string{"a", "a/src/App.tsx", "a/src-2"}},
		{"a page beside a project's own", []string{"dir:a", "a/preview.html", "a/preview.html"}, []string{"a", "a/preview.html", "a/preview-2.html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := zipNames{}
			var got []string
			for _, take := range tt.takes {
				if d, ok := strings.CutPrefix(take, "dir:"); ok {
					got = append(got, names.dir(d))
				} else {
					got = append(got, names.file(take))
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
