package chat_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

var ctx = context.Background()

// each runs fn on every backend with transactions (a turn writes messages
// in transactions).
func each(t *testing.T, env map[string]string, fn func(t *testing.T, env *apitest.Env)) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		fn(t, apitest.New(t, tb, env))
	})
}

// frontendStream is what the existing frontend's streamChatMessage
// (frontend/lib/api/chat.ts) makes of a response: it decodes each network
// read on its own, splits it on newlines, keeps `data: ` lines, parses them
// as JSON and dispatches on type and data.type.
type frontendStream struct {
	conversationID, messageID string
	text                      strings.Builder
	artifacts                 []map[string]any
	builds                    []map[string]any
	kinds                     []string // every event's type, in order ("[DONE]" last)
	complete                  map[string]any
	err, errCode              string
	parseFailures             int
	// onRead is called after each read with the deltas seen so far.
	onRead func(deltas int)
	deltas int
}

func (f *frontendStream) consume(t *testing.T, body io.Reader) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			for _, line := range strings.Split(string(buf[:n]), "\n") {
				if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, "data: ") {
					continue
				}
				data := strings.TrimPrefix(line, "data: ")
				if data == "[DONE]" {
					f.kinds = append(f.kinds, "[DONE]")
					return
				}
				var ev struct {
					Type string         `json:"type"`
					Data map[string]any `json:"data"`
				}
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					f.parseFailures++ // the frontend logs "Failed to parse SSE data" and loses the event
					continue
				}
				f.kinds = append(f.kinds, ev.Type)
				switch {
				case ev.Type == "chunk" && ev.Data["text"] != nil:
					f.text.WriteString(ev.Data["text"].(string))
					f.deltas++
				case ev.Type == "chunk" && ev.Data["type"] == "artifact":
					f.artifacts = append(f.artifacts, ev.Data["artifact"].(map[string]any))
				case ev.Type == "chunk" && ev.Data["type"] == "build":
					f.builds = append(f.builds, ev.Data["buildResult"].(map[string]any))
				case ev.Type == "metadata":
					f.conversationID, _ = ev.Data["conversationId"].(string)
					f.messageID, _ = ev.Data["messageId"].(string)
				case ev.Type == "complete":
					f.complete = ev.Data
				case ev.Type == "error":
					f.err, _ = ev.Data["error"].(string)
					f.errCode, _ = ev.Data["code"].(string)
				}
			}
			if f.onRead != nil {
				f.onRead(f.deltas)
			}
		}
		if err != nil {
			return
		}
	}
}

func send(t *testing.T, env *apitest.Env, token string, body map[string]any) *http.Response {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", env.URL+"/api/chat/send", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestStreamAsTheFrontendReadsIt(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		resp := send(t, env, u.Token, map[string]any{"message": "Create a React counter component", "stream": true,
			"enableSecurity": true, "enableBuilding": true, "enablePreview": true})
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var f frontendStream
		f.consume(t, resp.Body)
		if f.parseFailures != 0 {
			t.Errorf("%d events did not parse as the frontend reads them", f.parseFailures)
		}
		if len(f.kinds) < 4 || f.kinds[0] != "metadata" || f.kinds[len(f.kinds)-2] != "complete" || f.kinds[len(f.kinds)-1] != "[DONE]" {
			t.Fatalf("event sequence = %v", f.kinds)
		}
		if f.complete["reason"] != "completed" || f.complete["credits"] != float64(19) || f.complete["messageId"] != f.messageID {
			t.Errorf("complete = %v", f.complete)
		}

		// The saved conversation holds exactly what the client assembled.
		th, err := env.Deps.Store.Thread(ctx, u.ID, f.conversationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != 2 || th.Messages[0].Content != "Create a React counter component" || th.Messages[1].ID != f.messageID {
			t.Fatalf("saved messages = %+v", th.Messages)
		}
		if got := th.Messages[1].Content; got != f.text.String() || !strings.Contains(got, "export default function") {
			t.Errorf("saved reply differs from the streamed text:\nsaved:    %q\nstreamed: %q", got, f.text.String())
		}
		// One artifact, announced once, whose code equals the fenced block.
		blocks := codeblock.Parse(f.text.String())
		if len(f.artifacts) != 1 || len(blocks) != 1 {
			t.Fatalf("artifacts %d, blocks %d", len(f.artifacts), len(blocks))
		}
		a := f.artifacts[0]
		if a["type"] != "REACT" || a["language"] != "tsx" || a["size"] != a["fileSize"] || a["messageId"] != f.messageID {
			t.Errorf("artifact = %v", a)
		}
		code, err := env.Deps.Blob.Get(ctx, a["s3Key"].(string))
		if err != nil || string(code) != blocks[0].Code {
			t.Errorf("stored code differs from the fenced block (%v)", err)
		}
		if arts := th.Artifacts[f.messageID]; len(arts) != 1 || arts[0].ID != a["id"] {
			t.Errorf("artifact not saved with its message: %+v", th.Artifacts)
		}
	})
}

