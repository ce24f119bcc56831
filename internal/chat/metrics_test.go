package chat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/metrics"
)

var service = map[string]string{"service": metrics.DefaultService}

func outcome(o string) map[string]string {
	return map[string]string{"service": metrics.DefaultService, "outcome": o}
}

// TestTurnMetrics: each turn leaves one record of how it ended, with its
// times in order and the tokens the model reported; a turn refused before
// the model leaves none, and its request says why.
func TestTurnMetrics(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "2"}, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)

		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Hello ", "there."}, Delay: 20 * time.Millisecond})
		resp := send(t, env, u.Token, map[string]any{"message": "hi", "stream": true})
		var f frontendStream
		f.consume(t, resp.Body)
		resp.Body.Close()

		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is ", "part ", "of it"}, Cut: true, CutAfter: 2})
		resp = send(t, env, u.Token, map[string]any{"message": "again", "stream": true, "conversationId": f.conversationID})
		var failed frontendStream
		failed.consume(t, resp.Body)
		resp.Body.Close()

		// Both turns kept text, and took the two credits: the third is refused.
		if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "more", "stream": false}); r.Status != http.StatusForbidden {
			t.Fatalf("out of credits: %d %s", r.Status, r.Body)
		}

		// Both turns' records, and the three requests'.
		m := env.MetricsWhen(t, func(m []emfproof.Series) bool {
			return len(emfproof.Values(m, "TurnFailed", service)) == 2 && len(emfproof.Values(m, "CreditsRefused", service)) == 3
		})
		for _, o := range []string{metrics.TurnComplete, metrics.TurnModelError} {
			if got := emfproof.Values(m, "Turns", outcome(o)); len(got) != 1 || got[0] != 1 {
				t.Errorf("Turns{outcome=%s}: %v, want one", o, got)
			}
		}
		if got := emfproof.Values(m, "TurnFailed", service); len(got) != 2 || got[0]+got[1] != 1 {
			t.Errorf("TurnFailed = %v, want a 0 and a 1", got)
		}
		modelAt := emfproof.Values(m, "TimeToModelRequest", service)
		first := emfproof.Values(m, "TimeToFirstToken", service)
		took := emfproof.Values(m, "TurnDuration", service)
		// Each record's values are at the same place in each list.
		if len(modelAt) != 2 || len(first) != 2 || len(took) != 2 {
			t.Fatalf("to the model request %v, to the first token %v, to the end %v", modelAt, first, took)
		}
		for i := range 2 {
			if !(modelAt[i] <= first[i] && first[i] <= took[i]) {
				t.Errorf("turn %d: to the model request %v, to the first token %v, to the end %v: want them in that order", i, modelAt[i], first[i], took[i])
			}
		}
		if max(took[0]-first[0], took[1]-first[1]) < 20 {
			t.Errorf("to the first token %v, to the end %v: want the end after the model's delay", first, took)
		}
		route := map[string]string{"service": metrics.DefaultService, "route": "POST /api/chat/send"}
		if got := emfproof.Values(m, "TimeToFirstToken", route); len(got) != 2 {
			t.Errorf("TimeToFirstToken by route: %v", got)
		}
		usage := f.complete["usage"].(map[string]any)
		in, out := emfproof.Values(m, "TokensIn", service), emfproof.Values(m, "TokensOut", service)
		found := false
		for i := range min(len(in), len(out)) {
			found = found || in[i] == usage["promptTokens"] && out[i] == usage["outputTokens"]
		}
		if !found {
			t.Errorf("tokens %v in, %v out; the complete event's usage %v", in, out, usage)
		}
		if got := emfproof.Values(m, "CreditsRefused", service); len(got) != 3 || got[0]+got[1]+got[2] != 1 {
			t.Errorf("CreditsRefused = %v, want 1 on one request of three", got)
		}
		if got := emfproof.Values(m, "TurnsLimited", service); len(got) != 3 || got[0]+got[1]+got[2] != 0 {
			t.Errorf("TurnsLimited = %v", got)
		}
		if got := emfproof.Values(m, "JournalWriteFailures", service); len(got) != 2 || got[0] != 0 {
			t.Errorf("JournalWriteFailures = %v", got)
		}
	})
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		env.Gemini.Enqueue(geminitest.Reply{Fail: 429, Chunks: []string{"never"}})
		if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "busy?", "stream": false}); r.Status != http.StatusTooManyRequests {
			t.Fatalf("a rate-limited model: %d %s", r.Status, r.Body)
		}
		m := env.MetricsWhen(t, func(m []emfproof.Series) bool {
			return len(emfproof.Values(m, "Turns", outcome(metrics.TurnModelRateLimited))) == 1
		})
		if got := emfproof.Values(m, "Turns", outcome(metrics.TurnModelRateLimited)); len(got) != 1 {
			t.Errorf("Turns{outcome=model_rate_limited}: %v", got)
		}
		if got := emfproof.Values(m, "TimeToFirstToken", service); len(got) != 0 {
			t.Errorf("a turn without text has a first token: %v", got)
		}
	})
}

// TestResumeLagMetrics: a stream that follows a running turn reports how
// far behind the sender each batch reached it.
func TestResumeLagMetrics(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		hold := make(chan struct{})
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"One ", "two ", "three ", "four."}, Delay: 30 * time.Millisecond, Hold: hold, HoldAfter: 1})
		resp, _ := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "count", "stream": true}, "")
		sender := apitest.NewSSEReader(resp.Body)
		meta, err := sender.Next()
		if err != nil {
			t.Fatal(err)
		}
		reader, _ := open(t, env, "GET", "/api/chat/stream/"+meta.Data["messageId"].(string), u.Token, nil, "")
		// The model goes on once the reader has the first delta: the rest
		// reaches it while it tails the journal.
		follow := apitest.NewSSEReader(reader.Body)
		for {
			e, err := follow.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e.Text() != "" {
				break
			}
		}
		close(hold)
		if _, err := follow.All(); err != nil {
			t.Fatal(err)
		}
		if _, err := sender.All(); err != nil {
			t.Fatal(err)
		}

		lags := emfproof.Values(env.MetricsWhen(t, func(m []emfproof.Series) bool { return len(emfproof.Values(m, "ResumeLag", service)) > 0 }), "ResumeLag", service)
		if len(lags) == 0 {
			t.Fatal("no ResumeLag from a stream that followed a running turn")
		}
		for _, lag := range lags {
			if lag < 0 || lag > 5000 {
				t.Errorf("lag %v ms", lag)
			}
		}
	})
}
