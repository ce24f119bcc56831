package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// open starts a request whose body the test reads as it comes; cancel
// drops the connection.
func open(t testing.TB, env *apitest.Env, method, path, token string, body any, lastEventID string) (*http.Response, context.CancelFunc) {
	t.Helper()
	rctx, cancel := context.WithCancel(ctx)
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequestWithContext(rctx, method, env.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return resp, cancel
}

// checkIDs checks that events' ids grow, all after from.
func checkIDs(t *testing.T, from string, events []apitest.Event) {
	t.Helper()
	prev := chat.EventID{}
	if from != "" {
		var err error
		if prev, err = chat.ParseEventID(from); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range events {
		if e.Done {
			continue
		}
		id, err := chat.ParseEventID(e.ID)
		if err != nil || (from != "" || prev != chat.EventID{}) && !id.After(prev) {
			t.Fatalf("event id %q after %v: %v", e.ID, prev, err)
		}
		prev = id
	}
}

func text(events []apitest.Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.Text())
	}
	return b.String()
}

func savedReply(t *testing.T, env *apitest.Env, userID, convID string) agent.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		th, err := env.Deps.Store.Thread(ctx, userID, convID)
		if err == nil && len(th.Messages) == 2 {
			return th.Messages[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the reply was not saved")
	return agent.Message{}
}

// TestResumeAfterDrop drops the reader mid-stream and resumes from a second
// connection with the last id it saw: the text of the two connections,
// put together, is the saved reply byte for byte.
func TestResumeAfterDrop(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		hold := make(chan struct{})
		chunks := []string{"Alpha ", "beta ", "gämma ", "delta ", "epsilon ", "zeta ", "eta ", "thêta."}
		env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Hold: hold, HoldAfter: 3})
		resp, drop := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "count", "stream": true}, "")
		rd := apitest.NewSSEReader(resp.Body)
		var first []apitest.Event
		for text(first) != "Alpha beta gämma " {
			e, err := rd.Next()
			if err != nil {
				t.Fatalf("first connection: %v after %+v", err, first)
			}
			first = append(first, e)
		}
		drop() // the reader leaves while the model still writes
		meta := first[0]
		if meta.Type != "metadata" || meta.ID != "0.1" {
			t.Fatalf("first event %+v", meta)
		}
		msgID, convID := meta.Data["messageId"].(string), meta.Data["conversationId"].(string)
		last := first[len(first)-1].ID

		again, _ := open(t, env, "GET", "/api/chat/stream/"+msgID, u.Token, nil, last)
		if again.StatusCode != 200 || !strings.HasPrefix(again.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("resume: %d %s", again.StatusCode, again.Header.Get("Content-Type"))
		}
		close(hold)
		second, err := apitest.NewSSEReader(again.Body).All()
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, last, second)
		if n := len(second); n < 2 || second[n-2].Type != "complete" || second[n-2].Data["reason"] != "completed" || !second[n-1].Done {
			t.Fatalf("resumed stream ends %+v", second)
		}
		saved := savedReply(t, env, u.ID, convID)
		if got := text(first) + text(second); got != saved.Content || got != strings.Join(chunks, "") {
			t.Errorf("first + resumed = %q, saved %q", got, saved.Content)
		}
	})
}