func TestDeltasArriveBeforeTheModelFinishes(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		hold := make(chan struct{})
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"First ", "second ", "third ", "fourth."}, Hold: hold, HoldAfter: 2})
		resp := send(t, env, u.Token, map[string]any{"message": "count to four", "stream": true})
		defer resp.Body.Close()
		released := false
		f := frontendStream{onRead: func(deltas int) {
			if deltas >= 2 && !released {
				// Two deltas are here while the model still holds the rest.
				released = true
				close(hold)
			}
		}}
		done := make(chan struct{})
		go func() { f.consume(t, resp.Body); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("stream did not finish: were the first deltas held back until the end?")
		}
		if !released || f.text.String() != "First second third fourth." {
			t.Errorf("released %v, text %q", released, f.text.String())
		}
	})
}

func TestClientDisconnectStillSavesTheWholeReply(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		chunks := []string{"one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight."}
		env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Delay: 40 * time.Millisecond})
		reqCtx, cancel := context.WithCancel(ctx)
		data, _ := json.Marshal(map[string]any{"message": "count", "stream": true})
		req, _ := http.NewRequestWithContext(reqCtx, "POST", env.URL+"/api/chat/send", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var conv, msg string
		sc := bufio.NewScanner(resp.Body)
		deltas := 0
		for sc.Scan() && deltas < 2 {
			line := sc.Text()
			if strings.Contains(line, `"type":"metadata"`) {
				var ev struct{ Data map[string]string }
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev)
				conv, msg = ev.Data["conversationId"], ev.Data["messageId"]
			}
			if strings.Contains(line, `"text"`) {
				deltas++
			}
		}
		cancel() // the client leaves after two deltas
		resp.Body.Close()

		want := strings.Join(chunks, "")
		var got agent.Message
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			th, err := env.Deps.Store.Thread(ctx, u.ID, conv)
			if err == nil && len(th.Messages) == 2 {
				got = th.Messages[1]
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got.ID != msg || got.Content != want || got.Error != "" {
			t.Fatalf("saved reply = %+v, want the complete text %q", got, want)
		}
		// The charge follows the save, with no client left to wait for it.
		waitFor(t, func() bool {
			me, _ := env.Deps.Store.UserByID(ctx, u.ID)
			return me.Credits == 19 // a completed reply is charged even if the client left
		})
	})
}

func TestModelFailureMidStream(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is ", "part ", "of it", " and more"}, Cut: true, CutAfter: 3})
		resp := send(t, env, u.Token, map[string]any{"message": "write something", "stream": true})
		defer resp.Body.Close()
		var f frontendStream
		f.consume(t, resp.Body)
		if !strings.HasPrefix(f.err, "Stream error: ") || f.complete != nil {
			t.Fatalf("error event %q, complete %v, kinds %v", f.err, f.complete, f.kinds)
		}
		if f.kinds[len(f.kinds)-2] != "error" || f.kinds[len(f.kinds)-1] != "[DONE]" {
			t.Errorf("sequence = %v", f.kinds)
		}
		th, err := env.Deps.Store.Thread(ctx, u.ID, f.conversationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != 2 || th.Messages[1].Content != "Here is part of it" || th.Messages[1].Error == "" {
			t.Errorf("saved = %+v, want the partial text with an error mark", th.Messages)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 19 {
			t.Errorf("credits = %d, want 19: a turn that kept its partial text costs its credit, failed or not", me.Credits)
		}
	})
}

