// Package app is the composition root: it builds the clients once (Deps),
// the handler of every function in the deployment table of package routes,
// and the mux that serves them behind the standard middleware. The devserver
// mounts every function's route, each Lambda function mounts its own, and
// the tests serve them over real HTTP. The chat functions' handlers are in
// package chatapp, so that only they link the Gemini SDK.
package app

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/zocket/agent"
	"github.com/zocket/agent/api"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/routes"
)

// Constructor builds a function's handler from the dependencies. Each
// function's main names its own, so a Lambda binary links only the code of
// its endpoint (the chat functions alone carry the Gemini SDK).
type Constructor func(*Deps) (http.Handler, error)

// Health serves the health function.
func Health(d *Deps) (http.Handler, error) { return d.health(), nil }

// OpenAPI serves the openapi function: the API's OpenAPI document.
func OpenAPI(*Deps) (http.Handler, error) { return api.Handler(), nil }

// AuthRegister serves the auth-register function.
func AuthRegister(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.auth().Register), nil }

// AuthLogin serves the auth-login function.
func AuthLogin(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.auth().Login), nil }

// AuthMe serves the auth-me function.
func AuthMe(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.auth().Me), nil }

// AuthRefresh serves the auth-refresh function.
func AuthRefresh(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.auth().Refresh), nil }

// AuthLogout serves the auth-logout function.
func AuthLogout(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.auth().Logout), nil }

// AuthPassword serves the auth-password function.
func AuthPassword(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.auth().ChangePassword), nil
}

// ConversationsList serves the conversations-list function.
func ConversationsList(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.conversations().List), nil
}

// ConversationsGet serves the conversations-get function.
func ConversationsGet(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.conversations().Get), nil
}

// ConversationsUpdate serves the conversations-update function.
func ConversationsUpdate(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.conversations().Rename), nil
}

// ConversationsDelete serves the conversations-delete function.
func ConversationsDelete(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.conversations().Delete), nil
}

// ConversationsExport serves the conversations-export function.
func ConversationsExport(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.conversations().Export), nil
}

// Usage serves the usage function.
func Usage(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.usage().Get), nil }

// ArtifactsGet serves the artifacts-get function.
func ArtifactsGet(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.Artifacts().Get), nil }

// ArtifactsVersion serves the artifacts-version function.
func ArtifactsVersion(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Version), nil
}

// ArtifactsDiff serves the artifacts-diff function.
func ArtifactsDiff(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.Artifacts().Diff), nil }

// ArtifactsCode serves the artifacts-code function.
func ArtifactsCode(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.Artifacts().Code), nil }

// ArtifactsDownload serves the artifacts-download function.
func ArtifactsDownload(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Download), nil
}

// ArtifactsProject serves the artifacts-project function.
func ArtifactsProject(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Project), nil
}

// ArtifactsDelete serves the artifacts-delete function.
func ArtifactsDelete(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Delete), nil
}

// ArtifactsBuild serves the artifacts-build function.
func ArtifactsBuild(d *Deps) (http.Handler, error) { return http.HandlerFunc(d.Artifacts().Build), nil }

// ArtifactsBuildProject serves the artifacts-build-project function.
func ArtifactsBuildProject(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Build), nil
}

// ArtifactsBundle serves the artifacts-bundle function.
func ArtifactsBundle(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Bundle), nil
}

// ArtifactsHTMLExport serves the artifacts-html-export function.
func ArtifactsHTMLExport(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().HTMLExport), nil
}

// ArtifactsPreview serves the artifacts-preview function.
func ArtifactsPreview(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Preview), nil
}

// ArtifactsProjectPreview serves the artifacts-project-preview function.
func ArtifactsProjectPreview(d *Deps) (http.Handler, error) {
	return http.HandlerFunc(d.Artifacts().Preview), nil
}

