// Package artifactview renders artifacts for every response that carries
// them (the artifact endpoints, a conversation, the chat events): metadata
// with a fresh presigned download URL and a preview URL whose token opens
// only that artifact.
package artifactview

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
)

// URLTTL is the lifetime of presigned URLs and preview tokens.
const URLTTL = time.Hour

// View is the artifact object of the API.
type View struct {
	ID             string             `json:"id"`
	MessageID      string             `json:"messageId"`
	ConversationID string             `json:"conversationId"`
	Title          string             `json:"title"`
	Language       string             `json:"language"`
	Type           agent.ArtifactType `json:"type"`
	S3Key          string             `json:"s3Key"`
	S3URL          string             `json:"s3Url"`
	BundledHTMLKey *string            `json:"bundledHtmlKey"`
	BundledHTMLURL *string            `json:"bundledHtmlUrl"`
	PreviewURL     string             `json:"previewUrl"`
	FileSize       int                `json:"fileSize"`
	Size           int                `json:"size"`
	Files          []FileView         `json:"files,omitempty"`
	// Version is the artifact's place in its lineage (the versions of one
	// artifact, LineageID being version 1's id); Replaces is the version
	// it follows.
	Version   int    `json:"version"`
	LineageID string `json:"lineageId"`
	Replaces  string `json:"replaces,omitempty"`
	// Versions lists the lineage's versions, oldest first (GET
	// /api/artifacts/{id} only).
	Versions  []RevisionView `json:"versions,omitempty"`
	CreatedAt string         `json:"createdAt"`
	UpdatedAt string         `json:"updatedAt"`
}

// RevisionView is one version in an artifact's list of versions.
type RevisionView struct {
	Version   int    `json:"version"`
	ID        string `json:"id"`
	MessageID string `json:"messageId"`
	CreatedAt string `json:"createdAt"`
	Size      int    `json:"size"`
}

// FileView is one file of a PROJECT artifact.
type FileView struct {
	Path     string `json:"path"`
	Language string `json:"language"`
	Size     int    `json:"size"`
}

// Presigner makes download URLs.
type Presigner interface {
	PresignDownload(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
}

// PreviewSigner issues tokens of a session scoped to one artifact.
type PreviewSigner interface {
	IssuePreview(sess agent.Session, artifactID string, ttl time.Duration) (string, error)
}

// Presenter renders artifacts for responses.
type Presenter struct {
	Blob   Presigner
	Tokens PreviewSigner
	// PublicURL is the API's public base URL; empty means the request's own
	// scheme and host.
	PublicURL string
	// APIURL, set on a host that serves no links (the chat Function URL),
	// is where links go when PublicURL is empty.
	APIURL string
}

// Viewer is whom views are rendered for: the session their preview tokens
// speak for, and the scheme and host their links start with.
type Viewer struct {
	Session agent.Session
	BaseURL string
}

// ViewerOf is the caller of r as its views see it.
func (p *Presenter) ViewerOf(r *http.Request) Viewer {
	return Viewer{Session: httpapi.SessionFrom(r.Context()), BaseURL: p.base(r)}
}

// View renders a for v, which must be its owner. Signing is local: no
// calls.
func (p *Presenter) View(ctx context.Context, viewer Viewer, a agent.Artifact) (View, error) {
	if viewer.Session.UserID != a.UserID {
		return View{}, fmt.Errorf("render artifact %s outside its owner's session", a.ID)
	}
	name := codeblock.FileName(a.Title, a.Language)
	if a.Entry != "" {
		name = path.Base(a.Entry)
	}
	u, err := p.Blob.PresignDownload(ctx, a.S3Key, name, URLTTL)
	if err != nil {
		return View{}, err
	}
	tok, err := p.Tokens.IssuePreview(viewer.Session, a.ID, URLTTL)
	if err != nil {
		return View{}, err
	}
	route := "/preview"
	if a.Type == agent.TypeProject {
		route = "/project-preview"
	}
	v := View{
		ID: a.ID, MessageID: a.MessageID, ConversationID: a.ConversationID,
		Title: a.Title, Language: a.Language, Type: a.Type,
		S3Key: a.S3Key, S3URL: u,
		PreviewURL: viewer.BaseURL + "/api/artifacts/" + a.ID + route + "?token=" + url.QueryEscape(tok),
		FileSize:   a.FileSize, Size: a.FileSize,
		Version: a.Version, LineageID: a.LineageID, Replaces: a.Replaces,
		CreatedAt: agent.FormatTime(a.CreatedAt), UpdatedAt: agent.FormatTime(a.UpdatedAt),
	}
	if a.BundledHTMLKey != "" {
		// The built page opens only through the sandboxed preview route:
		// from the bucket's origin it would run with no policy at all.
		k := a.BundledHTMLKey
		v.BundledHTMLKey, v.BundledHTMLURL = &k, &v.PreviewURL
	}
	for _, f := range a.Files {
		v.Files = append(v.Files, FileView{Path: f.Path, Language: f.Language, Size: f.Size})
	}
	return v, nil
}

// base is the scheme and host clients reach the API at: the host the
// client used at the edge (CloudFront), else PUBLIC_URL, else the HTTP API
// for a host that serves no links, else the request's own.
func (p *Presenter) base(r *http.Request) string {
	edge := httpapi.ViaEdge(r.Context())
	switch {
	case !edge && p.PublicURL != "":
		return p.PublicURL
	case !edge && p.APIURL != "":
		return p.APIURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
