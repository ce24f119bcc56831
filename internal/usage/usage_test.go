package usage_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

var ctx = context.Background()

// each runs fn on every backend with transactions (turns save replies in
// transactions).
func each(t *testing.T, fn func(t *testing.T, env *apitest.Env)) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		fn(t, apitest.New(t, tb, nil))
	})
}

type counts struct {
	PromptTokens int `json:"promptTokens"`
	OutputTokens int `json:"outputTokens"`
	Turns        int `json:"turns"`
	Credits      int `json:"credits"`
}

type usageBody struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days []struct {
		Date string `json:"date"`
		counts
	} `json:"days"`
	Total counts `json:"total"`
}

func getUsage(t *testing.T, env *apitest.Env, token, query string) usageBody {
	t.Helper()
	resp := env.Do(t, "GET", "/api/usage"+query, token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /api/usage%s = %d %s", query, resp.Status, resp.Body)
	}
	var b usageBody
	resp.Decode(t, &b)
	if b.Days == nil {
		t.Fatalf("days is not an array: %s", resp.Body)
	}
	return b
}

// sendTurn sends a message and reads the whole answer; it returns the
// conversation's id.
func sendTurn(t *testing.T, env *apitest.Env, token, convID string, stream bool) string {
	t.Helper()
	body := map[string]any{"message": "Tell me something", "stream": stream}
	if convID != "" {
		body["conversationId"] = convID
	}
	resp := env.Do(t, "POST", "/api/chat/send", token, body)
	if !stream {
		var out struct {
			Data struct{ ConversationID string }
		}
		resp.Decode(t, &out)
		return out.Data.ConversationID
	}
	events, err := apitest.NewSSEReader(bytes.NewReader(resp.Body)).All()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if id, _ := ev.Data["conversationId"].(string); ev.Type == "metadata" && id != "" {
			return id
		}
	}
	t.Fatalf("no metadata in %s", resp.Body)
	return ""
}