func TestCreditsExhausted(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "1"}, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hi", "stream": false})
		var ok struct {
			Message string
			Data    struct {
				ConversationID, MessageID, UserMessageID, Response, Title string
				Artifacts                                                 []any
				Credits                                                   int
			}
		}
		resp.Decode(t, &ok)
		if resp.Status != 200 || ok.Data.Response == "" || ok.Data.ConversationID == "" || ok.Data.Artifacts == nil || ok.Data.Credits != 0 {
			t.Fatalf("first chat = %d %s", resp.Status, resp.Body)
		}
		before := len(env.Gemini.Requests())
		resp = env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "again", "stream": true, "conversationId": ok.Data.ConversationID})
		e := resp.Err(t)
		if resp.Status != 403 || e.Code != "credits_exhausted" || !strings.Contains(e.Message, "You have exhausted your credits") {
			t.Fatalf("second chat = %d %s", resp.Status, resp.Body)
		}
		if after := len(env.Gemini.Requests()); after != before {
			t.Errorf("the model was called %d times after credits ran out", after-before)
		}
	})
}

func TestSendRejects(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		owner, other := env.Register(t), env.Register(t)
		resp := env.Do(t, "POST", "/api/chat/send", owner.Token, map[string]any{"message": "mine", "stream": false})
		var body struct {
			Data struct{ ConversationID string }
		}
		resp.Decode(t, &body)
		tests := []struct {
			name       string
			token      string
			body       any
			wantStatus int
		}{
			{"another user's conversation", other.Token, map[string]any{"message": "hi", "conversationId": body.Data.ConversationID}, 404},
			{"unknown conversation", owner.Token, map[string]any{"message": "hi", "conversationId": "0190a000-0000-7000-8000-000000000000"}, 404},
			{"malformed conversation id", owner.Token, map[string]any{"message": "hi", "conversationId": "nope"}, 400},
			{"no message", owner.Token, map[string]any{"stream": true}, 400},
			{"blank message", owner.Token, map[string]any{"message": "  \n"}, 400},
			{"message too long", owner.Token, map[string]any{"message": strings.Repeat("x", 32001)}, 400},
			{"unknown field", owner.Token, map[string]any{"message": "hi", "temperature": 2}, 400},
			{"no token", "", map[string]any{"message": "hi"}, 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := env.Do(t, "POST", "/api/chat/send", tt.token, tt.body)
				if resp.Status != tt.wantStatus {
					t.Errorf("status %d, want %d: %s", resp.Status, tt.wantStatus, resp.Body)
				}
				resp.Err(t)
			})
		}
	})
}

// TestHistoryFitsTheBudget sends the 201st message of a conversation whose
// history is far over the budget and has no summary yet: the model receives
// the recent messages within the budget and, verbatim, what waits for the
// summary as far as the backlog allows; the summary is folded beside the
// reply and kept, and the next turn carries it.
func TestHistoryFitsTheBudget(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		conv := longConversation(t, env, u)
		b := history.DefaultBudget
		for i, message := range []string{"And now the footer?", "And the header?"} {
			before := time.Now()
			got := stream(t, env, u.Token, "/api/chat/send", map[string]any{"message": message, "conversationId": conv.ID, "stream": true})
			if got.data("complete") == nil {
				t.Fatalf("turn %d did not complete: %+v", i, got.events)
			}
			replies, _, folds := modelRequests(env, before)
			if len(replies) != 1 || folds != 1-i {
				t.Fatalf("turn %d: %d reply requests, %d summary requests; want 1, %d", i, len(replies), folds, 1-i)
			}
			sent := replies[0]
			tokens := 0
			for _, c := range sent.Contents {
				tokens += llm.EstimateTokens(c.Text)
			}
			if tokens > b.Recent+b.Backlog || i == 0 && tokens <= b.Recent {
				t.Errorf("turn %d: history sent = %d tokens, want at most %d (and, with no summary yet, more than the history budget %d: the backlog)", i, tokens, b.Recent+b.Backlog, b.Recent)
			}
			if len(sent.Contents) < 10 || sent.Contents[len(sent.Contents)-1].Text != message {
				t.Errorf("turn %d: history sent has %d turns, last %q", i, len(sent.Contents), sent.Contents[len(sent.Contents)-1].Text)
			}
			carried := strings.Contains(sent.SystemInstruction, "Summary of the earlier part of this conversation") &&
				strings.Contains(sent.SystemInstruction, "Summary from the offline model")
			if carried != (i == 1) {
				t.Errorf("turn %d: summary in the system instruction %v, want %v", i, carried, i == 1)
			}
			meta, err := env.Deps.Store.ConversationMeta(ctx, u.ID, conv.ID)
			if err != nil || meta.Summary == "" || meta.SummaryThrough == "" {
				t.Errorf("turn %d: summary not kept: %+v %v", i, meta, err)
			}
		}
	})
}

