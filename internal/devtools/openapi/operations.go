package openapi

import (
	"fmt"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/artifacts"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/conversations"
	"github.com/zocket/agent/internal/usage"
)

// The codes of a chat turn's refusals and failures, beyond a bad request.
var turnErrors = []agent.Code{agent.CreditsExhausted, agent.RateLimited, agent.NotFound, agent.Upstream, agent.Timeout}

// The codes of a build's failures.
var buildErrors = []agent.Code{agent.BuildFailed, agent.NotPreviewable, agent.Upstream}

// previewAnswers are the answers of a preview route.
var previewAnswers = []Answer{
	{Status: 200, Description: "The artifact's page, sandboxed (Content-Security-Policy) and gzipped when accepted.",
		Media: map[string]string{"text/html": "The page."}, Headers: []string{"ETag", "Cache-Control"}},
	{Status: 303, Description: "A user token in ?token= is sent on to the same route with a short-lived preview token of this artifact instead.",
		Headers: []string{"Location"}},
	{Status: 304, Description: "The page has the ETag of If-None-Match.", Headers: []string{"ETag"}},
}

var ifNoneMatch = Field{Name: "If-None-Match", In: "header", Description: "An ETag of the resource this client has: 304 when it is still current."}

// pageAnswers are the answers of a page served no-cache (the web app's, the
// API reference): the page, or 304 for a client that has it.
var pageAnswers = []Answer{
	{Status: 200, Description: "The page.", Media: map[string]string{"text/html": "The page."}, Headers: []string{"ETag", "Cache-Control"}},
	{Status: 304, Description: "The page has the ETag of If-None-Match.", Headers: []string{"ETag"}},
}

// streamAnswer is the answer of a route that answers like POST
// /api/chat/send: the reply's events, or with stream false one JSON body.
var streamAnswer = Answer{Status: 200, Description: "With stream true (the default of regenerate and fix), the reply's events as they come (text/event-stream); with stream false, the saved reply in one JSON body.",
	JSON: []any{chat.SendResponse{}}, Events: true}

