package build

import (
	"errors"
	"fmt"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// ErrNotPreviewable is returned, wrapped, for a language that cannot run in a
// browser (Python, Go, SQL, ...); the HTTP layer answers 422 not_previewable.
var ErrNotPreviewable = errors.New("not previewable")

// ErrInvalidRequest is returned, wrapped, for a Request that no source could
// fix: an unknown kind, no code, an empty file path or one given twice.
var ErrInvalidRequest = errors.New("invalid build request")

// Message is one diagnostic of a build, as SPEC's build_failed details carry
// it. File is the artifact's file (a project path, or the single file's name);
// Line is 1-based and Column 0-based, in bytes, as esbuild reports them.
type Message struct {
	Text     string `json:"text"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	LineText string `json:"lineText"`
}

// String formats the message as file:line:column: text.
func (m Message) String() string {
	if m.File == "" {
		return m.Text
	}
	return fmt.Sprintf("%s:%d:%d: %s", m.File, m.Line, m.Column, m.Text)
}

// Failure is a build that the artifact's source made fail: a syntax error, a
// missing file, an import outside the curated package set. The HTTP layer
// answers 422 build_failed with Messages as details.
type Failure struct {
	Messages []Message
}

// Error summarises the failure by its first message.
func (f *Failure) Error() string {
	if len(f.Messages) == 0 {
		return "build failed"
	}
	s := "build failed: " + f.Messages[0].String()
	if n := len(f.Messages) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more)", n)
	}
	return s
}

// messages converts esbuild diagnostics, naming files by their artifact path.
func messages(in []api.Message) []Message {
	out := make([]Message, 0, len(in))
	for _, m := range in {
		msg := Message{Text: m.Text}
		if loc := m.Location; loc != nil {
			msg.File = displayPath(loc.File)
			msg.Line = loc.Line
			msg.Column = loc.Column
			msg.LineText = loc.LineText
		}
		out = append(out, msg)
	}
	return out
}

// displayPath strips esbuild's namespace prefix from a path in a diagnostic.
func displayPath(file string) string {
	for _, ns := range []string{nsArtifact + ":", nsEntry + ":", nsLucide + ":", nsIcon + ":", nsShim + ":"} {
		if rest, ok := strings.CutPrefix(file, ns); ok {
			return rest
		}
	}
	return file
}
