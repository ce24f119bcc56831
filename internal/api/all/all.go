// Package all lists every function's handler constructor, chat included,
// for the hosts that serve every route: the devserver and the tests. Lambda
// functions name their own constructor instead, so each links only its
// endpoint's code.
package all

import (
	"maps"

	"github.com/zocket/agent/internal/api"
	"github.com/zocket/agent/internal/api/chatapi"
)

// Constructors returns a new map of every function's constructor.
func Constructors() map[string]api.Constructor {
	m := maps.Clone(api.Constructors)
	m["chat-send"] = chatapi.Send
	m["chat-stream"] = chatapi.Send
	return m
}