// seedConversation is a conversation of userID's of n messages (a user's,
// then a reply, in turn), each of about 35 characters and repeats times 35
// more, written straight to the store.
func seedConversation(tb testing.TB, env *apitest.Env, userID string, n, repeats int) agent.Conversation {
	tb.Helper()
	conv := agent.Conversation{ID: uuid.Must(uuid.NewV7()).String(), UserID: userID, Title: "Long", CreatedAt: time.Now().Add(-time.Hour)}
	if err := env.Deps.Store.CreateConversation(ctx, conv); err != nil {
		tb.Fatal(err)
	}
	base := time.Now().Add(-59 * time.Minute)
	for i := range n {
		role := agent.RoleUser
		if i%2 == 1 {
			role = agent.RoleAssistant
		}
		m := agent.Message{ID: fmt.Sprintf("0190a001-0000-7000-8000-%012d", i), ConversationID: conv.ID, Role: role,
			Content: fmt.Sprintf("Message %d about the dashboard layout. %s", i, strings.Repeat("Details of the grid and the charts. ", repeats)), CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if err := env.Deps.Store.AppendMessage(ctx, userID, m); err != nil {
			tb.Fatal(err)
		}
	}
	return conv
}

// longConversation is a conversation of u's of 200 messages, far over the
// history budget, with no summary yet.
func longConversation(t *testing.T, env *apitest.Env, u apitest.User) agent.Conversation {
	return seedConversation(t, env, u.ID, 200, 25)
}

// TestJSONAnswerDoesNotWaitForTheFold holds the model's summary call: a
// turn answered as one JSON body (stream false) comes back all the same,
// its fold ended with it; the summary stays as it was, for a later turn
// to fold.
func TestJSONAnswerDoesNotWaitForTheFold(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		conv := longConversation(t, env, u)
		hold := make(chan struct{})
		var released atomic.Bool
		release := time.AfterFunc(30*time.Second, func() { released.Store(true); close(hold) })
		// The reply waits for the fold to reach the model, so that the fold
		// is under way when the reply ends.
		folding := make(chan struct{})
		var once sync.Once
		env.Gemini.Respond(func(r geminitest.Request) geminitest.Reply {
			if strings.Contains(r.SystemInstruction, "running summary") {
				once.Do(func() { close(folding) })
				return geminitest.Reply{Chunks: []string{"A summary."}, Hold: hold}
			}
			return geminitest.Reply{Chunks: []string{"The footer goes below."}, Hold: folding}
		})
		resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "And now the footer?", "conversationId": conv.ID})
		if release.Stop() {
			close(hold)
		}
		if resp.Status != http.StatusOK || released.Load() {
			t.Fatalf("send = %d (the held fold released first: %v): %s", resp.Status, released.Load(), resp.Body)
		}
		_, _, folds := modelRequests(env, time.Time{})
		meta, err := env.Deps.Store.ConversationMeta(ctx, u.ID, conv.ID)
		if folds != 1 || err != nil || meta.Summary != "" {
			t.Errorf("%d folds; summary %q (%v): want the fold made and ended with the answer", folds, meta.Summary, err)
		}
	})
}

func TestEnableBuildingReportsTheBuild(t *testing.T) {
	apitest.RequirePackages(t)
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		resp := send(t, env, u.Token, map[string]any{"message": "Create a React counter component", "stream": true, "enableBuilding": true})
		defer resp.Body.Close()
		var f frontendStream
		f.consume(t, resp.Body)
		if len(f.artifacts) != 1 || len(f.builds) != 1 {
			t.Fatalf("artifacts %d, builds %d: %v", len(f.artifacts), len(f.builds), f.kinds)
		}
		b := f.builds[0]
		if b["success"] != true || b["artifactId"] != f.artifacts[0]["id"] || b["bundleSize"].(float64) <= 0 {
			t.Errorf("build = %v", b)
		}
	})
}

