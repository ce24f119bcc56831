package esbuild

import (
	"strings"

	"github.com/zocket/agent/internal/build"

	"github.com/evanw/esbuild/pkg/api"
)

// messages converts esbuild diagnostics, naming files by their artifact path.
func messages(in []api.Message) []build.Message {
	out := make([]build.Message, 0, len(in))
	for _, m := range in {
		msg := build.Message{Text: m.Text}
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
