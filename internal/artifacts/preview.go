package artifacts

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/httpapi"
)

// Authenticator authenticates the tokens a preview request may carry: a
// user token, or a preview token for the artifact. A token that is not (or no
// longer) valid is agent.Unauthorized.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (agent.Session, error)
	AuthenticatePreview(ctx context.Context, token, artifactID string) (agent.Session, error)
}

// RedirectTokenTTL is the lifetime of the preview token a preview request
// carrying a user token is sent on with: the page runs model-written code
// that can read its own URL, so what it reads must be worth little.
const RedirectTokenTTL = 5 * time.Minute

// request is what a build of a turns into.
func (s *Service) request(ctx context.Context, a agent.Artifact) (build.Request, error) {
	src, err := s.Source(ctx, a)
	if err != nil {
		return build.Request{}, err
	}
	req := build.Request{Kind: a.BuildKind(), Language: a.Language, Title: a.Title, Code: src.Code, Entry: a.Entry}
	if req.Kind == agent.BuildProject {
		req.Language, req.Code = "", ""
		for _, f := range src.Files {
			req.Files = append(req.Files, build.File{Path: f.Path, Code: f.Code})
		}
	}
	return req, nil
}

// runBuild builds a (or finds its earlier build) without recording the
// page. What a's source caused is an *agent.Error (build_failed with
// esbuild's messages, or not_previewable); a builder that failed is an
// upstream error.
func (s *Service) runBuild(ctx context.Context, a agent.Artifact) (build.Result, error) {
	req, err := s.request(ctx, a)
	if err != nil {
		return build.Result{}, err
	}
	res, err := s.Builder.Build(ctx, req)
	if err != nil {
		if _, caused := errors.AsType[*agent.Error](err); !caused {
			err = agent.WrapError(err, agent.Upstream, "The build service failed. Please try again.")
		}
		return build.Result{}, err
	}
	return res, nil
}

// BuildArtifact builds a (or finds its earlier build) and records the page
// on the artifact, with runBuild's errors.
func (s *Service) BuildArtifact(ctx context.Context, a agent.Artifact) (build.Result, error) {
	res, err := s.runBuild(ctx, a)
	if err != nil {
		return build.Result{}, err
	}
	if key := build.PageKey(res.Key); key != a.BundledHTMLKey {
		if err := s.Store.SetBundledHTML(ctx, a, key, res.ScriptHashes); err != nil && !agent.IsCode(err, agent.NotFound) {
			return build.Result{}, err
		}
	}
	return res, nil
}

// BuildResponse is the answer of POST /api/artifacts/{id}/build (and
// build-project).
type BuildResponse struct {
	Success    bool            `json:"success"`
	Cached     bool            `json:"cached"`
	DurationMS float64         `json:"durationMs"`
	OutputSize int             `json:"outputSize"`
	Warnings   []build.Message `json:"warnings"`
}