// TestEnableBuildingReportsAFailedBuild has the model write a component that
// imports a package outside the curated set: the artifact is saved and
// announced, and the build event says why it did not build.
func TestEnableBuildingReportsAFailedBuild(t *testing.T) {
	apitest.RequirePackages(t)
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here it is:\n\n```tsx\nimport pad from 'left-pad';\n\n",
			"export default function Padded() {\n  return <p>{pad('7', 3, '0')}</p>;\n}\n```\n"}})
		resp := send(t, env, u.Token, map[string]any{"message": "Pad a number", "stream": true, "enableBuilding": true})
		defer resp.Body.Close()
		var f frontendStream
		f.consume(t, resp.Body)
		if len(f.artifacts) != 1 || len(f.builds) != 1 || f.complete == nil {
			t.Fatalf("artifacts %d, builds %d, complete %v: %v", len(f.artifacts), len(f.builds), f.complete, f.kinds)
		}
		b := f.builds[0]
		errs, _ := b["errors"].([]any)
		if b["success"] != false || b["artifactId"] != f.artifacts[0]["id"] || len(errs) < 2 ||
			!strings.Contains(fmt.Sprint(errs[0]), "did not build") || !strings.Contains(fmt.Sprint(errs[1]), "left-pad") {
			t.Errorf("build = %v", b)
		}
	})
}

// TestArtifactStorageFailure sends a reply with code while S3 is unreachable:
// the reply is still saved and completed, the client hears that the
// artifact could not be stored, and no artifact metadata points at code that
// is not there.
func TestArtifactStorageFailure(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		deps := *env.Deps
		deps.Blob = apitest.UnreachableBlob(t)
		h, err := app.Handler(&deps, app.HTTPFunctions(), chatapp.Constructors())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(apitest.Checked(t, h))
		defer srv.Close()

		data, _ := json.Marshal(map[string]any{"message": "Create a React counter component", "stream": true})
		req, _ := http.NewRequest("POST", srv.URL+"/api/chat/send", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var f frontendStream
		f.consume(t, bytes.NewReader(body))
		if f.complete == nil || len(f.artifacts) != 0 || !strings.Contains(string(body), `"type":"artifact_error"`) {
			t.Fatalf("complete %v, artifacts %d, stream:\n%.2000s", f.complete, len(f.artifacts), body)
		}
		th, err := env.Deps.Store.Thread(ctx, u.ID, f.conversationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Messages) != 2 || !strings.Contains(th.Messages[1].Content, "export default function") || len(th.Artifacts) != 0 {
			t.Errorf("saved: %d messages, %d artifacts", len(th.Messages), len(th.Artifacts))
		}
	})
}

func TestRateLimitedModel(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		// Gemini asks for a wait longer than the client will hold a Lambda
		// for: no retries, a 429 with the wait, the user's message kept.
		env.Gemini.Enqueue(geminitest.Reply{Fail: 429, RetryAfter: 40 * time.Second, Chunks: []string{"never"}})
		resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hello", "stream": false})
		if resp.Status != 429 || resp.Err(t).Code != "rate_limited" || resp.Header.Get("Retry-After") != "40" {
			t.Fatalf("got %d %v %s", resp.Status, resp.Header.Get("Retry-After"), resp.Body)
		}
		l, err := env.Deps.Store.ListConversations(ctx, store.ListQuery{UserID: u.ID, Limit: 5})
		if err != nil || len(l.Conversations) != 1 || l.Conversations[0].MessageCount != 2 {
			t.Errorf("conversation after a rate-limited turn: %+v %v", l.Conversations, err)
		}
	})
}

// slowReply is a reply far longer than the tests' turns may last: a chunk
// every 100 ms for 8 s.
func slowReply() geminitest.Reply {
	chunks := make([]string, 80)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("word%d ", i)
	}
	return geminitest.Reply{Chunks: chunks, Delay: 100 * time.Millisecond}
}

