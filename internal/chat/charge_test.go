package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// chargeTimeout is the TURN_TIMEOUT of TestChargeFollowsWhatIsKept: the
// slow model's reply runs past it.
const chargeTimeout = 2 * time.Second

// keptReply is what the model writes in each ending: a component in its
// second chunk (an artifact, and a fix's new version), text around it.
var keptReply = []string{
	"Here is the component:\n\n",
	"```tsx\nexport default function Greeting() {\n  return <h1>Hello</h1>;\n}\n```\n",
	"It renders ", "a greeting ", "and nothing else.",
}

// ending is how a turn ends, as the model and the client make it end.
type ending struct {
	name string
	// reply is the model's; its Hold, when set, is closed once act is done.
	reply func(hold chan struct{}) geminitest.Reply
	// act is what the client does once the turn's first text is in its
	// journal (or, with beforeText, once the model was asked), while the
	// model holds the rest: "stop" it, or "leave".
	act        string
	beforeText bool
	// kept says whether the turn keeps anything: its reply's text, or an
	// artifact.
	kept bool
}

var endings = []ending{
	{name: "complete", kept: true, reply: func(chan struct{}) geminitest.Reply {
		return geminitest.Reply{Chunks: keptReply}
	}},
	{name: "stopped", act: "stop", kept: true, reply: func(hold chan struct{}) geminitest.Reply {
		return geminitest.Reply{Chunks: keptReply, Hold: hold, HoldAfter: 2}
	}},
	{name: "stopped before any text", act: "stop", beforeText: true, kept: false, reply: func(hold chan struct{}) geminitest.Reply {
		return geminitest.Reply{Chunks: keptReply, Hold: hold, HoldAfter: 0}
	}},
	{name: "timed out", kept: true, reply: func(chan struct{}) geminitest.Reply {
		// The component closes at once; the talk after it outlasts the turn.
		chunks := append([]string{}, keptReply[:2]...)
		for i := range 40 {
			chunks = append(chunks, fmt.Sprintf("more%d ", i))
		}
		return geminitest.Reply{Chunks: chunks, Delay: 150 * time.Millisecond}
	}},
	{name: "model error after text", kept: true, reply: func(chan struct{}) geminitest.Reply {
		return geminitest.Reply{Chunks: keptReply, Cut: true, CutAfter: 3}
	}},
	{name: "model error before text", kept: false, reply: func(chan struct{}) geminitest.Reply {
		return geminitest.Reply{BlockReason: "SAFETY"}
	}},
	{name: "client gone", act: "leave", kept: true, reply: func(hold chan struct{}) geminitest.Reply {
		return geminitest.Reply{Chunks: keptReply, Hold: hold, HoldAfter: 2}
	}},
}

// TestChargeFollowsWhatIsKept ends turns of send, regenerate and fix, as a
// stream and as one JSON answer, in every way a turn ends: a turn costs its
// credit exactly when it kept something (its reply's text saved, an
// artifact written), however it ended and whether or not it streamed, and
// the usage counts what was taken.
func TestChargeFollowsWhatIsKept(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		for _, kind := range []string{"send", "regenerate", "fix"} {
			for _, stream := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/stream=%v", kind, stream), func(t *testing.T) {
					t.Parallel()
					// An API of its own: its model's queue is this run's.
					env := apitest.New(t, tb, map[string]string{"TURN_TIMEOUT": chargeTimeout.String()})
					for _, e := range endings {
						t.Run(e.name, func(t *testing.T) { checkCharge(t, env, kind, stream, e) })
					}
				})
			}
		}
	})
}

func checkCharge(t *testing.T, env *apitest.Env, kind string, stream bool, e ending) {
	u := env.Register(t)
	path, body, seed := chargedTurn(t, env, u, kind, stream)
	creditsBefore, usageBefore := credits(t, env, u), totalUsage(t, env, u)

	hold := make(chan struct{})
	defer func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	}()
	asked := len(env.Gemini.Requests())
	env.Gemini.Enqueue(e.reply(hold))
	cctx, leave := context.WithCancel(context.Background())
	defer leave()
	done := make(chan int, 1)
	go func() {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(cctx, "POST", env.URL+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		done <- resp.StatusCode
	}()

	if e.act != "" {
		id := waitForTurn(t, env, u.ID, seed)
		if e.beforeText {
			waitFor(t, func() bool { return len(env.Gemini.Requests()) > asked })
		} else {
			waitFor(t, func() bool { return journalHasText(t, env, u.ID, id) })
		}
		switch e.act {
		case "stop":
			if r := env.Do(t, "POST", "/api/chat/stop/"+id, u.Token, nil); r.Status != http.StatusOK {
				t.Fatalf("stop: %d %s", r.Status, r.Body)
			}
		case "leave":
			leave()
			close(hold)
		}
	}
	id := waitForTurn(t, env, u.ID, seed)
	waitFor(t, func() bool {
		turn, err := env.Deps.Store.Turn(ctx, u.ID, id)
		return err == nil && turn.State != agent.TurnRunning
	})
	status := <-done

	th, err := env.Deps.Store.Thread(ctx, u.ID, conversationOf(t, env, u.ID, id))
	if err != nil {
		t.Fatal(err)
	}
	keptText, keptArtifacts := false, len(th.Artifacts[id])
	for _, m := range th.Messages {
		if m.ID == id {
			keptText = m.Content != ""
		}
	}
	kept := keptText || keptArtifacts > 0
	if kept != e.kept {
		t.Errorf("kept text %v and %d artifacts (status %d); want kept %v", keptText, keptArtifacts, status, e.kept)
	}
	want := 0
	if kept {
		want = 1
	}
	if spent := creditsBefore - credits(t, env, u); spent != want {
		t.Errorf("%d credits spent (status %d) by a turn that kept text %v and %d artifacts; want %d", spent, status, keptText, keptArtifacts, want)
	}
	after := totalUsage(t, env, u)
	if after.Credits-usageBefore.Credits != want || after.Turns-usageBefore.Turns != want {
		t.Errorf("usage counted %d credits and %d turns; want %d of each", after.Credits-usageBefore.Credits, after.Turns-usageBefore.Turns, want)
	}
}

