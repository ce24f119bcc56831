package artifacts

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/htmldoc"
	"github.com/zocket/agent/internal/httpapi"
)

// ExportFileName is the file name of an artifact's exported page: its title
// as an ASCII slug (no path separators, never empty), ending in .html.
func ExportFileName(title string) string { return codeblock.FileName(title, "html") }

// standalone makes a built page safe to keep as a file, where no route sends
// the preview's header. A generated page already declares its policy in a
// meta element (its scripts' hashes); an HTML artifact's page, whose inline
// code runs as written, gets the same policy with inline scripts allowed,
// and a charset, first in its head: a page opened from disk has no header to
// name one, and the preview runtime pushes the page's own past the first
// 1,024 bytes, where browsers look.
func standalone(page []byte, scriptHashes []string) []byte {
	if len(scriptHashes) > 0 {
		return page
	}
	return []byte(htmldoc.Rewrite(string(page), htmldoc.Changes{HeadStart: standaloneHead()}))
}

// standaloneHead is what standalone puts first in an HTML artifact's head.
func standaloneHead() string {
	return "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"" + html.EscapeString(build.PagePolicy(nil)) + "\">\n"
}

// StandalonePage returns a's page as a file that works on its own, offline:
// the built page (its code and vendor code inlined), with its policy in a
// meta element. It reads the recorded page, or builds (cache first) without
// recording the build: callers that only read, such as the conversation's
// ZIP export, need no write access to the artifact. Errors are those of
// BuildArtifact.
func (s *Service) StandalonePage(ctx context.Context, a agent.Artifact) ([]byte, error) {
	page, hashes, err := s.page(ctx, a, s.runBuild)
	if err != nil {
		return nil, err
	}
	return standalone(page, hashes), nil
}

// HTMLExportResponse is the answer of POST /api/artifacts/{id}/html-export
// without download.
type HTMLExportResponse struct {
	Success     bool   `json:"success"`
	HTMLContent string `json:"htmlContent"`
	FileName    string `json:"fileName"`
}

// HTMLExportFailure is what a failed HTML export adds to the error
// envelope: success false.
type HTMLExportFailure struct {
	Success bool `json:"success"`
}

// HTMLExport handles POST /api/artifacts/{id}/html-export, the frontend's
// exportArtifactAsHtml: the artifact's page as a standalone file (see
// StandalonePage) in JSON {success, htmlContent, fileName}, or with
// ?download=1 the page itself as an HTML attachment. It builds as the
// preview does, the recorded page first, and records a new build.
func (s *Service) HTMLExport(w http.ResponseWriter, r *http.Request) {
	var download bool
	// Every error of the route says success false, as its answer says true.
	fail := func(err error) { httpapi.ErrorWith(w, r, err, HTMLExportFailure{}) }
	switch v := r.URL.Query().Get("download"); v {
	case "", "0", "false":
	case "1", "true":
		download = true
	default:
		fail(agent.ValidationError(agent.Detail{Field: "download", Message: "must be 1 or 0"}))
		return
	}
	a, err := s.load(r)
	if err != nil {
		fail(err)
		return
	}
	page, hashes, err := s.page(r.Context(), a, s.BuildArtifact)
	if err != nil {
		fail(err)
		return
	}
	page, name := standalone(page, hashes), ExportFileName(a.Title)
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if download {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		// An attachment is saved, not shown; should a browser show it on
		// the API's origin anyway, it runs sandboxed, as a preview.
		h.Set("Content-Security-Policy", build.ContentSecurityPolicy(nil, hashes))
		writeCompressed(w, r, page)
		return
	}
	body, err := json.Marshal(HTMLExportResponse{Success: true, HTMLContent: string(page), FileName: name})
	if err != nil {
		fail(fmt.Errorf("encode html export of %s: %w", a.ID, err))
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	writeCompressed(w, r, body)
}
