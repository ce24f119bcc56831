package chat_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/llm"
)

// roundTrip is the latency every AWS call gets in these tests: long enough
// that calls made at the same time overlap whatever the scheduler does,
// so the count of sequential round trips is exact.
const roundTrip = 40 * time.Millisecond

// streamed is what a client saw of a turn, and when.
type streamed struct {
	sent, metadata time.Time
	events         []apitest.Event
}

func (s streamed) data(typ string) map[string]any {
	for _, e := range s.events {
		if e.Type == typ {
			return e.Data
		}
	}
	return nil
}

// stream posts body to path and reads the whole response, noting when the
// metadata event arrived.
func stream(t *testing.T, env *apitest.Env, token, path string, body map[string]any) streamed {
	t.Helper()
	s := streamed{sent: time.Now()}
	resp, _ := open(t, env, "POST", path, token, body, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	rd := apitest.NewSSEReader(resp.Body)
	for {
		e, err := rd.Next()
		if err != nil {
			t.Fatalf("%s: %v after %d events", path, err, len(s.events))
		}
		if e.Done {
			// To the response's end: what the turn does after its last
			// event (a fold it waits for) is over then.
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("%s: after [DONE]: %v", path, err)
			}
			return s
		}
		if e.Type == "metadata" && s.metadata.IsZero() {
			s.metadata = time.Now()
		}
		s.events = append(s.events, e)
	}
}

// modelRequests are the model requests made since after.
func modelRequests(env *apitest.Env, after time.Time) (replies []geminitest.Request, titles, folds int) {
	for _, r := range env.Gemini.Requests() {
		switch {
		case r.At.Before(after):
		case r.Stream:
			replies = append(replies, r)
		case strings.Contains(r.SystemInstruction, "You name conversations"):
			titles++
		case strings.Contains(r.SystemInstruction, "running summary"):
			folds++
		}
	}
	return replies, titles, folds
}

// TestRoundTripsBeforeTheModel pins how many sequential DynamoDB round
// trips a turn makes before its model request leaves, and before its
// metadata event reaches the client, with every call taking roundTrip: the
// reservation (which checks the session), the conversation's read and the
// turn's record go in parallel or in one call. It also pins the model calls
// of each turn: one, and the new conversation's title apart.
func TestRoundTripsBeforeTheModel(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		latency := &apitest.Latency{Delay: roundTrip}
		env := apitest.NewWithLatency(t, tb, nil, latency)
		u := env.Register(t)
		first := stream(t, env, u.Token, "/api/chat/send", map[string]any{"message": "hello", "stream": true})
		convID, _ := first.data("metadata")["conversationId"].(string)
		reply, _ := first.data("complete")["messageId"].(string)
		tests := []struct {
			name, path string
			body       map[string]any
			// before the model request, and before the metadata event
			wantModel, wantMetadata int
			wantTitles              int
		}{
			{"a new conversation", "/api/chat/send", map[string]any{"message": "a new one", "stream": true}, 2, 1, 1},
			{"a conversation it continues", "/api/chat/send", map[string]any{"message": "and then?", "conversationId": convID, "stream": true}, 2, 1, 0},
			{"another answer", "/api/chat/regenerate/" + reply, map[string]any{}, 2, 2, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				latency.Take()
				got := stream(t, env, u.Token, tc.path, tc.body)
				if got.data("complete") == nil {
					t.Fatalf("the turn did not complete: %+v", got.events)
				}
				calls := latency.Take().Of("DynamoDB")
				replies, titles, folds := modelRequests(env, got.sent)
				if len(replies) != 1 || titles != tc.wantTitles || folds != 0 {
					t.Fatalf("model calls: %d replies, %d titles, %d folds; want 1, %d, 0", len(replies), titles, folds, tc.wantTitles)
				}
				if n := calls.StartedBefore(replies[0].At).Sequential(); n != tc.wantModel {
					t.Errorf("%d sequential DynamoDB round trips before the model request, want %d: %v", n, tc.wantModel, names(calls.StartedBefore(replies[0].At)))
				}
				if n := calls.AnsweredBy(got.metadata).Sequential(); n != tc.wantMetadata {
					t.Errorf("%d sequential DynamoDB round trips before the metadata event, want %d: %v", n, tc.wantMetadata, names(calls.AnsweredBy(got.metadata)))
				}
			})
		}
	})
}

func names(spans apitest.Spans) []string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s@%s", s.Operation, s.Start.Format("05.000")))
	}
	return out
}

// TestFoldsInBatches holds a conversation of 30 turns of about 1.5k tokens
// each, well past the history budget: every turn makes one model call for
// its reply, and the summary's folds come in batches of FoldTurns turns,
// beside the replies, so the calls stay within 1 + 1/FoldTurns a turn. The
// history sent never passes the budget, and once a fold landed the turns
// after it carry the summary.
func TestFoldsInBatches(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "-1"}, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		b := history.DefaultBudget
		const turns = 30
		start := time.Now()
		var convID string
		summarized := 0
		for i := range turns {
			body := map[string]any{"message": fmt.Sprintf("Turn %d. %s", i, strings.Repeat("Tell me more about the layout grid. ", 170)), "stream": true}
			if convID != "" {
				body["conversationId"] = convID
			}
			got := stream(t, env, u.Token, "/api/chat/send", body)
			if got.data("complete") == nil {
				t.Fatalf("turn %d did not complete: %+v", i, got.events)
			}
			convID, _ = got.data("metadata")["conversationId"].(string)
			replies, _, _ := modelRequests(env, got.sent)
			if len(replies) != 1 {
				t.Fatalf("turn %d: %d reply requests", i, len(replies))
			}
			tokens := 0
			for _, c := range replies[0].Contents {
				tokens += llm.EstimateTokens(c.Text)
			}
			if tokens > b.Recent+b.Backlog {
				t.Errorf("turn %d sent %d tokens of history, budget %d", i, tokens, b.Recent+b.Backlog)
			}
			if strings.Contains(replies[0].SystemInstruction, "Summary of the earlier part of this conversation") {
				summarized++
			}
		}
		replies, _, folds := modelRequests(env, start)
		perTurn := float64(len(replies)+folds) / turns
		t.Logf("%d turns: %d replies, %d folds: %.2f model calls a turn; %d turns carried a summary", turns, len(replies), folds, perTurn, summarized)
		if folds == 0 || perTurn > 1+1/float64(b.FoldTurns) {
			t.Errorf("%.2f model calls a turn (%d folds), want at least one fold and at most %.2f", perTurn, folds, 1+1/float64(b.FoldTurns))
		}
		if summarized == 0 {
			t.Error("no turn carried the summary")
		}
	})
}