// TestResumeFinishedTurn replays a finished turn: from its journal, the
// same events as the original stream (artifacts rendered afresh); once the
// journal is gone, the same text and ending rebuilt from the saved reply.
func TestResumeFinishedTurn(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		resp, _ := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "Create a React counter component", "stream": true}, "")
		original, err := apitest.NewSSEReader(resp.Body).All()
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, "", original)
		msgID := original[0].Data["messageId"].(string)
		path := "/api/chat/stream/" + msgID

		replay, _ := open(t, env, "GET", path, u.Token, nil, "")
		replayed, err := apitest.NewSSEReader(replay.Body).All()
		if err != nil {
			t.Fatal(err)
		}
		if len(replayed) != len(original) {
			t.Fatalf("replayed %d events, original %d", len(replayed), len(original))
		}
		artifacts := 0
		for i := range original {
			o, r := original[i], replayed[i]
			if o.ID != r.ID || o.Type != r.Type || o.Text() != r.Text() || o.Done != r.Done {
				t.Fatalf("event %d: original %+v, replayed %+v", i, o, r)
			}
			if art, ok := o.Data["artifact"].(map[string]any); ok {
				artifacts++
				if got := r.Data["artifact"].(map[string]any); got["id"] != art["id"] || got["previewUrl"] == "" {
					t.Errorf("replayed artifact %v, original %v", got, art)
				}
			}
		}
		if artifacts == 0 {
			t.Fatal("the reply made no artifact")
		}

		// The journal is gone (expired): the stream is rebuilt from the
		// saved reply, from the middle of the text on.
		dropBatches(t, env, msgID)
		var mid apitest.Event
		for _, e := range original {
			if e.Text() != "" {
				mid = e
				break
			}
		}
		rebuilt, _ := open(t, env, "GET", path, u.Token, nil, mid.ID)
		rest, err := apitest.NewSSEReader(rebuilt.Body).All()
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, mid.ID, rest)
		whole := text(original)
		if got, want := mid.Text()+text(rest), whole[strings.Index(whole, mid.Text()):]; got != want {
			t.Errorf("rebuilt text %q, want %q", got, want)
		}
		n := len(rest)
		if rest[n-2].Type != "complete" || rest[n-2].Data["reason"] != "completed" || !rest[n-1].Done || rest[n-3].Data["type"] != "artifact" {
			t.Errorf("rebuilt stream ends %+v", rest[n-3:])
		}
	})
}

// dropBatches deletes a turn's event batches, as their TTL would.
func dropBatches(t *testing.T, env *apitest.Env, msgID string) {
	t.Helper()
	out, err := env.Table.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(env.Table.Name),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :ev)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "TURN#" + msgID}, ":ev": &types.AttributeValueMemberS{Value: "EV#"},
		},
	})
	if err != nil || len(out.Items) == 0 {
		t.Fatalf("batches: %d, %v", len(out.Items), err)
	}
	for _, it := range out.Items {
		if _, err := env.Table.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(env.Table.Name), Key: map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStop stops a turn from another connection while the model writes:
// the stream ends stopped, the saved reply is a prefix of what the model
// would have sent, and the turn is charged (it kept that text). A second stop
// stands; once finished, a stop is a conflict; another user's is not
// found.
func TestStop(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		hold := make(chan struct{})
		defer close(hold)
		chunks := []string{"First ", "second ", "third ", "fourth."}
		env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Hold: hold, HoldAfter: 2})
		resp, _ := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "count", "stream": true}, "")
		rd := apitest.NewSSEReader(resp.Body)
		var events []apitest.Event
		for text(events) != "First second " {
			e, err := rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		msgID, convID := events[0].Data["messageId"].(string), events[0].Data["conversationId"].(string)
		stop := "/api/chat/stop/" + msgID

		if r := env.Do(t, "POST", stop, other.Token, nil); r.Status != 404 || r.Err(t).Code != "not_found" {
			t.Fatalf("another user's stop: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "POST", stop, u.Token, nil); r.Status != 200 {
			t.Fatalf("stop: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "POST", stop, u.Token, nil); r.Status != 200 {
			t.Fatalf("second stop: %d %s", r.Status, r.Body)
		}
		rest, err := rd.All()
		if err != nil {
			t.Fatal(err)
		}
		n := len(rest)
		if n < 2 || rest[n-2].Type != "complete" || rest[n-2].Data["reason"] != "stopped" || !rest[n-1].Done {
			t.Fatalf("stream after the stop: %+v", rest)
		}
		saved := savedReply(t, env, u.ID, convID)
		streamed := text(events) + text(rest)
		if !saved.Stopped || saved.Content != streamed || !strings.HasPrefix(strings.Join(chunks, ""), saved.Content) {
			t.Errorf("saved %+v, streamed %q", saved, streamed)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 19 {
			t.Errorf("credits %d, want 19: the reply kept the text written before the stop", me.Credits)
		}
		if r := env.Do(t, "POST", stop, u.Token, nil); r.Status != 409 || r.Err(t).Code != "conflict" {
			t.Errorf("stop of a finished turn: %d %s", r.Status, r.Body)
		}
		replay, _ := open(t, env, "GET", "/api/chat/stream/"+msgID, u.Token, nil, "")
		all, err := apitest.NewSSEReader(replay.Body).All()
		if err != nil || text(all) != saved.Content || all[len(all)-2].Data["reason"] != "stopped" {
			t.Errorf("replay of a stopped turn: %+v %v", all, err)
		}
	})
}

// TestStopBeforeAnyText stops a turn whose model has not written yet (the
// producer finds the flag while the model is silent): the turn ends
// stopped and costs nothing. A reader tailing it sees the same end.
func TestStopBeforeAnyText(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		hold := make(chan struct{})
		defer close(hold)
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"never ", "sent"}, Hold: hold, HoldAfter: 0})
		resp, _ := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "wait", "stream": true}, "")
		rd := apitest.NewSSEReader(resp.Body)
		meta, err := rd.Next()
		if err != nil || meta.Type != "metadata" {
			t.Fatalf("%+v %v", meta, err)
		}
		msgID := meta.Data["messageId"].(string)
		tail, _ := open(t, env, "GET", "/api/chat/stream/"+msgID, u.Token, nil, meta.ID)
		if r := env.Do(t, "POST", "/api/chat/stop/"+msgID, u.Token, nil); r.Status != 200 {
			t.Fatalf("stop: %d %s", r.Status, r.Body)
		}
		for name, body := range map[string]io.Reader{"sender": resp.Body, "tail": tail.Body} {
			var r *apitest.SSEReader
			if name == "sender" {
				r = rd
			} else {
				r = apitest.NewSSEReader(body)
			}
			rest, err := r.All()
			if err != nil || len(rest) != 2 || rest[0].Type != "complete" || rest[0].Data["reason"] != "stopped" || rest[0].ID != "0.2" || !rest[1].Done {
				t.Errorf("%s: %+v %v", name, rest, err)
			}
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 20 {
			t.Errorf("credits %d, want 20: nothing went out before the stop", me.Credits)
		}
	})
}

