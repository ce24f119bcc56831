package chat_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/devtools/faults"
)

// streak fails a run of an operation's requests with a 500 once armed: it
// lets the first pass go through, then fails the next fail.
type streak struct {
	mu               sync.Mutex
	op               string
	pass, fail, seen int
}

func (s *streak) arm(op string, pass, fail int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.op, s.pass, s.fail, s.seen = op, pass, fail, 0
}

func (s *streak) policy(r faults.Request) faults.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Operation != s.op {
		return faults.None
	}
	s.seen++
	if s.seen > s.pass && s.seen <= s.pass+s.fail {
		return faults.ServerError
	}
	return faults.None
}

// outage is a user with one conversation, on a table whose DynamoDB fails
// as its streak is armed.
type outage struct {
	env            *apitest.Env
	streak         *streak
	user           apitest.User
	conversationID string
}

// newOutage starts the API on tb behind a streak, with vars, and has a new
// user start a conversation with a turn that the faults do not touch.
func newOutage(t *testing.T, tb dynamotest.Table, vars map[string]string) *outage {
	t.Helper()
	dynamotest.RequireTransactions(t, tb)
	s := &streak{}
	env := apitest.New(t, dynamotest.Behind(t, tb, &faults.Injector{Policy: s.policy}), vars)
	u := env.Register(t)
	var out struct {
		Data struct{ ConversationID string }
	}
	resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hi", "stream": false})
	resp.Decode(t, &out)
	if resp.Status != http.StatusOK {
		t.Fatalf("first turn: %d %s", resp.Status, resp.Body)
	}
	return &outage{env: env, streak: s, user: u, conversationID: out.Data.ConversationID}
}

// send sends message in the conversation.
func (o *outage) send(t *testing.T, message string, stream bool) *apitest.Response {
	t.Helper()
	return o.env.Do(t, "POST", "/api/chat/send", o.user.Token, map[string]any{"message": message, "conversationId": o.conversationID, "stream": stream})
}

// TestReleaseOutlastsAnOutage has DynamoDB fail the charge that frees a
// turn's slot through the SDK's retries (4 attempts) and once more: the
// release tries again within its budget, so the turn is charged and its
// slot freed, and the user's next turn is not refused for a slot that was
// still held.
func TestReleaseOutlastsAnOutage(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		o := newOutage(t, tb, map[string]string{"DEFAULT_CREDITS": "5", "MAX_CONCURRENT_TURNS": "1"})
		var out struct{ Data struct{ Credits int } }
		// The second turn's transactions: the message's save and the
		// reply's, then the charge, failed 5 times.
		o.streak.arm("TransactWriteItems", 2, 5)
		resp := o.send(t, "again", false)
		resp.Decode(t, &out)
		o.streak.arm("", 0, 0)
		if resp.Status != http.StatusOK || out.Data.Credits != 3 {
			t.Errorf("second turn: %d %s; want 200 with 3 credits left (the turn charged)", resp.Status, resp.Body)
		}
		resp = o.send(t, "once more", false)
		resp.Decode(t, &out)
		if resp.Status != http.StatusOK || out.Data.Credits != 2 {
			t.Errorf("third turn: %d %s; want 200 with 2 credits left (the second turn's slot freed)", resp.Status, resp.Body)
		}
		// An outage that outlasts the release's budget: the turn still
		// answers, the failure is counted for an alarm to see, and the
		// slot holds until it expires.
		o.streak.arm("TransactWriteItems", 2, 1000)
		resp = o.send(t, "and again", false)
		o.streak.arm("", 0, 0)
		if resp.Status != http.StatusOK {
			t.Errorf("fourth turn: %d %s; want 200", resp.Status, resp.Body)
		}
		m := o.env.MetricsWhen(t, func(m []emfproof.Series) bool { return len(emfproof.Values(m, "SlotReleaseFailed", service)) == 4 })
		if got, want := emfproof.Values(m, "SlotReleaseFailed", service), []float64{0, 0, 0, 1}; !slices.Equal(got, want) {
			t.Errorf("SlotReleaseFailed = %v, want %v", got, want)
		}
	})
}

// TestReplyNotSavedIsUnavailable has DynamoDB fail the reply's save for
// longer than its retries: the JSON answer is a 503 unavailable with
// Retry-After, as any AWS outage is, not a 502 blaming the model; the
// user's message stays, the reply is not kept and nothing is charged.
func TestReplyNotSavedIsUnavailable(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		o := newOutage(t, tb, map[string]string{"DEFAULT_CREDITS": "5"})
		// The message's save passes; every save of the reply fails.
		o.streak.arm("TransactWriteItems", 1, 1000)
		resp := o.send(t, "again", false)
		o.streak.arm("", 0, 0)
		if resp.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(resp.Body), `"code":"unavailable"`) {
			t.Errorf("turn whose reply could not be saved: %d %v %s; want 503 unavailable with Retry-After", resp.Status, resp.Header, resp.Body)
		}
		resp = o.env.Do(t, "GET", "/api/auth/me", o.user.Token, nil)
		if !strings.Contains(string(resp.Body), `"credits":4`) {
			t.Errorf("after: %s; want 4 credits (only the first turn charged)", resp.Body)
		}
	})
}

// TestJournalEndOutlastsAnOutage has DynamoDB fail the write of a turn's
// last journal batch (its complete event) through the SDK's retries and
// once more: the journal's end is tried again, so a stream resumed after
// the turn ends at once with the reply, instead of waiting for the turn's
// deadline (2 minutes here) to rebuild it from the saved reply.
func TestJournalEndOutlastsAnOutage(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		o := newOutage(t, tb, map[string]string{"TURN_TIMEOUT": "2m"})
		// A short reply's journal is one PutItem: its last batch, which
		// holds the complete event.
		o.streak.arm("PutItem", 0, 5)
		resp := o.send(t, "again", true)
		o.streak.arm("", 0, 0)
		events, err := apitest.NewSSEReader(bytes.NewReader(resp.Body)).All()
		if err != nil || len(events) == 0 || events[0].Type != "metadata" {
			t.Fatalf("turn: %d %v %s", resp.Status, err, resp.Body)
		}
		id := events[0].Data["messageId"].(string)
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(rctx, "GET", o.env.URL+"/api/chat/stream/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+o.user.Token)
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Body.Close()
		resumed, err := apitest.NewSSEReader(again.Body).All()
		if err != nil {
			t.Fatalf("resumed stream: %v (a journal without its end waits for the turn's deadline)", err)
		}
		if n := len(resumed); n < 2 || resumed[n-2].Type != "complete" {
			t.Errorf("resumed stream ends %+v", resumed)
		}
	})
}
