// Package chatapp builds the chat functions' handlers, and the constructors
// of every function for the hosts that serve every route (the devserver and
// the tests). It is apart from package app so that only the chat functions
// link the Gemini SDK.
package chatapp

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/store"
)

// Send serves chat-send (API Gateway) and chat-stream (the Function URL):
// one handler, two hosts.
func Send(d *app.Deps) (http.Handler, error) {
	svc, err := service(d)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(svc.Send), nil
}

// service builds the chat service with its model client.
func service(d *app.Deps) (*chat.Service, error) {
	if d.Config.GeminiAPIKey == "" {
		return nil, fmt.Errorf("no model: set GEMINI_API_KEY (or GEMINI_API_KEY_PARAM in Lambda)")
	}
	model, err := llm.New(context.Background(), llm.Config{APIKey: d.Config.GeminiAPIKey, Model: d.Config.GeminiModel, BaseURL: d.Config.GeminiBaseURL})
	if err != nil {
		return nil, err
	}
	return &chat.Service{
		Store: d.Store, Blobs: d.Blob, Model: model, Artifacts: d.Presenter(),
		Builder: d.Artifacts(), CodePrefix: d.Config.CodePrefix, Now: d.Now, TurnTimeout: d.Config.TurnTimeout,
		Limits: store.TurnLimits{MaxConcurrent: d.Config.MaxConcurrentTurns, PerMinute: d.Config.TurnsPerMinute},
	}, nil
}

// Constructors returns a new map of every function's constructor, chat
// included.
func Constructors() map[string]app.Constructor {
	m := maps.Clone(app.Constructors)
	m["chat-send"] = Send
	m["chat-stream"] = Send
	return m
}