// chargedTurn prepares what kind of turn needs (regenerate: a reply to
// answer again; fix: an artifact that does not build) and returns the
// turn's route and body, and the id of the reply it prepared (empty for
// send).
func chargedTurn(t *testing.T, env *apitest.Env, u apitest.User, kind string, stream bool) (path string, body map[string]any, seed string) {
	t.Helper()
	body = map[string]any{"stream": stream}
	if kind == "send" {
		body["message"] = "Write a greeting component"
		return "/api/chat/send", body, ""
	}
	first := "A first answer."
	if kind == "fix" {
		first = "```tsx\nexport default function Greeting() {\n  return <h1>Hello</h1>\n}}\n```"
	}
	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{first}})
	resp := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "Write a greeting component", "stream": false})
	var out struct {
		Data struct {
			MessageID string
			Artifacts []struct{ ID string }
		}
	}
	resp.Decode(t, &out)
	if resp.Status != http.StatusOK {
		t.Fatalf("seed turn: %d %s", resp.Status, resp.Body)
	}
	if kind == "regenerate" {
		return "/api/chat/regenerate/" + out.Data.MessageID, body, out.Data.MessageID
	}
	if len(out.Data.Artifacts) != 1 {
		t.Fatalf("seed turn: %s", resp.Body)
	}
	return "/api/artifacts/" + out.Data.Artifacts[0].ID + "/fix", body, out.Data.MessageID
}

func credits(t *testing.T, env *apitest.Env, u apitest.User) int {
	t.Helper()
	me, err := env.Deps.Store.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return me.Credits
}

type usageTotal struct{ Turns, Credits int }

func totalUsage(t *testing.T, env *apitest.Env, u apitest.User) usageTotal {
	t.Helper()
	resp := env.Do(t, "GET", "/api/usage", u.Token, nil)
	var out struct{ Total usageTotal }
	resp.Decode(t, &out)
	if resp.Status != http.StatusOK {
		t.Fatalf("usage: %d %s", resp.Status, resp.Body)
	}
	return out.Total
}

// turnItems are the reply turns of userID in the table, by message id,
// with the conversation of each.
func turnItems(t *testing.T, env *apitest.Env, userID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	pages := dynamodb.NewScanPaginator(env.Table.Client, &dynamodb.ScanInput{TableName: aws.String(env.Table.Name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			s := func(name string) string {
				v, _ := item[name].(*types.AttributeValueMemberS)
				if v == nil {
					return ""
				}
				return v.Value
			}
			if strings.HasPrefix(s("PK"), "TURN#") && s("SK") == "TURN" && s("userId") == userID && s("role") == string(agent.RoleAssistant) {
				out[s("messageId")] = s("conversationId")
			}
		}
	}
	return out
}

// waitForTurn returns the id of userID's reply turn other than seed, once
// it is recorded.
func waitForTurn(t *testing.T, env *apitest.Env, userID, seed string) string {
	t.Helper()
	var id string
	waitFor(t, func() bool {
		for m := range turnItems(t, env, userID) {
			if m != seed {
				id = m
				return true
			}
		}
		return false
	})
	return id
}

func conversationOf(t *testing.T, env *apitest.Env, userID, turnID string) string {
	t.Helper()
	return turnItems(t, env, userID)[turnID]
}

// journalHasText reports whether a chunk of model text is in the turn's
// journal: the client has seen text.
func journalHasText(t *testing.T, env *apitest.Env, userID, turnID string) bool {
	t.Helper()
	_, batches, err := env.Deps.Store.Journal(ctx, userID, turnID, 0)
	if err != nil {
		return false
	}
	for _, b := range batches {
		for _, e := range b.Events {
			if strings.Contains(e, `"type":"chunk"`) && strings.Contains(e, `"text"`) {
				return true
			}
		}
	}
	return false
}
