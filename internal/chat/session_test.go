package chat_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// TestSessionEndReachesOpenStreams ends a session (a logout, a password
// change) while a reply streams to its sender and to a reader that resumed
// it: on this instance, and on another that trusts the versions it read
// for SESSION_CACHE_TTL (a Lambda instance). Every stream opened with the
// ended session ends with an unauthorized error event and [DONE] while the
// model still writes; the turn goes on, and its reply is saved whole and
// charged. A session still current (the new token of a password change)
// keeps following.
func TestSessionEndReachesOpenStreams(t *testing.T) {
	for _, how := range []string{"logout", "password"} {
		t.Run(how, func(t *testing.T) {
			dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
				dynamotest.RequireTransactions(t, tb)
				env := apitest.New(t, tb, nil)
				other := apitest.New(t, tb, map[string]string{"SESSION_CACHE_TTL": "2s"})
				u := env.Register(t)
				hold := make(chan struct{})
				var once sync.Once
				release := func() { once.Do(func() { close(hold) }) }
				defer release()
				// Streams that never end would hang the test: past 10 s the
				// model finishes, and the streams end as the turn does.
				time.AfterFunc(10*time.Second, release)
				chunks := []string{"One ", "two ", "three ", "four."}
				env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Hold: hold, HoldAfter: 2})
				sender, _ := open(t, env, "POST", "/api/chat/send", u.Token, map[string]any{"message": "count", "stream": true}, "")
				sent := apitest.NewSSEReader(sender.Body)
				var first []apitest.Event
				for text(first) != "One two " {
					e, err := sent.Next()
					if err != nil {
						t.Fatalf("sender: %v after %+v", err, first)
					}
					first = append(first, e)
				}
				msgID := first[0].Data["messageId"].(string)
				readers := map[string]*apitest.SSEReader{}
				for name, api := range map[string]*apitest.Env{"this instance": env, "another instance": other} {
					resp, _ := open(t, api, "GET", "/api/chat/stream/"+msgID, u.Token, nil, first[len(first)-1].ID)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("resume on %s: %d", name, resp.StatusCode)
					}
					readers[name] = apitest.NewSSEReader(resp.Body)
				}

				var current string // a token of the session that stays, if any
				switch how {
				case "logout":
					if r := env.Do(t, "POST", "/api/auth/logout", u.Token, nil); r.Status != http.StatusOK {
						t.Fatalf("logout: %d %s", r.Status, r.Body)
					}
				case "password":
					r := env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": u.Password, "newPassword": "another horse battery"})
					var out struct{ Token string }
					r.Decode(t, &out)
					if r.Status != http.StatusOK || out.Token == "" {
						t.Fatalf("password: %d %s", r.Status, r.Body)
					}
					current = out.Token
				}
				var follower *apitest.SSEReader
				if current != "" {
					resp, _ := open(t, other, "GET", "/api/chat/stream/"+msgID, current, nil, first[len(first)-1].ID)
					follower = apitest.NewSSEReader(resp.Body)
				}

				// The model still holds the rest of the reply.
				streams := map[string]*apitest.SSEReader{"sender": sent}
				for name, rd := range readers {
					streams["reader on "+name] = rd
				}
				for name, rd := range streams {
					events, err := rd.All()
					n := len(events)
					if err != nil || n < 2 || events[n-2].Type != "error" || events[n-2].Data["code"] != "unauthorized" || events[n-2].ID != "" || !events[n-1].Done {
						t.Errorf("%s: %+v (%v), want an unauthorized error event with no id, then [DONE]", name, events, err)
					}
					if got := text(events); got != "" && name == "sender" {
						t.Errorf("%s: text after the session ended: %q", name, got)
					}
				}
				release()
				if follower != nil {
					events, err := follower.All()
					if n := len(events); err != nil || n < 2 || events[n-2].Type != "complete" || text(events) != "three four." {
						t.Errorf("a current session's reader: %+v (%v)", events, err)
					}
				}
				th := savedReply(t, env, u.ID, first[0].Data["conversationId"].(string))
				if th.Content != "One two three four." {
					t.Errorf("saved %q, want the whole reply", th.Content)
				}
				waitFor(t, func() bool {
					me, _ := env.Deps.Store.UserByID(ctx, u.ID)
					return me.Credits == 19
				})
			})
		})
	}
}
