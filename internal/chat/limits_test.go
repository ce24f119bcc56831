package chat_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// streams counts the model's streamed replies: the turns that reached it.
func streams(env *apitest.Env) int {
	n := 0
	for _, r := range env.Gemini.Requests() {
		if r.Stream {
			n++
		}
	}
	return n
}

// TestCreditsHoldUnderConcurrency sends 10 turns at once for a user with 3
// credits: exactly 3 reach the model and are served, the others are refused
// with credits_exhausted before the model is called, and the credits end at 0.
func TestCreditsHoldUnderConcurrency(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "3"}, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		const n = 10
		statuses := make([]int, n)
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hello", "stream": false})
				statuses[i] = resp.Status
				if resp.Status != http.StatusOK {
					codes[i] = resp.Err(t).Code
				}
			})
		}
		wg.Wait()
		served := 0
		for i, s := range statuses {
			switch {
			case s == http.StatusOK:
				served++
			case s != http.StatusForbidden || codes[i] != "credits_exhausted":
				t.Errorf("turn %d: %d %s", i, s, codes[i])
			}
		}
		if served != 3 || streams(env) != 3 {
			t.Fatalf("%d served, %d reached the model; want 3 and 3 (statuses %v)", served, streams(env), statuses)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 0 {
			t.Errorf("credits = %d, want 0", me.Credits)
		}
		// A refused turn was recorded beside its reservation, and its
		// record went with the refusal: what stays is the served turns' and
		// their messages'.
		if n := turnRecords(t, env); n != 2*3 {
			t.Errorf("%d turn records, want 6: the served turns' and their messages'", n)
		}
	})
}

// turnRecords counts the table's turn records (TURN#<id>, TURN).
func turnRecords(t *testing.T, env *apitest.Env) int {
	t.Helper()
	n := 0
	pages := dynamodb.NewScanPaginator(env.Table.Client, &dynamodb.ScanInput{TableName: aws.String(env.Table.Name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			pk, _ := item["PK"].(*types.AttributeValueMemberS)
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			if pk != nil && sk != nil && strings.HasPrefix(pk.Value, "TURN#") && sk.Value == "TURN" {
				n++
			}
		}
	}
	return n
}

// TestFailureBeforeAnyTextIsRefunded has the model fail before its first
// word: the turn's credit is given back; complete.credits is the balance
// after a turn's charge.
func TestFailureBeforeAnyTextIsRefunded(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "2"}, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		// A wait longer than the client holds a turn for: no retries.
		env.Gemini.Enqueue(geminitest.Reply{Fail: 429, FailTimes: 1, RetryAfter: 40 * time.Second, Chunks: []string{"at last"}})
		resp := send(t, env, u.Token, map[string]any{"message": "hello", "stream": true})
		var f frontendStream
		f.consume(t, resp.Body)
		resp.Body.Close()
		if f.err == "" || f.text.Len() != 0 {
			t.Fatalf("a failed turn: error %q, text %q", f.err, f.text.String())
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 2 {
			t.Fatalf("credits = %d after a turn that failed before any text, want 2", me.Credits)
		}
		resp = send(t, env, u.Token, map[string]any{"message": "hello again", "stream": true})
		f = frontendStream{}
		f.consume(t, resp.Body)
		resp.Body.Close()
		if f.complete == nil || f.complete["credits"] != float64(1) {
			t.Errorf("complete = %v, want credits 1", f.complete)
		}
	})
}

// TestTurnLimitsAnswer429 holds MAX_CONCURRENT_TURNS turns open and asks for
// one more, then starts TURNS_PER_MINUTE turns and asks for one more: both
// are 429 with Retry-After, before the model is called.
func TestTurnLimitsAnswer429(t *testing.T) {
	t.Run("in flight", func(t *testing.T) {
		each(t, map[string]string{"MAX_CONCURRENT_TURNS": "2"}, func(t *testing.T, env *apitest.Env) {
			u := env.Register(t)
			hold := make(chan struct{})
			env.Gemini.Enqueue(
				geminitest.Reply{Chunks: []string{"one", " more"}, Hold: hold, HoldAfter: 1},
				geminitest.Reply{Chunks: []string{"two", " more"}, Hold: hold, HoldAfter: 1},
			)
			var wg sync.WaitGroup
			for range 2 {
				resp := send(t, env, u.Token, map[string]any{"message": "hold on", "stream": true})
				wg.Go(func() {
					defer resp.Body.Close()
					var f frontendStream
					f.consume(t, resp.Body)
				})
			}
			waitFor(t, func() bool { return streams(env) == 2 })
			third := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "and another", "stream": false})
			close(hold)
			wg.Wait()
			if third.Status != http.StatusTooManyRequests || third.Err(t).Code != "rate_limited" || third.Header.Get("Retry-After") == "" {
				t.Fatalf("a third turn in flight: %d %s", third.Status, third.Body)
			}
			if streams(env) != 2 {
				t.Errorf("the refused turn reached the model")
			}
			if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "now", "stream": false}); r.Status != http.StatusOK {
				t.Errorf("after the two ended: %d %s", r.Status, r.Body)
			}
		})
	})
	t.Run("per minute", func(t *testing.T) {
		each(t, map[string]string{"TURNS_PER_MINUTE": "2"}, func(t *testing.T, env *apitest.Env) {
			u := env.Register(t)
			var last *apitest.Response
			for range 3 {
				last = env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hello", "stream": false})
			}
			// Two turns fit in a minute; the third is refused unless the
			// minute turned between them, in which case a fourth is.
			if last.Status == http.StatusOK {
				last = env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hello", "stream": false})
			}
			if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
				t.Fatalf("past the minute's turns: %d %s", last.Status, last.Body)
			}
		})
	})
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