// Constructors are the constructors of every function but chat's (package
// chatapp, which alone links the Gemini SDK, has them all).
var Constructors = map[string]Constructor{
	"health":                    Health,
	"openapi":                   OpenAPI,
	"auth-register":             AuthRegister,
	"auth-login":                AuthLogin,
	"auth-me":                   AuthMe,
	"auth-refresh":              AuthRefresh,
	"auth-logout":               AuthLogout,
	"auth-password":             AuthPassword,
	"conversations-list":        ConversationsList,
	"conversations-get":         ConversationsGet,
	"conversations-update":      ConversationsUpdate,
	"conversations-delete":      ConversationsDelete,
	"conversations-export":      ConversationsExport,
	"usage":                     Usage,
	"artifacts-get":             ArtifactsGet,
	"artifacts-version":         ArtifactsVersion,
	"artifacts-diff":            ArtifactsDiff,
	"artifacts-code":            ArtifactsCode,
	"artifacts-download":        ArtifactsDownload,
	"artifacts-project":         ArtifactsProject,
	"artifacts-delete":          ArtifactsDelete,
	"artifacts-build":           ArtifactsBuild,
	"artifacts-build-project":   ArtifactsBuildProject,
	"artifacts-bundle":          ArtifactsBundle,
	"artifacts-html-export":     ArtifactsHTMLExport,
	"artifacts-preview":         ArtifactsPreview,
	"artifacts-project-preview": ArtifactsProjectPreview,
}

// Audited are the functions whose requests the audit trail records, and
// as what (the session refused as ended is recorded where tokens are
// checked).
var Audited = map[string]httpapi.AuditAction{
	"auth-register":         httpapi.AuditRegister,
	"auth-login":            httpapi.AuditLogin,
	"auth-logout":           httpapi.AuditLogout,
	"auth-password":         httpapi.AuditPasswordChange,
	"conversations-delete":  httpapi.AuditConversationDelete,
	"conversations-export":  httpapi.AuditConversationExport,
	"artifacts-delete":      httpapi.AuditArtifactDelete,
	"artifacts-html-export": httpapi.AuditArtifactExport,
}

// HTTPFunctions are the functions that serve an HTTP route through API
// Gateway (the devserver mounts these; the streaming function serves some
// of the same routes from a Function URL, and the devserver streams
// natively).
func HTTPFunctions() []routes.Function {
	var out []routes.Function
	for _, f := range routes.All() {
		if f.Path != "" {
			out = append(out, f)
		}
	}
	return out
}

// Pattern is f's net/http ServeMux pattern. The root is the root alone:
// ServeMux's "/" would match every path no other pattern does.
func Pattern(f routes.Function) string {
	if f.Path == "/" {
		return f.Method + " /{$}"
	}
	return f.Method + " " + f.Path
}

// Handler mounts the routes of fns, each built by ctors, on a new mux behind
// the standard middleware. Unknown paths and methods answer with the JSON
// envelope.
func Handler(d *Deps, fns []routes.Function, ctors map[string]Constructor) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, f := range fns {
		build, ok := ctors[f.Name]
		if !ok || f.Path == "" {
			return nil, fmt.Errorf("function %q has no HTTP handler", f.Name)
		}
		if f.NeedsSecret() && d.Signer == nil {
			return nil, fmt.Errorf("function %q needs the JWT secret", f.Name)
		}
		if f.InvokesBuild() && d.Builder == nil {
			return nil, fmt.Errorf("function %q needs a builder: set BUILD_FUNCTION_NAME", f.Name)
		}
		h, err := build(d)
		if err != nil {
			return nil, fmt.Errorf("function %q: %w", f.Name, err)
		}
		if f.Auth {
			var a httpapi.Authenticator = d.Sessions
			if f.SessionInTurn {
				a = httpapi.AuthenticatorFunc(d.Sessions.Verify)
			}
			h = httpapi.RequireUser(a, h)
		}
		if action, ok := Audited[f.Name]; ok {
			h = httpapi.Audited(action, h)
		}
		mux.Handle(Pattern(f), httpapi.Route(cmp.Or(d.Function, f.Name), Pattern(f), h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, agent.Errorf(agent.NotFound, "No route for %s %s.", r.Method, r.URL.Path))
	})
	return httpapi.Chain(mux, d.Log, d.Metrics, httpapi.CORS{Origins: d.Config.CORSOrigins}, httpapi.Forwarded{Secret: d.Config.OriginVerify}), nil
}