// TestUsageCountsTurns runs four turns: two that complete, one that fails
// after some text (kept, so charged) and one the model refuses before any
// text (refunded). The day and the total hold the tokens of every saved
// reply, and the three charged turns with their credits; another user sees
// none of it.
func TestUsageCountsTurns(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		today := time.Now().UTC().Format(agent.DateFormat)

		if got := getUsage(t, env, u.Token, ""); len(got.Days) != 0 || got.Total != (counts{}) {
			t.Fatalf("usage before any turn = %+v", got)
		}

		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Hello ", "there."}})
		conv := sendTurn(t, env, u.Token, "", false)
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"A second ", "answer."}})
		sendTurn(t, env, u.Token, conv, true)
		// Cut after some text: failed, its text kept, and charged.
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Part ", "of it", " and the rest"}, Cut: true, CutAfter: 2})
		sendTurn(t, env, u.Token, conv, true)
		// Rate limited before any text, for longer than a turn waits:
		// refunded.
		env.Gemini.Enqueue(geminitest.Reply{Fail: 429, FailTimes: 1, RetryAfter: 40 * time.Second, Chunks: []string{"unused"}})
		sendTurn(t, env, u.Token, conv, true)

		th, err := env.Deps.Store.Thread(ctx, u.ID, conv)
		if err != nil {
			t.Fatal(err)
		}
		var want counts
		var replies []agent.Message
		for _, m := range th.Messages {
			if m.Role == agent.RoleAssistant {
				replies = append(replies, m)
				want.PromptTokens += m.PromptTokens
				want.OutputTokens += m.OutputTokens
			}
		}
		if len(replies) != 4 || replies[2].Error == "" || replies[2].OutputTokens == 0 || replies[3].Error == "" || replies[3].Content != "" {
			t.Fatalf("saved replies = %+v, want two complete, one cut with tokens, one empty", replies)
		}
		want.Turns, want.Credits = 3, 3

		got := getUsage(t, env, u.Token, "")
		if len(got.Days) != 1 || got.Days[0].Date != today || got.Days[0].counts != want || got.Total != want {
			t.Errorf("usage = %+v, want %+v on %s and in total", got, want, today)
		}
		if want.PromptTokens == 0 || want.OutputTokens == 0 {
			t.Errorf("the model's usage is missing: %+v", want)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 20-want.Credits {
			t.Errorf("credits = %d, want %d: the credits counted are the credits taken", me.Credits, 20-want.Credits)
		}

		// Another user's turn is theirs alone.
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Yours."}})
		sendTurn(t, env, other.Token, "", true)
		if again := getUsage(t, env, u.Token, ""); again.Total != want {
			t.Errorf("after another user's turn: %+v, want %+v", again.Total, want)
		}
		theirs := getUsage(t, env, other.Token, "")
		if theirs.Total.Turns != 1 || theirs.Total.Credits != 1 || theirs.Total.OutputTokens == 0 {
			t.Errorf("the other user's usage = %+v", theirs.Total)
		}

		// A range without today has no days.
		if past := getUsage(t, env, u.Token, "?from=2020-01-01&to=2020-12-31"); len(past.Days) != 0 || past.Total != (counts{}) {
			t.Errorf("usage of 2020 = %+v", past)
		}

		// One Query, after the session check.
		env.Calls.Take()
		getUsage(t, env, u.Token, "")
		if got, want := env.Calls.Take(), map[string]int{"Query": 1, "GetItem": 1}; !equal(got, want) {
			t.Errorf("calls = %v, want %v", got, want)
		}
	})
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestUsageRange checks the range a request asks for: its defaults, its
// limits, and the field each problem names.
func TestUsageRange(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		now := time.Now().UTC()
		date := func(days int) string { return now.AddDate(0, 0, days).Format(agent.DateFormat) }
		tests := []struct {
			name     string
			query    string
			from, to string   // the range answered, for a 200
			fields   []string // the fields named, for a 400
		}{
			{"the last 30 days by default", "", date(-29), date(0), nil},
			{"30 days up to to", "?to=2026-03-31", "2026-03-02", "2026-03-31", nil},
			{"from up to today", "?from=" + date(-3), date(-3), date(0), nil},
			{"one day", "?from=2026-02-28&to=2026-02-28", "2026-02-28", "2026-02-28", nil},
			{"366 days", "?from=2024-01-01&to=2024-12-31", "2024-01-01", "2024-12-31", nil},
			{"367 days", "?from=2024-01-01&to=2025-01-01", "", "", []string{"to"}},
			{"from after to", "?from=2026-03-02&to=2026-03-01", "", "", []string{"from"}},
			{"from after today", "?from=" + date(1), "", "", []string{"from"}},
			{"not a day", "?from=2026-02-30", "", "", []string{"from"}},
			{"not a date", "?from=yesterday&to=2026-3-1", "", "", []string{"to", "from"}},
			{"a timestamp", "?to=2026-03-01T00:00:00Z", "", "", []string{"to"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := env.Do(t, "GET", "/api/usage"+tc.query, u.Token, nil)
				if tc.fields == nil {
					var got usageBody
					resp.Decode(t, &got)
					if resp.Status != http.StatusOK || got.From != tc.from || got.To != tc.to {
						t.Errorf("= %d %s, want the range %s to %s", resp.Status, resp.Body, tc.from, tc.to)
					}
					return
				}
				e := resp.Err(t)
				var fields []string
				for _, d := range e.Details {
					fields = append(fields, d.Field)
				}
				if resp.Status != http.StatusBadRequest || e.Code != "validation_error" || !slices.Equal(fields, tc.fields) {
					t.Errorf("= %d %s, want a validation_error on %v", resp.Status, resp.Body, tc.fields)
				}
			})
		}

		t.Run("without a token", func(t *testing.T) {
			resp := env.Do(t, "GET", "/api/usage", "", nil)
			if resp.Status != http.StatusUnauthorized || resp.Err(t).Code != "unauthorized" {
				t.Errorf("= %d %s", resp.Status, resp.Body)
			}
		})
	})
}
