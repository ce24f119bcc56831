package chat_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/faults"
)

// TestStoreOutageAnswers503 has DynamoDB throttle a route's writes or reads
// through the SDK's retries: the answer is 503 unavailable with
// Retry-After and a JSON message, not a 500, the model is not called, and
// once DynamoDB is back nothing was left behind (the user's credits and
// slots are whole).
func TestStoreOutageAnswers503(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		var down atomic.Value // the operation that fails, or ""
		down.Store("")
		in := &faults.Injector{Policy: func(r faults.Request) faults.Fault {
			if r.Operation == down.Load().(string) {
				return faults.Throttle
			}
			return faults.None
		}}
		behind := dynamotest.Behind(t, tb, in)
		env := apitest.New(t, behind, map[string]string{"DEFAULT_CREDITS": "2", "MAX_CONCURRENT_TURNS": "1"})
		u := env.Register(t)
		tests := []struct {
			name, op, method, path string
			body                   any
		}{
			{"a turn's reservation", "UpdateItem", "POST", "/api/chat/send", map[string]any{"message": "hi", "stream": true}},
			{"the conversations' list", "Query", "GET", "/api/conversations", nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				asked := len(env.Gemini.Requests())
				down.Store(tc.op)
				resp := env.Do(t, tc.method, tc.path, u.Token, tc.body)
				down.Store("")
				e := resp.Err(t)
				if resp.Status != http.StatusServiceUnavailable || e.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
					t.Errorf("%s %s = %d %s (Retry-After %q); want 503 unavailable with Retry-After", tc.method, tc.path, resp.Status, resp.Body, resp.Header.Get("Retry-After"))
				}
				if n := len(env.Gemini.Requests()); n != asked {
					t.Errorf("the model was called %d times", n-asked)
				}
			})
		}
		// DynamoDB is back: the turn refused holds nothing.
		resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hi again", "stream": false})
		var out struct{ Data struct{ Credits int } }
		resp.Decode(t, &out)
		if resp.Status != http.StatusOK || out.Data.Credits != 1 {
			t.Errorf("after the outage: %d %s; want the turn served with 1 credit left", resp.Status, resp.Body)
		}
		if len(in.Report()) == 0 {
			t.Error("no fault was injected")
		}
	})
}
