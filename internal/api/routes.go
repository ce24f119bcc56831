// Package api is the service's route table and its wiring: one list of
// routes that the devserver mounts whole, each Lambda function mounts one
// entry of, the SAM template is checked against, and the README documents.
package api

import (
	"net/http"

	"github.com/zocket/agent/internal/apperr"
	"github.com/zocket/agent/internal/httpapi"
)

// Route is one endpoint and the Lambda function that serves it.
type Route struct {
	Function string // the directory under functions/ and the template's function
	Method   string
	Path     string // a net/http pattern path: /api/conversations/{id}
	Auth     bool   // requires a user token
	Tokens   bool   // issues or verifies tokens, so it needs the JWT secret (true when Auth)
	Handler  func(*Deps) http.Handler
}

// NeedsSecret reports whether the route's function needs the JWT secret.
func (r Route) NeedsSecret() bool { return r.Auth || r.Tokens }

// Pattern is the route's net/http ServeMux pattern.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Routes is the route table of the API.
func Routes() []Route {
	return []Route{
		{Function: "health", Method: http.MethodGet, Path: "/health", Handler: func(d *Deps) http.Handler { return d.health() }},
		{Function: "auth-register", Method: http.MethodPost, Path: "/api/auth/register", Tokens: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Register) }},
		{Function: "auth-login", Method: http.MethodPost, Path: "/api/auth/login", Tokens: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Login) }},
		{Function: "auth-me", Method: http.MethodGet, Path: "/api/auth/me", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Me) }},
		{Function: "auth-refresh", Method: http.MethodPost, Path: "/api/auth/refresh", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Refresh) }},
		{Function: "conversations-list", Method: http.MethodGet, Path: "/api/conversations", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().List) }},
		{Function: "conversations-get", Method: http.MethodGet, Path: "/api/conversations/{id}", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Get) }},
		{Function: "conversations-update", Method: http.MethodPut, Path: "/api/conversations/{id}", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Rename) }},
		{Function: "conversations-delete", Method: http.MethodDelete, Path: "/api/conversations/{id}", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Delete) }},
		{Function: "conversations-export", Method: http.MethodGet, Path: "/api/conversations/{id}/export", Auth: true, Handler: func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Export) }},
	}
}

// RouteFor returns the route a function serves.
func RouteFor(function string) (Route, bool) {
	for _, r := range Routes() {
		if r.Function == function {
			return r, true
		}
	}
	return Route{}, false
}

// Handler mounts routes on a new mux behind the standard middleware. Unknown
// paths and methods answer with the JSON envelope.
func Handler(d *Deps, routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.Handler(d)
		if rt.Auth {
			h = httpapi.RequireUser(d.Signer, h)
		}
		mux.Handle(rt.Pattern(), h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, apperr.Newf(apperr.NotFound, "No route for %s %s.", r.Method, r.URL.Path))
	})
	return httpapi.Chain(mux, d.Log, httpapi.CORS{Origins: d.Config.CORSOrigins})
}
