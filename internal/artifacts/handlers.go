// Package artifacts serves the artifact endpoints: an artifact's metadata,
// code, versions and diffs, its builds and sandboxed previews, and its page
// as a standalone file. Responses render artifacts with package
// artifactview.
package artifacts

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// Store is the artifact storage the endpoints need.
type Store interface {
	ArtifactByID(ctx context.Context, userID, id string) (agent.Artifact, error)
	Revisions(ctx context.Context, a agent.Artifact) ([]agent.Revision, error)
	DeleteLineage(ctx context.Context, a agent.Artifact) ([]agent.Revision, error)
	SetBundledHTML(ctx context.Context, a agent.Artifact, key string, scriptHashes []string) error
}

// Blobs is the object storage the endpoints need.
type Blobs interface {
	artifactview.Presigner
	Get(ctx context.Context, key string) ([]byte, error)
	GetAll(ctx context.Context, keys []string) ([][]byte, error)
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

var _ Store = (*store.Store)(nil)

// Service implements the artifact endpoints.
type Service struct {
	Store      Store
	Blobs      Blobs
	Presenter  *artifactview.Presenter
	CodePrefix string
	// Builder builds previews (the build Lambda, or in process).
	Builder build.Builder
	// Sessions authenticates the tokens a preview request carries.
	Sessions Authenticator
	// FrameAncestors are the origins that may frame previews (CORS_ORIGINS).
	FrameAncestors []string
}

// load reads the caller's artifact named by the {id} path value; a
// malformed id, like another user's, is a 404.
func (s *Service) load(r *http.Request) (agent.Artifact, error) {
	return s.loadFor(r, httpapi.UserID(r.Context()))
}

// loadFor reads the {id} artifact of user uid.
func (s *Service) loadFor(r *http.Request, uid string) (agent.Artifact, error) {
	id := strings.ToLower(r.PathValue("id"))
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return agent.Artifact{}, agent.NewError(agent.NotFound, "Artifact not found.")
	}
	return s.Store.ArtifactByID(r.Context(), uid, id)
}

// Get handles GET /api/artifacts/{id}: the metadata with fresh URLs, and
// the list of its versions.
func (s *Service) Get(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	revs, err := s.Store.Revisions(r.Context(), a)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	v, err := s.Presenter.View(r.Context(), s.Presenter.ViewerOf(r), a)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	v.Versions = make([]artifactview.RevisionView, len(revs))
	for i, rv := range revs {
		v.Versions[i] = artifactview.RevisionView{Version: rv.Version, ID: rv.ID, MessageID: rv.MessageID, CreatedAt: agent.FormatTime(rv.CreatedAt), Size: rv.Size}
	}
	httpapi.JSON(w, http.StatusOK, ArtifactResponse{Artifact: v})
}

// ArtifactResponse is the answer of GET /api/artifacts/{id}.
type ArtifactResponse struct {
	Artifact artifactview.View `json:"artifact"`
}

// CodeFile is one file of a PROJECT with its code, as the code and version
// endpoints show it.
type CodeFile struct {
	Path     string `json:"path"`
	Language string `json:"language"`
	Code     string `json:"code"`
}

func codeFiles(src agent.Source) []CodeFile {
	files := make([]CodeFile, len(src.Files))
	for i, f := range src.Files {
		files[i] = CodeFile(f)
	}
	return files
}

// Source reads an artifact's code from S3, a PROJECT's files eight at a time.
func (s *Service) Source(ctx context.Context, a agent.Artifact) (agent.Source, error) {
	if len(a.Files) == 0 {
		code, err := s.Blobs.Get(ctx, a.S3Key)
		if err != nil {
			return agent.Source{}, fmt.Errorf("read artifact %s: %w", a.ID, err)
		}
		return agent.Source{Code: string(code)}, nil
	}
	keys := make([]string, len(a.Files))
	for i, f := range a.Files {
		keys[i] = f.S3Key
	}
	codes, err := s.Blobs.GetAll(ctx, keys)
	if err != nil {
		return agent.Source{}, fmt.Errorf("read files of artifact %s: %w", a.ID, err)
	}
	src := agent.Source{Files: make([]agent.SourceFile, len(a.Files))}
	for i, f := range a.Files {
		src.Files[i] = agent.SourceFile{Path: f.Path, Language: f.Language, Code: string(codes[i])}
		if f.Path == a.Entry {
			src.Code = src.Files[i].Code
		}
	}
	return src, nil
}

// loadSource reads the request's artifact and its code, answering the
// error itself when it fails.
func (s *Service) loadSource(w http.ResponseWriter, r *http.Request) (agent.Artifact, agent.Source, bool) {
	a, err := s.load(r)
	if err == nil {
		var src agent.Source
		if src, err = s.Source(r.Context(), a); err == nil {
			return a, src, true
		}
	}
	httpapi.Error(w, r, err)
	return agent.Artifact{}, agent.Source{}, false
}

