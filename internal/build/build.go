// Package build is the contract of builds: the typed JSON request and
// response that travel between the artifact functions and the build Lambda,
// the errors a build returns, the Builder interface, and Remote, which
// reaches the build Lambda through the Invoke API. It does not link esbuild
// (package build/esbuild, the builder itself, does), so API functions that
// only call the build Lambda stay small.
package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Request is the typed JSON request of the build Lambda.
type Request struct {
	// Kind is "single" (the default) or "project".
	Kind string `json:"kind,omitempty"`
	// Language is the canonical language of a single artifact: tsx, jsx,
	// typescript, javascript, html or css can be previewed; any other is
	// ErrNotPreviewable.
	Language string `json:"language,omitempty"`
	// Title becomes the page's <title>.
	Title string `json:"title,omitempty"`
	// Code is a single artifact's source.
	Code string `json:"code,omitempty"`
	// Files are a project's files.
	Files []File `json:"files,omitempty"`
	// Entry is the path of a project's entry; empty finds it by convention
	// (see the function Entry).
	Entry string `json:"entry,omitempty"`
}

// File is one file of a project, under its path relative to the project root.
type File struct {
	Path string `json:"path"`
	Code string `json:"code"`
}

// Result describes a built page. The page itself is in the Cache under
// PageKey(Key); a Result stays far below the Lambda response limit.
type Result struct {
	// Key is the content address of the build: a hash of the sources, the
	// package lock and the builder version.
	Key string `json:"key"`
	// ContentHash is the hex SHA-256 of the page, for ETag and cache headers.
	ContentHash string `json:"contentHash"`
	// Size is the page's size in bytes.
	Size int `json:"size"`
	// ScriptHashes are the CSP sources ('sha256-...') of the page's inline
	// scripts; none for an HTML artifact, whose inline code runs as written.
	ScriptHashes []string `json:"scriptHashes,omitempty"`
	// Packages are the curated packages the page contains.
	Packages []string `json:"packages,omitempty"`
	// Warnings are esbuild's warnings.
	Warnings []Message `json:"warnings,omitempty"`
	// Cached is true when the page was already built and nothing was compiled.
	Cached bool `json:"cached"`
	// DurationMS is how long Build took, in milliseconds.
	DurationMS float64 `json:"durationMs"`
}

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

// Response is the build Lambda's JSON response: the Result of a build, or
// what made it fail, typed so that the caller gets the same errors back that
// Build returned (see Response.Outcome).
type Response struct {
	Result *Result `json:"result,omitempty"`
	// Error is the class of a failed build: "build_failed",
	// "not_previewable", "invalid_request" or "internal".
	Error string `json:"error,omitempty"`
	// Message describes the error; for "internal" it is for logs only.
	Message string `json:"message,omitempty"`
	// Details are a build_failed build's diagnostics.
	Details []Message `json:"details,omitempty"`
}

// Error classes of a Response.
const (
	ErrorBuildFailed    = "build_failed"
	ErrorNotPreviewable = "not_previewable"
	ErrorInvalidRequest = "invalid_request"
	ErrorInternal       = "internal"
)

// NewResponse wraps what Build returned for the trip through the Lambda
// Invoke API.
func NewResponse(res Result, err error) Response {
	var f *Failure
	switch {
	case err == nil:
		return Response{Result: &res}
	case errors.As(err, &f):
		return Response{Error: ErrorBuildFailed, Message: f.Error(), Details: f.Messages}
	case errors.Is(err, ErrNotPreviewable):
		return Response{Error: ErrorNotPreviewable, Message: err.Error()}
	case errors.Is(err, ErrInvalidRequest):
		return Response{Error: ErrorInvalidRequest, Message: err.Error()}
	default:
		return Response{Error: ErrorInternal, Message: err.Error()}
	}
}

// Outcome returns the Result, or an error that matches what Build returned:
// a *Failure, or one wrapping ErrNotPreviewable or ErrInvalidRequest.
func (r Response) Outcome() (Result, error) {
	switch r.Error {
	case "":
		if r.Result == nil {
			return Result{}, errors.New("build response: no result")
		}
		return *r.Result, nil
	case ErrorBuildFailed:
		return Result{}, &Failure{Messages: r.Details}
	case ErrorNotPreviewable:
		return Result{}, fmt.Errorf("%w (%s)", ErrNotPreviewable, r.Message)
	case ErrorInvalidRequest:
		return Result{}, fmt.Errorf("%w (%s)", ErrInvalidRequest, r.Message)
	default:
		return Result{}, fmt.Errorf("build lambda: %s", r.Message)
	}
}

// PageKey is the cache (S3) key of the page built for a Result.Key.
func PageKey(key string) string { return "builds/" + key + ".html" }

// ContentHash is the hex SHA-256 of a page, for ETags and cache headers.
func ContentHash(page []byte) string {
	sum := sha256.Sum256(page)
	return hex.EncodeToString(sum[:])
}

// sandbox is the sandbox directive of the preview policy. allow-scripts runs
// the artifact in an opaque origin that can reach neither the API's origin
// nor its storage; allow-forms lets a form fire its submit event (React's
// onSubmit) while form-action 'none' still stops any submission.
const sandbox = "sandbox allow-scripts allow-forms"

// ContentPolicy is what a preview may load: its own inline code and styles,
// images and fonts from data: and blob: URLs, and nothing from the network.
const ContentPolicy = "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; " +
	"connect-src 'none'; base-uri 'none'; form-action 'none'"

// ContentSecurityPolicy returns the Content-Security-Policy header for a
// preview page. frameAncestors are the origins that may frame it (the
// CORS_ORIGINS); with none, no page may. scriptHashes are the page's
// Result.ScriptHashes; without them (an HTML artifact, whose inline code runs
// as written, or a caller that did not keep them) the policy allows inline
// scripts, and a generated page still allows only its own by its meta policy.
func ContentSecurityPolicy(frameAncestors, scriptHashes []string) string {
	scripts := "'unsafe-inline'"
	if len(scriptHashes) > 0 {
		scripts = strings.Join(scriptHashes, " ")
	}
	ancestors := make([]string, 0, len(frameAncestors))
	for _, o := range frameAncestors {
		o = strings.TrimSpace(o)
		if o != "" && !strings.ContainsAny(o, " ;,'\"\r\n") {
			ancestors = append(ancestors, o)
		}
	}
	if len(ancestors) == 0 {
		ancestors = []string{"'none'"}
	}
	return sandbox + "; default-src 'none'; script-src " + scripts + "; " + ContentPolicy +
		"; frame-ancestors " + strings.Join(ancestors, " ")
}
