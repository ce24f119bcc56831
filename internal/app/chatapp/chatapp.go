// Package chatapp builds the chat functions' handlers, and the constructors
// of every function for the hosts that serve every route (the devserver and
// the tests). It is apart from package app so that only the chat functions
// link the Gemini SDK.
package chatapp

import (
	"context"
	"fmt"
	"github.com/zocket/agent/internal/webapp"
	"maps"
	"net/http"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/store"
)

// Send serves chat-send (API Gateway, and the Function URL of chat-stream):
// one handler, two hosts.
func Send(d *app.Deps) (http.Handler, error) {
	svc, err := service(d, true)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Send), nil
}

// Resume serves chat-resume: a turn's stream from any event on.
func Resume(d *app.Deps) (http.Handler, error) {
	svc, err := service(d, false)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Resume), nil
}

// Stop serves chat-stop.
func Stop(d *app.Deps) (http.Handler, error) {
	svc, err := service(d, false)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Stop), nil
}

// Regenerate serves chat-regenerate.
func Regenerate(d *app.Deps) (http.Handler, error) {
	svc, err := service(d, true)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Regenerate), nil
}

// Fix serves artifacts-fix.
func Fix(d *app.Deps) (http.Handler, error) {
	svc, err := service(d, true)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Fix), nil
}

// Stream are the constructors of the routes chat-stream's Function URL
// serves.
func Stream() map[string]app.Constructor {
	return map[string]app.Constructor{"chat-send": Send, "chat-resume": Resume, "chat-stop": Stop, "chat-regenerate": Regenerate, "artifacts-fix": Fix}
}

// service builds the chat service, with its model client when the route
// calls the model.
func service(d *app.Deps, withModel bool) (*chat.Service, error) {
	svc := &chat.Service{
		Store: d.Store, Blobs: d.Blob, Artifacts: d.Presenter(),
		Builder: d.Artifacts(), CodePrefix: d.Config.CodePrefix, Now: d.Now, TurnTimeout: d.Config.TurnTimeout,
		Limits: store.TurnLimits{MaxConcurrent: d.Config.MaxConcurrentTurns, PerMinute: d.Config.TurnsPerMinute},
	}
	if d.Sessions != nil {
		svc.Sessions = d.Sessions
	}
	if !withModel {
		return svc, nil
	}
	if d.Config.GeminiAPIKey == "" {
		return nil, fmt.Errorf("no model: set GEMINI_API_KEY (or GEMINI_API_KEY_PARAM in Lambda)")
	}
	model, err := llm.New(context.Background(), llm.Config{APIKey: d.Config.GeminiAPIKey, Model: d.Config.GeminiModel, BaseURL: d.Config.GeminiBaseURL})
	if err != nil {
		return nil, err
	}
	svc.Model = model
	return svc, nil
}

// Constructors returns a new map of every function's constructor, chat
// included.
func Constructors() map[string]app.Constructor {
	m := maps.Clone(app.Constructors)
	maps.Copy(m, Stream())
	m["webapp"], m["webapp-assets"], m["openapi-docs"] = webapp.ServePage, webapp.ServeAssets, webapp.ServeDocs
	return m
}