// CodeResponse is the answer of GET /api/artifacts/{id}/code: the code (a
// PROJECT's entry file), and a PROJECT's entry and files.
type CodeResponse struct {
	Code     string       `json:"code"`
	Artifact CodeArtifact `json:"artifact"`
	Files    []CodeFile   `json:"files,omitempty"`
	Entry    string       `json:"entry,omitempty"`
}

// CodeArtifact is the artifact a CodeResponse holds the code of.
type CodeArtifact struct {
	ID       string             `json:"id"`
	Title    string             `json:"title"`
	Language string             `json:"language"`
	Type     agent.ArtifactType `json:"type"`
	FileSize int                `json:"fileSize"`
	// CreatedAt is encoded by encoding/json (RFC 3339 with the digits of
	// the fraction it has).
	CreatedAt time.Time `json:"createdAt"`
}

// Code handles GET /api/artifacts/{id}/code.
func (s *Service) Code(w http.ResponseWriter, r *http.Request) {
	a, src, ok := s.loadSource(w, r)
	if !ok {
		return
	}
	out := CodeResponse{
		Code: src.Code,
		Artifact: CodeArtifact{
			ID: a.ID, Title: a.Title, Language: a.Language, Type: a.Type,
			FileSize: a.FileSize, CreatedAt: a.CreatedAt,
		},
	}
	if len(src.Files) > 0 {
		out.Files, out.Entry = codeFiles(src), a.Entry
	}
	httpapi.JSON(w, http.StatusOK, out)
}

// Download handles GET /api/artifacts/{id}/download: the file itself, or a
// zip of a PROJECT's files, as an attachment with a safe name.
func (s *Service) Download(w http.ResponseWriter, r *http.Request) {
	a, src, ok := s.loadSource(w, r)
	if !ok {
		return
	}
	body, name := []byte(src.Code), codeblock.FileName(a.Title, a.Language)
	ctype := "application/octet-stream"
	if len(src.Files) > 0 {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		root := codeblock.Slug(a.Title)
		for _, f := range src.Files {
			fw, err := zw.Create(root + "/" + f.Path)
			if err != nil {
				httpapi.Error(w, r, err)
				return
			}
			if _, err := fw.Write([]byte(f.Code)); err != nil {
				httpapi.Error(w, r, err)
				return
			}
		}
		if err := zw.Close(); err != nil {
			httpapi.Error(w, r, err)
			return
		}
		body, name, ctype = buf.Bytes(), root+".zip", "application/zip"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// ProjectResponse is the answer of GET /api/artifacts/{id}/project.
type ProjectResponse struct {
	Entry string                  `json:"entry"`
	Files []artifactview.FileView `json:"files"`
}

// Project handles GET /api/artifacts/{id}/project: a PROJECT's entry and
// files (a single-file artifact is a project of one file).
func (s *Service) Project(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	files := make([]artifactview.FileView, 0, max(1, len(a.Files)))
	entry := a.Entry
	for _, f := range a.Files {
		files = append(files, artifactview.FileView{Path: f.Path, Language: f.Language, Size: f.Size})
	}
	if len(a.Files) == 0 {
		entry = codeblock.FileName(a.Title, a.Language)
		files = append(files, artifactview.FileView{Path: entry, Language: a.Language, Size: a.FileSize})
	}
	httpapi.JSON(w, http.StatusOK, ProjectResponse{Entry: entry, Files: files})
}

// DeleteResponse is the answer of DELETE /api/artifacts/{id}.
type DeleteResponse struct {
	Message         string `json:"message"`
	DeletedVersions int    `json:"deletedVersions"`
}

// Delete handles DELETE /api/artifacts/{id}: every version of the
// artifact, their metadata and their source objects. Content-addressed
// build outputs are shared by identical artifacts and expire by the
// bucket's lifecycle rule; no artifact names them any more.
func (s *Service) Delete(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	ctx := r.Context()
	revs, err := s.Store.DeleteLineage(ctx, a)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	for _, v := range revs {
		prefix := fmt.Sprintf("%s%s/%s/%s/", s.CodePrefix, a.UserID, a.ConversationID, v.ID)
		if _, err := s.Blobs.DeletePrefix(ctx, prefix); err != nil {
			// The metadata is gone, so nothing can reach these objects; the
			// conversation's delete sweeps its whole prefix.
			httpapi.Logger(ctx).Error("delete artifact objects", "artifactId", v.ID, "err", err)
		}
	}
	httpapi.JSON(w, http.StatusOK, DeleteResponse{Message: "Artifact deleted successfully", DeletedVersions: len(revs)})
}
