package store_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

func newUser(t *testing.T, s *store.Store) agent.User {
	t.Helper()
	now := time.Now()
	u := agent.User{ID: id(), Email: id() + "@example.com", Username: "u" + id()[:8], CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(ctx, u, "$argon2id$x", store.Attempts{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConversationWrites(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u := newUser(t, s)
		start := time.Now().Add(-time.Minute)
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Counter", CreatedAt: start}
		if err := s.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UserByID(ctx, u.ID); got.ConversationCount != 1 {
			t.Errorf("conversationCount = %d, want 1", got.ConversationCount)
		}

		// Concurrent appends: every one is counted, the newest is the preview.
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "message", CreatedAt: start.Add(time.Duration(i+1) * time.Second)}
				if i == n-1 {
					m.Content = "the newest"
				}
				if err := s.AppendMessage(ctx, u.ID, m); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.ConversationMeta(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageCount != n || got.LastMessage == nil || got.LastMessage.Content != "the newest" ||
			!got.UpdatedAt.Equal(start.Add(n*time.Second).Truncate(time.Millisecond)) {
			t.Errorf("after %d concurrent appends: count %d, last %+v, updatedAt %s", n, got.MessageCount, got.LastMessage, got.UpdatedAt)
		}

		if err := s.AppendMessage(ctx, u.ID, agent.Message{ID: id(), ConversationID: id(), Role: agent.RoleUser, Content: "x", CreatedAt: time.Now()}); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("append to a missing conversation: %v", err)
		}
		if _, err := s.RenameConversation(ctx, id(), c.ID, "stolen", time.Now()); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("rename another user's conversation: %v", err)
		}

		// Delete: begin twice (a retry) counts once; writes to it now fail.
		for range 2 {
			if err := s.BeginDeleteConversation(ctx, u.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.UserByID(ctx, u.ID); got.ConversationCount != 0 {
			t.Errorf("conversationCount after delete = %d, want 0", got.ConversationCount)
		}
		if _, err := s.ConversationMeta(ctx, u.ID, c.ID); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("a conversation being deleted is readable: %v", err)
		}
		a := agent.Artifact{ID: id(), UserID: u.ID, ConversationID: c.ID, MessageID: id(), Title: "late", Language: "tsx", Type: agent.TypeReact}
		if err := s.PutArtifact(ctx, a); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("artifact into a deleted conversation: %v", err)
		}
		if err := s.BeginDeleteConversation(ctx, id(), c.ID); !agent.IsCode(err, agent.NotFound) {
			t.Errorf("another user deleting: %v", err)
		}
	})
}

// fault answers the first attempt of a request in place of the server (next
// reaches it).
type fault func(next dynamodb.HTTPClient, req *http.Request) (*http.Response, error)

// faultyClient is a DynamoDB client's HTTP client that answers the first
// attempt of each request for an operation in faults with the fault, as
// real DynamoDB may and the local servers never do; the SDK's retries reach
// the server.
type faultyClient struct {
	next   dynamodb.HTTPClient
	faults map[string]fault // by operation, such as "TransactWriteItems"
}

func (c faultyClient) Do(req *http.Request) (*http.Response, error) {
	_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	if f := c.faults[op]; f != nil && strings.HasPrefix(req.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
		return f(c.next, req)
	}
	return c.next.Do(req)
}

// storeWithFaults returns a Store on tb's table whose client, built as every
// client is (settings.DynamoDBClient), meets faults.
func storeWithFaults(t *testing.T, tb dynamotest.Table, faults map[string]fault) *store.Store {
	t.Helper()
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{DynamoDB: tb.Backend.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	client := settings.DynamoDBClient(cfg, tb.Backend.Endpoint, func(o *dynamodb.Options) {
		o.HTTPClient = faultyClient{next: o.HTTPClient, faults: faults}
	})
	return store.New(client, tb.Name)
}

func dynamoAnswer(req *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}

// conflict answers as DynamoDB does a write that meets a transaction in
// progress on the same item: nothing of it is applied.
func conflict(_ dynamodb.HTTPClient, req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".TransactWriteItems") {
		return dynamoAnswer(req, 400, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",`+
			`"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]",`+
			`"CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}`), nil
	}
	return dynamoAnswer(req, 400, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`), nil
}

// lostAnswer lets the request reach the server and then loses its answer: a
// 500 in its place, which the SDK retries.
func lostAnswer(next dynamodb.HTTPClient, req *http.Request) (*http.Response, error) {
	resp, err := next.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, err
	}
	return dynamoAnswer(req, 500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`), nil
}