func TestResumeAndStopErrors(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hi"})
		var sent struct{ Data struct{ MessageID string } }
		r.Decode(t, &sent)
		tests := []struct {
			name, method, path, token, lastEventID string
			status                                 int
			code                                   string
		}{
			{"another user's stream", "GET", "/api/chat/stream/" + sent.Data.MessageID, other.Token, "", 404, "not_found"},
			{"a missing stream", "GET", "/api/chat/stream/01900000-0000-7000-8000-000000000000", u.Token, "", 404, "not_found"},
			{"not an id", "GET", "/api/chat/stream/nope", u.Token, "", 404, "not_found"},
			{"a bad Last-Event-ID", "GET", "/api/chat/stream/" + sent.Data.MessageID, u.Token, "12", 400, "validation_error"},
			{"no token", "GET", "/api/chat/stream/" + sent.Data.MessageID, "", "", 401, "unauthorized"},
			{"stop not an id", "POST", "/api/chat/stop/nope", u.Token, "", 404, "not_found"},
			{"stop a missing turn", "POST", "/api/chat/stop/01900000-0000-7000-8000-000000000000", u.Token, "", 404, "not_found"},
			{"stop a finished turn", "POST", "/api/chat/stop/" + sent.Data.MessageID, u.Token, "", 409, "conflict"},
		}
		for _, tc := range tests {
			req, _ := http.NewRequest(tc.method, env.URL+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			if tc.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tc.lastEventID)
			}
			resp := apitest.Send(t, req)
			if resp.Status != tc.status || resp.Err(t).Code != tc.code {
				t.Errorf("%s: %d %s", tc.name, resp.Status, resp.Body)
			}
		}
	})
}