// Build handles POST /api/artifacts/{id}/build (and build-project).
func (s *Service) Build(w http.ResponseWriter, r *http.Request) {
	a, err := s.load(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	res, err := s.BuildArtifact(r.Context(), a)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	warnings := res.Warnings
	if warnings == nil {
		warnings = []build.Message{}
	}
	httpapi.JSON(w, http.StatusOK, BuildResponse{Success: true, Cached: res.Cached, DurationMS: res.DurationMS, OutputSize: res.Size, Warnings: warnings})
}

// BundleResponse is the answer of POST /api/artifacts/{id}/bundle.
type BundleResponse struct {
	Success        bool        `json:"success"`
	Message        string      `json:"message"`
	BundledHTMLURL string      `json:"bundledHtmlUrl"`
	BuildResult    BundleBuild `json:"buildResult"`
}

// BundleBuild is the build behind a bundle.
type BundleBuild struct {
	BundleSize        int      `json:"bundleSize"`
	BuildTime         float64  `json:"buildTime"`
	Dependencies      []string `json:"dependencies"`
	InstalledPackages []string `json:"installedPackages"`
	Cached            bool     `json:"cached"`
}

// BundleFailure is what a failed bundle adds to the error envelope: success
// false, and the build's errors as lines (file:line:column: text).
type BundleFailure struct {
	Success bool     `json:"success"`
	Errors  []string `json:"errors"`
}

// Bundle handles POST /api/artifacts/{id}/bundle, the frontend's "Package"
// button: its bundledHtmlUrl opens the built page in a new tab with no
// header (a preview URL whose token opens only this artifact).
func (s *Service) Bundle(w http.ResponseWriter, r *http.Request) {
	// Every error of the route says success false, and its errors as lines.
	fail := func(err error) { httpapi.ErrorWith(w, r, err, BundleFailure{Errors: build.ErrorLines(err)}) }
	a, err := s.load(r)
	if err != nil {
		fail(err)
		return
	}
	res, err := s.BuildArtifact(r.Context(), a)
	if err != nil {
		fail(err)
		return
	}
	v, err := s.Presenter.View(r.Context(), s.Presenter.ViewerOf(r), a)
	if err != nil {
		fail(err)
		return
	}
	deps := res.Packages
	if deps == nil {
		deps = []string{}
	}
	httpapi.JSON(w, http.StatusOK, BundleResponse{
		Success:        true,
		Message:        "Bundle created successfully",
		BundledHTMLURL: v.PreviewURL,
		BuildResult: BundleBuild{
			BundleSize: res.Size, BuildTime: res.DurationMS, Dependencies: deps,
			InstalledPackages: []string{}, Cached: res.Cached,
		},
	})
}

// Preview handles GET /api/artifacts/{id}/preview (and project-preview): the
// built page, sandboxed. An iframe cannot send a header, so the token may
// come in ?token=, where the page's own code can read it: a preview token
// for this artifact is served; the user's own token (as the frontend sends
// it) is answered with a redirect to the same page with a short-lived
// preview token instead, so that a user token never stays in the URL of a
// page that runs artifact code.
func (s *Service) Preview(w http.ResponseWriter, r *http.Request) {
	a, sess, redirect, err := s.authorizePreview(r)
	if err != nil {
		s.previewError(w, r, err)
		return
	}
	if redirect {
		s.redirectToPreview(w, r, a, sess)
		return
	}
	ctx := r.Context()
	page, hashes, err := s.page(ctx, a, s.BuildArtifact)
	if err != nil {
		s.previewError(w, r, err)
		return
	}
	etag := `"` + build.ContentHash(page) + `"`
	h := w.Header()
	s.previewHeaders(h, hashes)
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	writeCompressed(w, r, page)
}

// writeCompressed answers 200 with body, gzipped when the client accepts it:
// pages inline their vendor code (~0.5 MB for React), gzip takes them to
// about a third, and API Gateway does not compress.
func writeCompressed(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level: no error
		if _, err := zw.Write(body); err == nil && zw.Close() == nil {
			h.Set("Content-Encoding", "gzip")
			body = buf.Bytes()
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// redirectToPreview answers 303 to the same route with a preview token of
// sess for a, by a relative reference (a REST API stage prefixes the path).
func (s *Service) redirectToPreview(w http.ResponseWriter, r *http.Request, a agent.Artifact, sess agent.Session) {
	tok, err := s.Presenter.Tokens.IssuePreview(sess, a.ID, RedirectTokenTTL)
	if err != nil {
		s.previewError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Location", path.Base(r.URL.Path)+"?token="+url.QueryEscape(tok))
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusSeeOther)
}

// page returns a's built page and its script hashes: the recorded one while
// S3 still has it, else what rebuild (BuildArtifact, or runBuild for a
// caller that must not write) makes of it. A recorded page that cannot be
// read for any reason is built again: an expired one is a 403, not a 404,
// to a role without s3:ListBucket.
func (s *Service) page(ctx context.Context, a agent.Artifact, rebuild func(context.Context, agent.Artifact) (build.Result, error)) ([]byte, []string, error) {
	if a.BundledHTMLKey != "" {
		if page, err := s.Blobs.Get(ctx, a.BundledHTMLKey); err == nil {
			return page, a.BundledScriptHashes, nil
		}
	}
	res, err := rebuild(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	page, err := s.Blobs.Get(ctx, build.PageKey(res.Key))
	if err != nil {
		return nil, nil, fmt.Errorf("read built page of %s: %w", a.ID, err)
	}
	return page, res.ScriptHashes, nil
}

func (s *Service) previewHeaders(h http.Header, hashes []string) {
	h.Set("Content-Security-Policy", build.ContentSecurityPolicy(s.FrameAncestors, hashes))
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-site")
}

// authorizePreview finds the artifact for the request's token and the
// session it belongs to: the Authorization header's user token, or ?token=
// holding a preview token of this artifact (served) or the user's own token
// (redirect: answered with a preview token instead). Another user's
// artifact is a 404.
func (s *Service) authorizePreview(r *http.Request) (a agent.Artifact, sess agent.Session, redirect bool, err error) {
	ctx := r.Context()
	tok, header := httpapi.BearerToken(r)
	if !header {
		tok = r.URL.Query().Get("token")
	}
	if tok == "" {
		return a, sess, false, agent.NewError(agent.Unauthorized, "This preview link needs a token.")
	}
	id := strings.ToLower(r.PathValue("id"))
	if header {
		sess, err = s.Sessions.Authenticate(ctx, tok)
	} else if sess, err = s.Sessions.AuthenticatePreview(ctx, tok, id); err != nil && agent.IsCode(err, agent.Unauthorized) {
		sess, err = s.Sessions.Authenticate(ctx, tok)
		redirect = err == nil
	}
	if agent.IsCode(err, agent.Unauthorized) {
		return a, sess, false, agent.WrapError(err, agent.Unauthorized, "This preview link has expired. Open the artifact again.")
	}
	if err != nil {
		return a, sess, false, err
	}
	a, err = s.loadFor(r, sess.UserID)
	return a, sess, redirect, err
}

// previewError answers with the preview's headers, as a page when the
// client wants one (an iframe shows it), in JSON otherwise.
func (s *Service) previewError(w http.ResponseWriter, r *http.Request, err error) {
	s.previewHeaders(w.Header(), nil)
	httpapi.ErrorPage(w, r, err)
}