// TestAppendMessageIsIdempotent appends a message twice, as the SDK does
// when the answer to a commit is lost: DynamoDB recognises the retry by its
// ClientRequestToken, the local servers fail its condition. Either way the
// message is saved, not reported as a failure, and counted once.
func TestAppendMessageIsIdempotent(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u := newUser(t, s)
		start := time.Now().Add(-time.Minute)
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Retries", CreatedAt: start}
		if err := s.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		m := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleAssistant, Content: "the reply", CreatedAt: start.Add(time.Second)}
		for i := range 2 {
			if err := s.AppendMessage(ctx, u.ID, m); err != nil {
				t.Fatalf("append #%d of the same message: %v", i+1, err)
			}
		}
		lost := storeWithFaults(t, tb, map[string]fault{"TransactWriteItems": lostAnswer})
		next := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "thanks", CreatedAt: start.Add(2 * time.Second)}
		if err := lost.AppendMessage(ctx, u.ID, next); err != nil {
			t.Fatalf("append whose answer was lost and retried by the SDK: %v", err)
		}
		// Another message under a saved message's id is not the same one.
		other := m
		other.Content = "another reply"
		if err := s.AppendMessage(ctx, u.ID, other); err == nil {
			t.Error("a different message under a saved message's id was accepted")
		}

		got, err := s.ConversationMeta(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageCount != 2 || got.LastMessage == nil || got.LastMessage.Content != "thanks" {
			t.Errorf("messageCount %d, last %+v; want 2 and the newest", got.MessageCount, got.LastMessage)
		}
		th, err := s.Thread(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != 2 || th.Messages[0].Content != "the reply" || th.Messages[1].Content != "thanks" {
			t.Errorf("saved messages = %+v", th.Messages)
		}
	})
}

// TestRenameRacingAppends renames a conversation while messages are
// appended to it, every write meeting a transaction in progress once
// (DynamoDB cancels such a write; the local servers never do): no message is
// lost, each is counted once, and the new title stays.
func TestRenameRacingAppends(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		plain := newStore(t, tb)
		u := newUser(t, plain)
		start := time.Now().Add(-time.Minute)
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Before", CreatedAt: start}
		if err := plain.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}

		s := storeWithFaults(t, tb, map[string]fault{"TransactWriteItems": conflict, "UpdateItem": conflict})
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "message", CreatedAt: start.Add(time.Duration(i+1) * time.Second)}
				if err := s.AppendMessage(ctx, u.ID, m); err != nil {
					t.Errorf("append: %v", err)
				}
			})
			if i == n/2 {
				wg.Go(func() {
					if _, err := s.RenameConversation(ctx, u.ID, c.ID, "After", time.Now()); err != nil {
						t.Errorf("rename: %v", err)
					}
				})
			}
		}
		wg.Wait()
		got, err := plain.ConversationMeta(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageCount != n || got.Title != "After" {
			t.Errorf("messageCount %d, title %q; want %d and the new title", got.MessageCount, got.Title, n)
		}
		if th, err := plain.Thread(ctx, u.ID, c.ID); err != nil || len(th.Messages) != n {
			t.Errorf("saved %d messages, want %d (%v)", len(th.Messages), n, err)
		}
	})
}

// TestConversationStartsWithItsMessage creates a conversation with its first
// message in one transaction: the message is there, counted and shown as
// the preview, and the conversation lists at the message's time. A summary
// then only moves forward.
func TestConversationStartsWithItsMessage(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		u := newUser(t, s)
		start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
		c := agent.Conversation{ID: id(), UserID: u.ID, Title: "Counter", CreatedAt: start}
		m := agent.Message{ID: id(), ConversationID: c.ID, Role: agent.RoleUser, Content: "Make a counter", CreatedAt: start.Add(time.Millisecond)}
		if err := s.CreateConversation(ctx, c, m); err != nil {
			t.Fatal(err)
		}
		th, err := s.Thread(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := th.Conversation
		if len(th.Messages) != 1 || th.Messages[0].Content != m.Content || got.MessageCount != 1 ||
			got.LastMessage == nil || got.LastMessage.Content != m.Content || !got.UpdatedAt.Equal(m.CreatedAt) {
			t.Errorf("messages %+v, conversation %+v", th.Messages, got)
		}
		if u2, _ := s.UserByID(ctx, u.ID); u2.ConversationCount != 1 {
			t.Errorf("conversationCount = %d, want 1", u2.ConversationCount)
		}
		// Sent again, as the SDK does after a lost answer: no error, and
		// nothing counted twice.
		if err := s.CreateConversation(ctx, c, m); err != nil {
			t.Errorf("the same conversation created again: %v", err)
		}
		if u2, _ := s.UserByID(ctx, u.ID); u2.ConversationCount != 1 {
			t.Errorf("conversationCount = %d after the retry, want 1", u2.ConversationCount)
		}

		steps := []struct{ summary, through, want string }{
			{"first", "m2", "first"},
			{"older", "m1", "first"},
			{"newer", "m3", "newer"},
		}
		for _, st := range steps {
			if err := s.SetSummary(ctx, c.ID, st.summary, st.through); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.ConversationMeta(ctx, u.ID, c.ID); got.Summary != st.want {
				t.Errorf("after the summary through %s: %q, want %q", st.through, got.Summary, st.want)
			}
		}
	})
}