// checkCutByTime checks a turn whose model ran out of time: the stream ends
// with an error event coded timeout and [DONE], and the reply is saved with
// the text the client saw and an error mark; the turn kept that text, so it
// is charged.
func checkCutByTime(t *testing.T, env *apitest.Env, u apitest.User, f *frontendStream) {
	t.Helper()
	n := len(f.kinds)
	if n < 2 || f.kinds[n-2] != "error" || f.kinds[n-1] != "[DONE]" || f.complete != nil {
		t.Fatalf("sequence = %v, complete %v", f.kinds, f.complete)
	}
	if f.errCode != "timeout" || !strings.HasPrefix(f.err, "Stream error: ") {
		t.Errorf("error event = %q, code %q; want code timeout", f.err, f.errCode)
	}
	th, err := env.Deps.Store.Thread(ctx, u.ID, f.conversationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(th.Messages) != 2 {
		t.Fatalf("saved %d messages, want the user's and the cut reply: %+v", len(th.Messages), th.Messages)
	}
	got := th.Messages[1]
	if got.ID != f.messageID || got.Content == "" || got.Content != f.text.String() || got.Error == "" {
		t.Errorf("saved reply = %+v\nwant the streamed text %q with an error mark", got, f.text.String())
	}
	if strings.Contains(got.Content, "word79") {
		t.Errorf("the reply was not cut: %q", got.Content)
	}
	if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 19 {
		t.Errorf("credits = %d, want 19: the saved text of a reply cut by time costs its credit", me.Credits)
	}
}

// TestReplyCutByTheTurnTimeout drives a slow model past a short
// TURN_TIMEOUT: the reply is cut and saved with what it said so far.
func TestReplyCutByTheTurnTimeout(t *testing.T) {
	each(t, map[string]string{"TURN_TIMEOUT": "1s"}, func(t *testing.T, env *apitest.Env) {
		t.Run("stream", func(t *testing.T) {
			u := env.Register(t)
			env.Gemini.Enqueue(slowReply())
			resp := send(t, env, u.Token, map[string]any{"message": "count slowly", "stream": true})
			defer resp.Body.Close()
			var f frontendStream
			f.consume(t, resp.Body)
			checkCutByTime(t, env, u, &f)
		})
		t.Run("no stream", func(t *testing.T) {
			u := env.Register(t)
			env.Gemini.Enqueue(slowReply())
			resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "count slowly", "stream": false})
			if e := resp.Err(t); resp.Status != 504 || e.Code != "timeout" {
				t.Fatalf("got %d %s, want 504 timeout", resp.Status, resp.Body)
			}
			l, err := env.Deps.Store.ListConversations(ctx, store.ListQuery{UserID: u.ID, Limit: 5})
			if err != nil || len(l.Conversations) != 1 {
				t.Fatalf("conversations = %+v %v", l.Conversations, err)
			}
			th, err := env.Deps.Store.Thread(ctx, u.ID, l.Conversations[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(th.Messages) != 2 || !strings.HasPrefix(th.Messages[1].Content, "word0 ") || th.Messages[1].Error == "" {
				t.Errorf("saved = %+v, want the cut reply with an error mark", th.Messages)
			}
		})
	})
}

// TestReplyCutByTheLambdaDeadline serves the chat as Lambda does, with a
// deadline on the request's context: the model stops in time for the reply
// to be saved before the deadline.
func TestReplyCutByTheLambdaDeadline(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		h, err := app.Handler(env.Deps, app.HTTPFunctions(), chatapp.Constructors())
		if err != nil {
			t.Fatal(err)
		}
		// The model gets one second of the invocation; the rest is the
		// save's budget and the margin before the deadline.
		timeout := chat.DeadlineMargin + chat.SaveBudget + time.Second
		srv := httptest.NewServer(apitest.Checked(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			h.ServeHTTP(w, r.WithContext(ctx))
		})))
		defer srv.Close()

		env.Gemini.Enqueue(slowReply())
		data, _ := json.Marshal(map[string]any{"message": "count slowly", "stream": true})
		req, _ := http.NewRequest("POST", srv.URL+"/api/chat/send", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var f frontendStream
		f.consume(t, resp.Body)
		checkCutByTime(t, env, u, &f)
	})
}

