package chat_test

import (
	"slices"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

type conversationBody struct {
	Conversation struct {
		MessageCount int
		Messages     []struct {
			ID, Role, Content string
			Artifacts         []struct{ ID string }
			Alternatives      *struct {
				Count, Index int
				IDs          []string
			}
		}
	}
}

// TestRegenerateTwice answers a message two more times, one streamed and
// one not: the conversation reads the newest reply with its alternatives,
// the model saw the conversation up to that message, the old replies and
// their artifacts stay, and each answer costs a credit.
func TestRegenerateTwice(t *testing.T) {
	each(t, nil, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		first := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "Create a React counter component"})
		var sent struct {
			Data struct {
				ConversationID, MessageID, UserMessageID string
				Artifacts                                []struct{ ID string }
			}
		}
		first.Decode(t, &sent)
		if first.Status != 200 || len(sent.Data.Artifacts) == 0 {
			t.Fatalf("send: %d %s", first.Status, first.Body)
		}
		// A later turn, which the regenerated answers must not see.
		if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "later question", "conversationId": sent.Data.ConversationID}); r.Status != 200 {
			t.Fatalf("second send: %d %s", r.Status, r.Body)
		}

		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Second ", "answer."}})
		resp, _ := open(t, env, "POST", "/api/chat/regenerate/"+sent.Data.MessageID, u.Token, map[string]any{}, "")
		events, err := apitest.NewSSEReader(resp.Body).All()
		if err != nil {
			t.Fatal(err)
		}
		n := len(events)
		if resp.StatusCode != 200 || events[0].Type != "metadata" || text(events) != "Second answer." || events[n-2].Data["reason"] != "completed" || !events[n-1].Done {
			t.Fatalf("regenerate stream: %d %+v", resp.StatusCode, events)
		}
		second := events[0].Data["messageId"].(string)
		if events[0].Data["userMessageId"] != sent.Data.UserMessageID || second == sent.Data.MessageID {
			t.Errorf("metadata %+v", events[0].Data)
		}
		reqs := env.Gemini.Requests()
		last := reqs[len(reqs)-1]
		if got := last.Contents[len(last.Contents)-1]; got.Role != "user" || len(last.Contents) != 1 {
			t.Errorf("the model saw %d messages, the last %+v; want only the message answered again", len(last.Contents), got)
		}

		env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"Third answer."}})
		third := env.Do(t, "POST", "/api/chat/regenerate/"+second, u.Token, map[string]any{"stream": false})
		var again struct {
			Message string
			Data    struct{ MessageID, ConversationID, Response string }
		}
		third.Decode(t, &again)
		if third.Status != 200 || again.Data.Response != "Third answer." || again.Data.ConversationID != sent.Data.ConversationID || again.Message == "" {
			t.Fatalf("regenerate stream:false: %d %s", third.Status, third.Body)
		}

		var conv conversationBody
		env.Do(t, "GET", "/api/conversations/"+sent.Data.ConversationID, u.Token, nil).Decode(t, &conv)
		msgs := conv.Conversation.Messages
		if len(msgs) != 4 || msgs[1].ID != again.Data.MessageID || msgs[1].Content != "Third answer." || msgs[2].Content != "later question" {
			t.Fatalf("conversation reads %+v", msgs)
		}
		alts := msgs[1].Alternatives
		if want := []string{sent.Data.MessageID, second, again.Data.MessageID}; alts == nil || alts.Count != 3 || alts.Index != 2 || !slices.Equal(alts.IDs, want) {
			t.Errorf("alternatives %+v, want %v", alts, want)
		}
		if msgs[3].Alternatives != nil {
			t.Errorf("a reply never regenerated has alternatives %+v", msgs[3].Alternatives)
		}
		if r := env.Do(t, "GET", "/api/artifacts/"+sent.Data.Artifacts[0].ID, u.Token, nil); r.Status != 200 {
			t.Errorf("the first reply's artifact: %d %s", r.Status, r.Body)
		}
		if me, _ := env.Deps.Store.UserByID(ctx, u.ID); me.Credits != 16 {
			t.Errorf("credits %d, want 16: two sends and two regenerations", me.Credits)
		}
	})
}

func TestRegenerateErrors(t *testing.T) {
	each(t, map[string]string{"DEFAULT_CREDITS": "1"}, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		var sent struct {
			Data struct{ MessageID, UserMessageID string }
		}
		env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hi"}).Decode(t, &sent)
		tests := []struct {
			name, id, token string
			body            any
			status          int
			code            string
		}{
			{"a user message", sent.Data.UserMessageID, u.Token, nil, 400, "validation_error"},
			{"another user's reply", sent.Data.MessageID, other.Token, nil, 404, "not_found"},
			{"not an id", "nope", u.Token, nil, 404, "not_found"},
			{"an unknown field", sent.Data.MessageID, u.Token, map[string]any{"streaming": true}, 400, "validation_error"},
			{"out of credits", sent.Data.MessageID, u.Token, map[string]any{"stream": false}, 403, "credits_exhausted"},
		}
		for _, tc := range tests {
			r := env.Do(t, "POST", "/api/chat/regenerate/"+tc.id, tc.token, tc.body)
			if r.Status != tc.status || r.Err(t).Code != tc.code {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
	})
}
