package codeblock_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenReplies matches the golden replies in testdata, not its README.
const goldenReplies = "[0-9][0-9]-*.md"

// golden is what a testdata reply is expected to give. Code is kept as a
// list of lines so that the files can be read and reviewed.
type golden struct {
	Blocks []goldenBlock `json:"blocks"`
	Drafts []goldenDraft `json:"drafts"`
}

type goldenBlock struct {
	Language string `json:"language"`
	Info     string `json:"info"`
	Path     string `json:"path,omitempty"`
	Closed   bool   `json:"closed"`
}

type goldenDraft struct {
	Title    string             `json:"title"`
	Language string             `json:"language"`
	Type     agent.ArtifactType `json:"type"`
	Entry    string             `json:"entry,omitempty"`
	Path     string             `json:"path,omitempty"`
	Files    []goldenFile       `json:"files,omitempty"`
	Code     []string           `json:"code"`
}

type goldenFile struct {
	Path     string   `json:"path"`
	Language string   `json:"language"`
	Code     []string `json:"code"`
}

// replies returns the testdata replies by file name.
func replies(t testing.TB) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", goldenReplies))
	if err != nil {
		t.Fatalf("list testdata: %v", err)
	}
	if len(names) < 25 {
		t.Fatalf("found %d testdata replies, want at least 25", len(names))
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		out[name] = string(data)
	}
	return out
}

func toGolden(blocks []codeblock.Block, drafts []codeblock.Draft) golden {
	g := golden{Blocks: []goldenBlock{}, Drafts: []goldenDraft{}}
	for _, b := range blocks {
		g.Blocks = append(g.Blocks, goldenBlock{Language: b.Language, Info: b.Info, Path: b.Path, Closed: b.Closed})
	}
	for _, d := range drafts {
		gd := goldenDraft{Title: d.Title, Language: d.Language, Type: d.Type, Entry: d.Entry, Path: d.Path, Code: strings.Split(d.Code, "\n")}
		for _, f := range d.Files {
			gd.Files = append(gd.Files, goldenFile{Path: f.Path, Language: f.Language, Code: strings.Split(f.Code, "\n")})
		}
		g.Drafts = append(g.Drafts, gd)
	}
	return g
}

// TestExtractGolden checks the blocks and drafts of realistic model replies
// against reviewed golden files; go test -update rewrites them.
func TestExtractGolden(t *testing.T) {
	for name, text := range replies(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			got := toGolden(codeblock.Parse(text), codeblock.Extract(text))
			file := strings.TrimSuffix(name, ".md") + ".json"
			if *update {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(got); err != nil {
					t.Fatalf("encode: %v", err)
				}
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatalf("write %s: %v", file, err)
				}
				return
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			var want golden
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("decode %s: %v", file, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Extract mismatch (-want +got):\n%s", diff)
			}
			checkInvariants(t, text)
		})
	}
}

// TestGoldenReadme checks that testdata/README.md describes every golden
// reply.
func TestGoldenReadme(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("testdata", "README.md"))
	if err != nil {
		t.Fatalf("read the testdata README: %v", err)
	}
	for name := range replies(t) {
		if row := "| " + strings.TrimSuffix(filepath.Base(name), ".md") + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("testdata/README.md has no row %q", row)
		}
	}
}
