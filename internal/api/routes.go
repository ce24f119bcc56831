// Package api wires the service's handlers to the deployment table of
// package routes: the devserver mounts every function's route, each Lambda
// function mounts its own, and the tests serve them over real HTTP.
package api

import (
	"fmt"
	"net/http"

	"github.com/zocket/agent/internal/apperr"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/routes"
)

// handlers builds each function's handler from the dependencies.
var handlers = map[string]func(*Deps) http.Handler{
	"health":               func(d *Deps) http.Handler { return d.health() },
	"auth-register":        func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Register) },
	"auth-login":           func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Login) },
	"auth-me":              func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Me) },
	"auth-refresh":         func(d *Deps) http.Handler { return http.HandlerFunc(d.auth().Refresh) },
	"conversations-list":   func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().List) },
	"conversations-get":    func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Get) },
	"conversations-update": func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Rename) },
	"conversations-delete": func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Delete) },
	"conversations-export": func(d *Deps) http.Handler { return http.HandlerFunc(d.conversations().Export) },
	"artifacts-get":        func(d *Deps) http.Handler { return http.HandlerFunc(d.artifacts().Get) },
	"artifacts-code":       func(d *Deps) http.Handler { return http.HandlerFunc(d.artifacts().Code) },
	"artifacts-download":   func(d *Deps) http.Handler { return http.HandlerFunc(d.artifacts().Download) },
	"artifacts-project":    func(d *Deps) http.Handler { return http.HandlerFunc(d.artifacts().Project) },
	"artifacts-delete":     func(d *Deps) http.Handler { return http.HandlerFunc(d.artifacts().Delete) },
	"chat-send":            func(d *Deps) http.Handler { return http.HandlerFunc(d.chat().Send) },
	"chat-stream":          func(d *Deps) http.Handler { return http.HandlerFunc(d.chat().Send) },
}

// HTTPFunctions are the functions that serve an HTTP route through API
// Gateway (the devserver mounts these; streaming functions serve the same
// route from a Function URL, and the devserver streams natively).
func HTTPFunctions() []routes.Function {
	var out []routes.Function
	for _, f := range routes.All() {
		if f.Path != "" && !f.StreamURL {
			out = append(out, f)
		}
	}
	return out
}

// Pattern is f's net/http ServeMux pattern.
func Pattern(f routes.Function) string { return f.Method + " " + f.Path }

// Handler mounts the routes of fns on a new mux behind the standard
// middleware. Unknown paths and methods answer with the JSON envelope.
func Handler(d *Deps, fns []routes.Function) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, f := range fns {
		build, ok := handlers[f.Name]
		if !ok || f.Path == "" {
			return nil, fmt.Errorf("function %q has no HTTP handler", f.Name)
		}
		if f.NeedsSecret() && d.Signer == nil {
			return nil, fmt.Errorf("function %q needs the JWT secret", f.Name)
		}
		if f.NeedsModel() && d.Model == nil {
			return nil, fmt.Errorf("function %q needs the model: set GEMINI_API_KEY (or GEMINI_API_KEY_PARAM in Lambda)", f.Name)
		}
		h := build(d)
		if f.Auth {
			h = httpapi.RequireUser(d.Signer, h)
		}
		mux.Handle(Pattern(f), h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, apperr.Newf(apperr.NotFound, "No route for %s %s.", r.Method, r.URL.Path))
	})
	return httpapi.Chain(mux, d.Log, httpapi.CORS{Origins: d.Config.CORSOrigins}), nil
}
