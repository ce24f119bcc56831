package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/httpapi"
)

// auditRecord is an audit record as the log holds it.
type auditRecord struct {
	Msg, Level, RequestID, Action, Outcome, UserID, ClientAddress, Code string
	ConversationID, ArtifactID, Format                                  string
	fields                                                              map[string]any
}

// audits are the audit records among logs, in order.
func audits(t *testing.T, logs string) []auditRecord {
	t.Helper()
	var out []auditRecord
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"`+httpapi.AuditMessage+`"`) {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if err := json.Unmarshal([]byte(line), &r.fields); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// auditFields are the fields an audit record may have: what it is about,
// and never a password, a token or a message's text.
var auditFields = []string{"time", "level", "msg", "requestId", "action", "outcome", "userId", "clientAddress", "code", "conversationId", "artifactId", "format"}

// TestAuditTrail runs through what a user does to their account and data,
// and checks the audit records it left, in order: each action with its
// outcome, user, request and client address, and nothing else.
func TestAuditTrail(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := apitest.New(t, tb, nil)
		u := env.Register(t)
		login := func(password string) *apitest.Response {
			return env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": password})
		}
		if r := login(u.Password); r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		for range 10 {
			login("not my password")
		}
		if r := login(u.Password); r.Status != http.StatusTooManyRequests {
			t.Fatalf("login after 10 failures: %d", r.Status)
		}

		var sent struct {
			Data struct {
				ConversationID string `json:"conversationId"`
				Artifacts      []struct {
					ID string `json:"id"`
				} `json:"artifacts"`
			} `json:"data"`
		}
		env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "Create a React counter component", "stream": false}).Decode(t, &sent)
		conv, art := sent.Data.ConversationID, sent.Data.Artifacts[0].ID
		for _, format := range []string{"json", "markdown"} {
			if r := env.Do(t, "GET", "/api/conversations/"+conv+"/export?format="+format, u.Token, nil); r.Status != 200 {
				t.Fatalf("export: %d", r.Status)
			}
		}
		env.Do(t, "POST", "/api/artifacts/"+art+"/html-export", u.Token, nil)
		env.Do(t, "DELETE", "/api/artifacts/"+art, u.Token, nil)
		env.Do(t, "DELETE", "/api/artifacts/"+art, u.Token, nil) // gone: failed

		if r := env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": "wrong password", "newPassword": "a new good password"}); r.Status != 400 {
			t.Fatalf("password change with a wrong password: %d", r.Status)
		}
		var changed struct{ Token string }
		env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": u.Password, "newPassword": "a new good password"}).Decode(t, &changed)
		// The old token's session ended: refused where tokens are checked,
		// and in a turn's reservation.
		env.Do(t, "GET", "/api/auth/me", u.Token, nil)
		env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "still there?"})
		env.Do(t, "DELETE", "/api/conversations/"+conv, changed.Token, nil)
		env.Do(t, "POST", "/api/auth/logout", changed.Token, nil)

		type want struct{ action, outcome, user, subject string }
		wants := []want{
			{"register", "ok", u.ID, ""},
			{"login", "ok", u.ID, ""},
		}
		for range 10 {
			wants = append(wants, want{"login", "failed", "", ""})
		}
		wants = append(wants,
			want{"login", "throttled", "", ""},
			want{"conversation_export", "ok", u.ID, conv + " json"},
			want{"conversation_export", "ok", u.ID, conv + " markdown"},
			want{"artifact_export", "ok", u.ID, art},
			want{"artifact_delete", "ok", u.ID, art},
			want{"artifact_delete", "failed", u.ID, art},
			want{"password_change", "failed", u.ID, ""},
			want{"password_change", "ok", u.ID, ""},
			want{"session", "refused", u.ID, ""},
			want{"session", "refused", u.ID, ""},
			want{"conversation_delete", "ok", u.ID, conv},
			want{"logout", "ok", u.ID, ""},
		)
		got := audits(t, env.Logs())
		var gotWants []want
		for _, r := range got {
			subject := strings.TrimSpace(r.ConversationID + r.ArtifactID + " " + r.Format)
			gotWants = append(gotWants, want{r.Action, r.Outcome, r.UserID, subject})
			if r.RequestID == "" || r.ClientAddress != "127.0.0.1" || r.Level != "INFO" {
				t.Errorf("record without its request or client: %+v", r)
			}
			if (r.Outcome == "failed" || r.Outcome == "throttled") != (r.Code != "") {
				t.Errorf("%s %s: code %q", r.Action, r.Outcome, r.Code)
			}
			for k := range r.fields {
				if !slices.Contains(auditFields, k) {
					t.Errorf("%s: field %s", r.Action, k)
				}
			}
		}
		if !slices.Equal(gotWants, wants) {
			t.Errorf("audit records:\n%s\nwant:\n%s", show(gotWants), show(wants))
		}
	})
}

func show[T any](xs []T) string {
	var b strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&b, "\t%+v\n", x)
	}
	return b.String()
}
