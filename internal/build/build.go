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

	"github.com/zocket/agent"
)

// Request is the typed JSON request of the build Lambda.
type Request struct {
	// Kind is agent.BuildSingle (the default) or agent.BuildProject.
	Kind agent.BuildKind `json:"kind,omitempty"`
	// Language is the canonical language of a single artifact: tsx, jsx,
	// typescript, javascript, html or css can be previewed; any other is
	// not_previewable.
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

// Failed is the error of a source that does not build (a syntax error, a
// missing file, an import outside the curated package set): build_failed,
// with msgs as its details.
func Failed(msgs []Message) *agent.Error {
	e := &agent.Error{Code: agent.BuildFailed, Message: "The code did not build."}
	if len(msgs) > 0 {
		e.Message = "The code did not build: " + msgs[0].String()
		if n := len(msgs) - 1; n > 0 {
			e.Message += fmt.Sprintf(" (and %d more)", n)
		}
	}
	for _, m := range msgs {
		e.Details = append(e.Details, agent.Detail{Text: m.Text, File: m.File, Line: m.Line, Column: m.Column, LineText: m.LineText})
	}
	return e
}

// ErrorLines are a build error's lines for a client that shows a list: the
// message, then each diagnostic as file:line:column: text.
func ErrorLines(err error) []string {
	e := agent.AsError(err)
	lines := []string{e.Message}
	for _, d := range e.Details {
		lines = append(lines, fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Text))
	}
	return lines
}

// NotPreviewable is the error of a request no browser can run: a language
// such as Python, or a request without code.
func NotPreviewable(format string, args ...any) *agent.Error {
	return agent.Errorf(agent.NotPreviewable, format, args...)
}

// Response is the build Lambda's JSON response: the Result of a build, or
// the error its source caused, so that the caller gets back the error Build
// returned (see Response.Outcome).
type Response struct {
	Result *Result        `json:"result,omitempty"`
	Error  *ResponseError `json:"error,omitempty"`
}

// ResponseError is an error of a build as it travels: the code and message
// of its agent.Error and its diagnostics, or, with code internal, the
// builder's own failure for the logs.
type ResponseError struct {
	Code    agent.Code `json:"code"`
	Message string     `json:"message"`
	Details []Message  `json:"details,omitempty"`
}

// NewResponse wraps what Build returned for the trip through the Lambda
// Invoke API: the *agent.Error a source caused, or the builder's own error
// as an internal one.
func NewResponse(res Result, err error) Response {
	if err == nil {
		return Response{Result: &res}
	}
	e, ok := errors.AsType[*agent.Error](err)
	if !ok || e.Code == agent.Internal {
		return Response{Error: &ResponseError{Code: agent.Internal, Message: err.Error()}}
	}
	re := &ResponseError{Code: e.Code, Message: e.Message}
	for _, d := range e.Details {
		re.Details = append(re.Details, Message{Text: d.Text, File: d.File, Line: d.Line, Column: d.Column, LineText: d.LineText})
	}
	return Response{Error: re}
}

// Outcome returns the Result, or the error Build returned: the
// *agent.Error a source caused, or the builder's own failure.
func (r Response) Outcome() (Result, error) {
	switch {
	case r.Error == nil && r.Result == nil:
		return Result{}, errors.New("build response: no result")
	case r.Error == nil:
		return *r.Result, nil
	case r.Error.Code == agent.Internal:
		return Result{}, fmt.Errorf("build lambda: %s", r.Error.Message)
	case r.Error.Code == agent.BuildFailed:
		e := Failed(r.Error.Details)
		e.Message = r.Error.Message
		return Result{}, e
	}
	return Result{}, agent.NewError(r.Error.Code, r.Error.Message)
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
// preview page. The API's own origin may frame it (the web app served
// there, package webapp), and so may frameAncestors (the CORS_ORIGINS). scriptHashes are the page's
// Result.ScriptHashes; without them (an HTML artifact, whose inline code runs
// as written, or a caller that did not keep them) the policy allows inline
// scripts, and a generated page still allows only its own by its meta policy.
func ContentSecurityPolicy(frameAncestors, scriptHashes []string) string {
	ancestors := []string{"'self'"}
	for _, o := range frameAncestors {
		o = strings.TrimSpace(o)
		if o != "" && !strings.ContainsAny(o, " ;,'\"\r\n") {
			ancestors = append(ancestors, o)
		}
	}
	return sandbox + "; default-src 'none'; script-src " + scriptSources(scriptHashes) + "; " + ContentPolicy +
		"; frame-ancestors " + strings.Join(ancestors, " ")
}

// PagePolicy is the policy a page declares in its own meta element, so that
// it holds where no route sends the header: a page opened from a download or
// from disk. It allows what ContentSecurityPolicy allows, except what a meta
// element cannot carry: the sandbox and frame-ancestors directives.
func PagePolicy(scriptHashes []string) string {
	return "default-src 'none'; script-src " + scriptSources(scriptHashes) + "; " + ContentPolicy
}

// scriptSources are the scripts a policy allows: those with scriptHashes,
// or without them every inline script (an HTML artifact's, which run as
// written); never a script from the network.
func scriptSources(scriptHashes []string) string {
	if len(scriptHashes) == 0 {
		return "'unsafe-inline'"
	}
	return strings.Join(scriptHashes, " ")
}