// TestConversationDeletedMidReply deletes the conversation while the model
// still holds the rest of its reply, code included: the code the turn goes
// on to write to S3 is removed again, nothing of the turn is left in the
// table, and the stream ends with an error event.
func TestConversationDeletedMidReply(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		hold := make(chan struct{})
		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is a counter:\n\n",
			"```tsx\nexport default function Counter() {\n  return <button>0</button>;\n}\n```\n", "Click it."},
			Hold: hold, HoldAfter: 1})
		resp := send(t, env, u.Token, map[string]any{"message": "A counter, please", "stream": true})
		defer resp.Body.Close()
		var f frontendStream
		f.onRead = func(deltas int) {
			if deltas < 1 || hold == nil {
				return
			}
			if del := env.Do(t, "DELETE", "/api/conversations/"+f.conversationID, u.Token, nil); del.Status != 200 {
				t.Errorf("delete = %d %s", del.Status, del.Body)
			}
			close(hold)
			hold = nil
		}
		f.consume(t, resp.Body)
		if hold != nil {
			t.Fatalf("the stream ended before the delete: %v", f.kinds)
		}

		n := len(f.kinds)
		if n < 2 || f.kinds[n-2] != "error" || f.kinds[n-1] != "[DONE]" || f.complete != nil || len(f.artifacts) != 0 {
			t.Errorf("sequence = %v, complete %v, artifacts %d", f.kinds, f.complete, len(f.artifacts))
		}
		if f.errCode != "not_found" {
			t.Errorf("error event = %q, code %q; want not_found", f.err, f.errCode)
		}
		prefix := env.Deps.Config.CodePrefix + u.ID + "/" + f.conversationID + "/"
		if keys := objectsUnder(t, env, prefix); len(keys) != 0 {
			t.Errorf("S3 objects left under the deleted conversation: %v", keys)
		}
		items, err := env.Table.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(env.Table.Name),
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CONV#" + f.conversationID}},
		})
		if err != nil || items.Count != 0 {
			t.Errorf("items left in the deleted conversation's partition: %+v (%v)", items, err)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 20 {
			t.Errorf("credits = %d, want 20: the turn kept nothing (its conversation went), so it costs nothing", me.Credits)
		}
	})
}

// objectsUnder lists the keys under prefix in env's bucket.
func objectsUnder(t *testing.T, env *apitest.Env, prefix string) []string {
	t.Helper()
	endpoint := env.Deps.Config.S3Endpoint
	cfg, err := settings.LoadAWS(ctx, env.Deps.Config.Region, settings.Endpoints{S3: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	out, err := settings.S3Client(cfg, endpoint).ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(env.Deps.Blob.Bucket()), Prefix: aws.String(prefix),
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// TestLongReplyKeptWhole streams a 450 KB reply, more than a DynamoDB item
// holds: it is saved whole and charged once, and the conversation's read,
// its JSON export and its ZIP export return all of it.
func TestLongReplyKeptWhole(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		chunks := make([]string, 0, 113)
		for i := range cap(chunks) {
			chunks = append(chunks, fmt.Sprintf("%04d ", i)+strings.Repeat("ab ", 4*1024/3-2)+"\n")
		}
		want := strings.Join(chunks, "")
		if len(want) < 450*1024 {
			t.Fatalf("the reply is %d bytes", len(want))
		}
		env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks})
		resp := send(t, env, u.Token, map[string]any{"message": "Write a lot", "stream": true})
		events, err := apitest.NewSSEReader(resp.Body).All()
		resp.Body.Close()
		n := len(events)
		if err != nil || n < 3 || events[n-2].Type != "complete" || text(events) != want {
			t.Fatalf("stream: %d events (%v), %d bytes of %d", n, err, len(text(events)), len(want))
		}
		if complete := events[n-2].Data; complete["credits"] != float64(19) {
			t.Errorf("complete = %v, want credits 19", complete)
		}
		f := struct{ conversationID, messageID string }{events[0].Data["conversationId"].(string), events[0].Data["messageId"].(string)}

		var conv struct {
			Conversation struct {
				Messages []struct{ ID, Content string }
			}
		}
		env.Do(t, "GET", "/api/conversations/"+f.conversationID, u.Token, nil).Decode(t, &conv)
		if msgs := conv.Conversation.Messages; len(msgs) != 2 || msgs[1].ID != f.messageID || msgs[1].Content != want {
			t.Fatalf("conversation read: %d messages, want the reply whole", len(msgs))
		}
		if r := env.Do(t, "GET", "/api/conversations/"+f.conversationID+"/export?format=json", u.Token, nil); r.Status != 200 || !strings.Contains(string(r.Body), strings.ReplaceAll(chunks[112], "\n", `\n`)) {
			t.Errorf("JSON export: %d, %d bytes", r.Status, len(r.Body))
		}
		r := env.Do(t, "GET", "/api/conversations/"+f.conversationID+"/export?format=zip", u.Token, nil)
		zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
		if r.Status != 200 || err != nil {
			t.Fatalf("ZIP export: %d %v", r.Status, err)
		}
		found := false
		for _, zf := range zr.File {
			if zf.Name != "conversation.md" {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			md, _ := io.ReadAll(rc)
			rc.Close()
			found = strings.Contains(string(md), want)
		}
		if !found {
			t.Error("the ZIP's conversation.md does not hold the whole reply")
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 19 {
			t.Errorf("credits = %d, want 19", me.Credits)
		}
	})
}