// Operations are the operations of the routes table, by function name.
var Operations = map[string]Operation{
	"health": {
		Summary: "The service's version and whether its dependencies answer",
		OK: []Answer{ok(200, app.HealthResponse{}),
			{Status: 503, Description: "A dependency (DynamoDB or S3) did not answer: status degraded.", JSON: []any{app.HealthResponse{}}}},
	},
	"openapi": {
		Summary: "This document",
		Params:  []Field{ifNoneMatch},
		OK: []Answer{
			{Status: 200, Description: "The OpenAPI 3.1 document of every route.", Media: map[string]string{"application/json": "This document."}, Headers: []string{"ETag", "Cache-Control"}},
			{Status: 304, Description: "The document has the ETag of If-None-Match.", Headers: []string{"ETag", "Cache-Control"}},
		},
	},
	"webapp": {
		Summary:     "The web app's page",
		Description: "The first-party web app (docs/webapp.md): its shell, which loads its script and stylesheet, under a Content-Security-Policy that allows nothing inline and no other origin. no-cache: a reload revalidates by the ETag.",
		Params:      []Field{ifNoneMatch},
		OK:          pageAnswers,
	},
	"openapi-docs": {
		Summary:     "This document, to read and try",
		Description: "The API reference: Swagger UI (bundled, no CDN) rendering /api/openapi.json; Try it out calls this origin. Its script and stylesheet are web app assets (/assets/docs-<hash>.js, .css). no-cache: a reload revalidates by the ETag.",
		Params:      []Field{ifNoneMatch},
		OK:          pageAnswers,
	},
	"webapp-assets": {
		Summary:     "A script or stylesheet of the web app",
		Description: "Named by its content's hash: cached for a year as immutable (CloudFront caches /assets/*), gzipped when accepted.",
		Params:      []Field{ifNoneMatch},
		OK: []Answer{
			{Status: 200, Description: "The asset.", Media: map[string]string{"text/javascript": "A script.", "text/css": "A stylesheet."}, Headers: []string{"ETag", "Cache-Control"}},
			{Status: 304, Description: "The asset has the ETag of If-None-Match.", Headers: []string{"ETag"}},
		},
		Errors: []agent.Code{agent.NotFound},
	},
	"auth-register": {
		Summary: "Create an account and sign in",
		Body:    auth.RegisterRequest{},
		OK:      []Answer{ok(201, auth.SessionResponse{})},
		Errors:  []agent.Code{agent.Conflict, agent.RateLimited},
	},
	"auth-login": {
		Summary:     "Sign in",
		Description: "An unknown email and a wrong password give the same 401. Failed attempts are limited per email and per client address (429).",
		Body:        auth.LoginRequest{},
		OK:          []Answer{ok(200, auth.SessionResponse{})},
		Errors:      []agent.Code{agent.Unauthorized, agent.RateLimited},
	},
	"auth-me": {
		Summary: "The signed-in user, with their conversation count",
		OK:      []Answer{ok(200, auth.MeResponse{})},
	},
	"auth-refresh": {
		Summary: "A new token for the same session (until SESSION_MAX_AGE after signing in)",
		OK:      []Answer{ok(200, auth.TokenResponse{})},
	},
	"auth-logout": {
		Summary: "End every session of the user: every token issued so far stops working",
		OK:      []Answer{ok(200, auth.LogoutResponse{})},
	},
	"auth-password": {
		Summary: "Change the password: every other session ends, and the answer has a new token",
		Body:    auth.PasswordRequest{},
		OK:      []Answer{ok(200, auth.TokenResponse{})},
		Errors:  []agent.Code{agent.RateLimited, agent.Conflict},
	},
	"conversations-list": {
		Summary: "The user's conversations, newest activity first",
		Params: []Field{
			{Name: "page", In: "query", Type: "integer", Range: between(1, conversations.MaxPage), Default: 1},
			{Name: "limit", In: "query", Type: "integer", Range: between(1, conversations.MaxLimit), Default: conversations.DefaultLimit},
			{Name: "search", In: "query", MaxLength: conversations.MaxSearchRunes, Description: "Matches titles, case-insensitively."},
			{Name: "cursor", In: "query", Description: "pagination.nextCursor of the page before (opaque): it replaces page."},
		},
		OK: []Answer{ok(200, conversations.ListResponse{})},
	},
	"conversations-get": {
		Summary: "A conversation with its messages (oldest first) and their artifacts",
		OK:      []Answer{ok(200, conversations.ThreadResponse{})},
	},
	"conversations-update": {
		Summary: "Rename a conversation",
		Body:    conversations.RenameRequest{},
		OK:      []Answer{ok(200, conversations.RenameResponse{})},
	},
	"conversations-delete": {
		Summary: "Delete a conversation with its messages, artifacts and their S3 objects",
		OK:      []Answer{ok(200, conversations.DeleteResponse{})},
	},
	"conversations-export": {
		Summary: "Export a conversation as JSON, Markdown or a ZIP",
		Params: []Field{{Name: "format", In: "query", Enum: conversations.ExportFormats, Default: conversations.ExportFormats[0],
			Description: "md is markdown's short name; zip holds conversation.md, every artifact's latest files and its built page."}},
		OK: []Answer{{Status: 200, Description: "An attachment (Content-Disposition) of the format; a ZIP too large to answer inline is a JSON link to it instead.",
			JSON:    []any{conversations.Export{}, conversations.ZipLink{}},
			Media:   map[string]string{"text/markdown": "The Markdown export.", "application/zip": "The ZIP export."},
			Headers: []string{"Content-Disposition"}}},
	},
	"usage": {
		Summary: "What the user spent per UTC day (days with usage only) and in total",
		Params: []Field{
			{Name: "from", In: "query", Format: "date", Description: fmt.Sprintf("The first day (YYYY-MM-DD); by default %d days before to.", usage.DefaultDays-1)},
			{Name: "to", In: "query", Format: "date", Description: fmt.Sprintf("The last day (YYYY-MM-DD), today by default; at most %d days from from, both included.", usage.MaxDays)},
		},
		OK: []Answer{ok(200, usage.Response{})},
	},
	"artifacts-get": {
		Summary: "An artifact, with fresh links and the list of its versions",
		OK:      []Answer{ok(200, artifacts.ArtifactResponse{})},
	},
	"artifacts-version": {
		Summary: "Version n of an artifact's lineage, with its code",
		Params:  []Field{{Name: "n", In: "path", Type: "integer", Range: atLeast(1), Required: true}},
		OK:      []Answer{ok(200, artifacts.VersionResponse{})},
	},
	"artifacts-diff": {
		Summary: "A unified diff of two versions of an artifact",
		Params: []Field{
			{Name: "from", In: "query", Type: "integer", Range: atLeast(1), Description: "The older version; by default the one before to."},
			{Name: "to", In: "query", Type: "integer", Range: atLeast(1), Description: "The newer version; by default this artifact's."},
		},
		OK: []Answer{ok(200, artifacts.DiffResponse{})},
	},
	"artifacts-code": {
		Summary: "An artifact's code (a PROJECT's entry file, and its files)",
		OK:      []Answer{ok(200, artifacts.CodeResponse{})},
	},
	"artifacts-download": {
		Summary: "An artifact's file as an attachment (a PROJECT's files in a ZIP)",
		OK: []Answer{{Status: 200, Description: "The file.",
			Media:   map[string]string{"application/octet-stream": "The file.", "application/zip": "A PROJECT's files."},
			Headers: []string{"Content-Disposition"}}},
	},
	"artifacts-project": {
		Summary: "An artifact's entry and files (a single file is a project of one)",
		OK:      []Answer{ok(200, artifacts.ProjectResponse{})},
	},
	"artifacts-delete": {
		Summary: "Delete every version of an artifact",
		OK:      []Answer{ok(200, artifacts.DeleteResponse{})},
	},
	"artifacts-build": {
		Summary: "Build an artifact's page (once per content)",
		OK:      []Answer{ok(200, artifacts.BuildResponse{})},
		Errors:  buildErrors,
	},
	"artifacts-build-project": {
		Summary: "Build a PROJECT's page, bundled from its entry",
		OK:      []Answer{ok(200, artifacts.BuildResponse{})},
		Errors:  buildErrors,
	},
	"artifacts-bundle": {
		Summary:     "Build an artifact's page and link to it (bundledHtmlUrl opens in a tab with no header)",
		OK:          []Answer{ok(200, artifacts.BundleResponse{})},
		Errors:      buildErrors,
		ErrorFields: artifacts.BundleFailure{},
	},
	"artifacts-html-export": {
		Summary: "An artifact's page as a standalone file",
		Params: []Field{{Name: "download", In: "query", Enum: []string{"1", "true", "0", "false"},
			Description: "1 (or true): the page itself, as an HTML attachment; otherwise JSON."}},
		OK: []Answer{{Status: 200, Description: "The page in JSON, or with download the page itself (Content-Disposition).",
			JSON:  []any{artifacts.HTMLExportResponse{}},
			Media: map[string]string{"text/html": "The page, as an attachment."}}},
		Errors:      buildErrors,
		ErrorFields: artifacts.HTMLExportFailure{},
	},
	"artifacts-preview": {
		Summary:      "An artifact's page, for an iframe",
		Description:  "An iframe cannot send a header: ?token= takes the preview token of previewUrl (or the user's token, answered with 303 to a preview token). A client asking for text/html gets its errors as a small page.",
		Params:       []Field{ifNoneMatch},
		OK:           previewAnswers,
		Errors:       buildErrors,
		PreviewToken: true,
	},
	"artifacts-project-preview": {
		Summary:      "A PROJECT's page, for an iframe",
		Description:  "As the preview of a single file.",
		Params:       []Field{ifNoneMatch},
		OK:           previewAnswers,
		Errors:       buildErrors,
		PreviewToken: true,
	},
	"chat-send": {
		Summary: "Send a message: the model's reply, streamed",
		Description: "Without conversationId a conversation is started. The user's message is saved before the model is called, the reply once, complete, even when the client leaves. " +
			"A turn costs a credit once the model wrote text; out of credits it is a 403 credits_exhausted, whose message begins \"" + creditsSentence() + "\"",
		Body:   chat.SendRequest{},
		OK:     []Answer{streamAnswer},
		Errors: turnErrors,
	},
	"chat-resume": {
		Summary:     "Follow or resume a reply's stream, from any instance",
		Description: "The events after Last-Event-ID (all of them without it), then the live turn's until it ends; a reply that ended is rebuilt from the saved message.",
		Params: []Field{{Name: "Last-Event-ID", In: "header", Pattern: chat.EventIDPattern, Examples: []string{"42.1"},
			Description: "The id of the last event this client has (offset.n)."}},
		OK: []Answer{{Status: 200, Description: "The reply's events.", Events: true}},
	},
	"chat-stop": {
		Summary: "Stop a running reply: it ends with complete, reason stopped",
		OK:      []Answer{ok(200, chat.StopResponse{})},
		Errors:  []agent.Code{agent.Conflict},
	},
	"chat-regenerate": {
		Summary:      "Answer a message again; the old reply stays as an alternative",
		Body:         chat.RegenerateRequest{},
		BodyOptional: true,
		OK:           []Answer{streamAnswer},
		Errors:       turnErrors,
	},
	"artifacts-fix": {
		Summary:      "Ask the model to fix an artifact that does not build: its reply's block becomes the next version",
		Description:  "An artifact that builds is a 409. The stream ends with the new version's build result.",
		Body:         chat.RegenerateRequest{},
		BodyOptional: true,
		OK:           []Answer{streamAnswer},
		Errors:       append([]agent.Code{agent.Conflict, agent.BuildFailed, agent.NotPreviewable}, turnErrors...),
	},
}

