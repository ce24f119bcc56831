package artifacts

import (
	"net/http"
	"strconv"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
)

// version reads version n (a path value or a query parameter, named field)
// of the lineage of the caller's artifact a.
func (s *Service) version(r *http.Request, a agent.Artifact, revs []agent.Revision, field, value string) (agent.Artifact, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		return agent.Artifact{}, agent.ValidationError(agent.Detail{Field: field, Message: "must be a version number (1, 2, ...)"})
	}
	for _, rv := range revs {
		if rv.Version == n {
			if rv.ID == a.ID {
				return a, nil
			}
			return s.Store.ArtifactByID(r.Context(), a.UserID, rv.ID)
		}
	}
	return agent.Artifact{}, agent.Errorf(agent.NotFound, "Version %d not found.", n)
}

// VersionResponse is the answer of GET /api/artifacts/{id}/versions/{n}:
// the version, its code, and a PROJECT's entry and files.
type VersionResponse struct {
	Artifact artifactview.View `json:"artifact"`
	Code     string            `json:"code"`
	Files    []CodeFile        `json:"files,omitempty"`
	Entry    string            `json:"entry,omitempty"`
}

// Version handles GET /api/artifacts/{id}/versions/{n}: version n of the
// artifact's lineage, its metadata and its code (a PROJECT's files too).
func (s *Service) Version(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	var revs []agent.Revision
	if err == nil {
		revs, err = s.Store.Revisions(r.Context(), a)
	}
	var v agent.Artifact
	if err == nil {
		v, err = s.version(r, a, revs, "n", r.PathValue("n"))
	}
	var src agent.Source
	if err == nil {
		src, err = s.Source(r.Context(), v)
	}
	var view artifactview.View
	if err == nil {
		view, err = s.Presenter.View(r.Context(), s.Presenter.ViewerOf(r), v)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := VersionResponse{Artifact: view, Code: src.Code}
	if len(src.Files) > 0 {
		out.Files, out.Entry = codeFiles(src), v.Entry
	}
	httpapi.JSON(w, http.StatusOK, out)
}

// DiffResponse is the answer of GET /api/artifacts/{id}/diff: a unified
// diff between two versions.
type DiffResponse struct {
	From   int    `json:"from"`
	To     int    `json:"to"`
	FromID string `json:"fromId"`
	ToID   string `json:"toId"`
	Diff   string `json:"diff"`
}

// Diff handles GET /api/artifacts/{id}/diff?from=&to=: a unified diff of
// two versions of the artifact's lineage (from defaults to the version
// before to, to to the artifact's own). A PROJECT's diff has a section per
// file that changed, was added or was removed.
func (s *Service) Diff(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	var revs []agent.Revision
	if err == nil {
		revs, err = s.Store.Revisions(r.Context(), a)
	}
	q := r.URL.Query()
	toN, fromN := q.Get("to"), q.Get("from")
	if toN == "" {
		toN = strconv.Itoa(a.Version)
	}
	var from, to agent.Artifact
	if err == nil {
		to, err = s.version(r, a, revs, "to", toN)
	}
	if err == nil && fromN == "" {
		fromN = strconv.Itoa(to.Version - 1)
	}
	if err == nil {
		from, err = s.version(r, a, revs, "from", fromN)
	}
	var before, after agent.Source
	if err == nil {
		before, err = s.Source(r.Context(), from)
	}
	if err == nil {
		after, err = s.Source(r.Context(), to)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, DiffResponse{
		From: from.Version, To: to.Version, FromID: from.ID, ToID: to.ID,
		Diff: unified(files(from, before), files(to, after)),
	})
}

// files are an artifact's files by path, in order: a PROJECT's, or its one
// file under the name its download has.
func files(a agent.Artifact, src agent.Source) []agent.SourceFile {
	if len(src.Files) > 0 {
		return src.Files
	}
	return []agent.SourceFile{{Path: codeblock.FileName(a.Title, a.Language), Language: a.Language, Code: src.Code}}
}

// unified is the unified diff of two sets of files: a section per path
// whose content differs, in the order of after, then the paths removed. A
// single file renamed (a new title) is diffed with itself.
func unified(before, after []agent.SourceFile) string {
	if len(before) == 1 && len(after) == 1 {
		return udiff.Unified("a/"+before[0].Path, "b/"+after[0].Path, before[0].Code, after[0].Code)
	}
	old := map[string]string{}
	for _, f := range before {
		old[f.Path] = f.Code
	}
	var out strings.Builder
	for _, f := range after {
		prev, ok := old[f.Path]
		label := "a/" + f.Path
		if !ok {
			label = "/dev/null"
		}
		out.WriteString(udiff.Unified(label, "b/"+f.Path, prev, f.Code))
		delete(old, f.Path)
	}
	for _, f := range before {
		if code, ok := old[f.Path]; ok {
			out.WriteString(udiff.Unified("a/"+f.Path, "/dev/null", code, ""))
		}
	}
	return out.String()
}