// creditsSentence is the first sentence of credits_exhausted's message,
// which the frontend opens its credits dialog on.
func creditsSentence() string {
	s := agent.CreditsExhaustedMessage
	for i, c := range s {
		if c == '.' {
			return s[:i+1]
		}
	}
	return s
}

// Fields are what the types cannot say of their fields: the limits of
// request bodies, the constants of responses.
var Fields = []TypeFields{
	{auth.RegisterRequest{}, []Field{
		{Name: "email", Required: true, Format: "email", MaxLength: auth.MaxEmail, Description: "Trimmed and lower-cased; unique."},
		{Name: "username", Required: true, MinLength: auth.MinUsername, MaxLength: auth.MaxUsername, Pattern: auth.UsernamePattern, Examples: []string{"ada_lovelace"}, Description: "Unique, case-insensitively."},
		{Name: "password", Required: true, MinLength: auth.MinPassword, MaxLength: auth.MaxPassword},
	}},
	{auth.LoginRequest{}, []Field{
		{Name: "email", Required: true, MinLength: 1},
		{Name: "password", Required: true, MinLength: 1, MaxLength: auth.MaxPasswordTried},
	}},
	{auth.PasswordRequest{}, []Field{
		{Name: "currentPassword", Required: true, MinLength: 1, MaxLength: auth.MaxPasswordTried},
		{Name: "newPassword", Required: true, MinLength: auth.MinPassword, MaxLength: auth.MaxPassword},
	}},
	{conversations.RenameRequest{}, []Field{
		{Name: "title", Required: true, MinLength: 1, MaxLength: conversations.MaxTitleRunes, Description: "Trimmed."},
	}},
	{chat.SendRequest{}, []Field{
		{Name: "message", Required: true, MinLength: 1, MaxLength: chat.MaxMessageRunes},
		{Name: "conversationId", Format: "uuid", Description: "A conversation of the user to continue; without it, one is started."},
		{Name: "stream", Description: "Stream the reply's events (text/event-stream) rather than answer once it is saved."},
		{Name: "enableBuilding", Description: "Build each React artifact as soon as it is saved, and report it (a build chunk)."},
		{Name: "enableSecurity", Description: "Accepted, as the frontend sends it."},
		{Name: "enablePreview", Description: "Accepted, as the frontend sends it."},
	}},
	{chat.RegenerateRequest{}, []Field{
		{Name: "stream", Default: true, Description: "false: answer in one JSON body once the reply is saved."},
	}},
	{chat.ArtifactChunk{}, []Field{{Name: "type", Const: chat.ChunkArtifact}}},
	{chat.BuildChunk{}, []Field{{Name: "type", Const: chat.ChunkBuild}}},
	{chat.ArtifactErrorChunk{}, []Field{{Name: "type", Const: chat.ChunkArtifactError}}},
	{chat.Complete{}, []Field{{Name: "reason", Enum: []string{chat.ReasonCompleted, chat.ReasonStopped}}}},
	{chat.StreamError{}, []Field{{Name: "error", Description: "\"Stream error: \" and a sentence to show the user."}}},
}
