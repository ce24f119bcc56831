package conversations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/store"
)

var ctx = context.Background()

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// each runs fn on every backend with transactions: the fixtures are written
// through the store's transactional writers. The read paths these
// endpoints use also run on dynalite in the store's own tests.
func each(t *testing.T, fn func(t *testing.T, env *apitest.Env)) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		fn(t, apitest.New(t, tb, nil))
	})
}

// conversation creates a conversation of u whose activity is at.
func conversation(t *testing.T, env *apitest.Env, u apitest.User, title string, at time.Time) agent.Conversation {
	t.Helper()
	c := agent.Conversation{ID: newID(), UserID: u.ID, Title: title, CreatedAt: at}
	if err := env.Deps.Store.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// message appends a message at time at.
func message(t *testing.T, env *apitest.Env, c agent.Conversation, role agent.Role, content string, at time.Time) agent.Message {
	t.Helper()
	m := agent.Message{ID: newID(), ConversationID: c.ID, Role: role, Content: content, CreatedAt: at}
	if err := env.Deps.Store.AppendMessage(ctx, c.UserID, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// artifact saves code as an artifact of m, in S3 under the conversation's prefix.
func artifact(t *testing.T, env *apitest.Env, u apitest.User, m agent.Message, title, lang, code string) agent.Artifact {
	t.Helper()
	aid := newID()
	key := fmt.Sprintf("%s%s/%s/%s/%s.%s", env.Deps.Config.CodePrefix, u.ID, m.ConversationID, aid, "code", lang)
	if err := env.Deps.Blob.Put(ctx, key, []byte(code), "text/plain"); err != nil {
		t.Fatal(err)
	}
	a := agent.Artifact{ID: aid, UserID: u.ID, ConversationID: m.ConversationID, MessageID: m.ID, Title: title, Language: lang, Type: "REACT", S3Key: key, FileSize: len(code), CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}
	if err := env.Deps.Store.PutArtifact(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

type listResponse struct {
	Conversations []struct {
		ID           string `json:"id"`
		Title        string `json:"title"`
		MessageCount int    `json:"messageCount"`
		LastMessage  *struct {
			Content, Role, CreatedAt string
		} `json:"lastMessage"`
		CreatedAt, UpdatedAt string
	} `json:"conversations"`
	Pagination struct {
		Page, Limit, TotalCount, TotalPages int
		HasNext, HasPrev                    bool
		NextCursor                          *string
	} `json:"pagination"`
}

func list(t *testing.T, env *apitest.Env, token string, params url.Values) listResponse {
	t.Helper()
	resp := env.Do(t, "GET", "/api/conversations?"+params.Encode(), token, nil)
	if resp.Status != 200 {
		t.Fatalf("list %s: %d %s", params.Encode(), resp.Status, resp.Body)
	}
	var out listResponse
	resp.Decode(t, &out)
	return out
}

func TestListPagingAndSearch(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u, other := env.Register(t), env.Register(t)
		base := time.Now().Add(-time.Hour)
		var want []string // newest first
		for i := range 120 {
			title := fmt.Sprintf("Chat %03d", i)
			if i%10 == 3 {
				title = fmt.Sprintf("React COUNTER %03d", i)
			}
			c := conversation(t, env, u, title, base.Add(time.Duration(i)*time.Second))
			want = append([]string{c.ID}, want...)
		}
		conversation(t, env, other, "React counter of someone else", base)

		env.Calls.Take()
		first := list(t, env, u.Token, url.Values{"limit": {"50"}})
		// +1 GetItem everywhere below: the token's version (every request
		// here; once a minute per user on a Lambda instance).
		if got, want := env.Calls.Take(), map[string]int{"Query": 1, "GetItem": 1 + 1}; !equal(got, want) {
			t.Errorf("list calls = %v, want %v", got, want)
		}
		p := first.Pagination
		if p.Page != 1 || p.Limit != 50 || p.TotalCount != 120 || p.TotalPages != 3 || !p.HasNext || p.HasPrev || p.NextCursor == nil {
			t.Errorf("first page pagination = %+v", p)
		}

		t.Run("by cursor", func(t *testing.T) {
			var got []string
			params := url.Values{"limit": {"50"}}
			for page := 1; ; page++ {
				res := list(t, env, u.Token, params)
				if res.Pagination.Page != page {
					t.Errorf("page = %d, want %d", res.Pagination.Page, page)
				}
				for _, c := range res.Conversations {
					got = append(got, c.ID)
				}
				if res.Pagination.NextCursor == nil {
					break
				}
				params.Set("cursor", *res.Pagination.NextCursor)
			}
			sameOrder(t, got, want)
		})
		t.Run("by page", func(t *testing.T) {
			var got []string
			for page := 1; page <= 3; page++ {
				res := list(t, env, u.Token, url.Values{"limit": {"50"}, "page": {fmt.Sprint(page)}})
				for _, c := range res.Conversations {
					got = append(got, c.ID)
				}
				if res.Pagination.HasNext != (page < 3) || res.Pagination.HasPrev != (page > 1) {
					t.Errorf("page %d: %+v", page, res.Pagination)
				}
			}
			sameOrder(t, got, want)
		})
		t.Run("search across pages", func(t *testing.T) {
			var got []string
			params := url.Values{"limit": {"5"}, "search": {"react counter"}}
			for {
				res := list(t, env, u.Token, params)
				if res.Pagination.TotalCount != 12 {
					t.Errorf("search totalCount = %d, want 12", res.Pagination.TotalCount)
				}
				for _, c := range res.Conversations {
					if !strings.Contains(strings.ToLower(c.Title), "react counter") {
						t.Errorf("search returned %q", c.Title)
					}
					got = append(got, c.ID)
				}
				if res.Pagination.NextCursor == nil {
					break
				}
				params.Set("cursor", *res.Pagination.NextCursor)
			}
			if len(got) != 12 {
				t.Errorf("search found %d, want 12", len(got))
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Errorf("%s twice", id)
				}
				seen[id] = true
			}
		})
		t.Run("bad parameters", func(t *testing.T) {
			tamper := *first.Pagination.NextCursor
			tamper = tamper[:len(tamper)-2] + "AA"
			for _, params := range []url.Values{
				{"limit": {"51"}}, {"limit": {"0"}}, {"limit": {"ten"}}, {"page": {"0"}}, {"page": {"-1"}},
				{"search": {strings.Repeat("s", 101)}},
				{"cursor": {tamper}}, {"cursor": {"garbage"}},
				{"cursor": {*first.Pagination.NextCursor}, "search": {"react"}}, // made for another search
			} {
				resp := env.Do(t, "GET", "/api/conversations?"+params.Encode(), u.Token, nil)
				if resp.Status != 400 || resp.Err(t).Code != "validation_error" {
					t.Errorf("%s: %d %s", params.Encode(), resp.Status, resp.Body)
				}
			}
			// Another user's cursor does not read the owner's list.
			resp := env.Do(t, "GET", "/api/conversations?cursor="+url.QueryEscape(*first.Pagination.NextCursor), other.Token, nil)
			if resp.Status != 400 {
				t.Errorf("another user's cursor: %d %s", resp.Status, resp.Body)
			}
		})
	})
}

func TestGetConversation(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		at := time.Now().Add(-time.Minute)
		c := conversation(t, env, u, "Button", at)
		m1 := message(t, env, c, agent.RoleUser, "Create a button", at.Add(time.Second))
		m2 := message(t, env, c, agent.RoleAssistant, "Here it is", at.Add(2*time.Second))
		a := artifact(t, env, u, m2, "Button", "tsx", "export default function Button() { return <button/> }")

		env.Calls.Take()
		resp := env.Do(t, "GET", "/api/conversations/"+c.ID, u.Token, nil)
		if got, want := env.Calls.Take(), map[string]int{"Query": 1, "GetItem": 1}; !equal(got, want) {
			t.Errorf("get calls = %v, want %v", got, want)
		}
		var body struct {
			Conversation struct {
				ID, Title, UserID, CreatedAt, UpdatedAt string
				Messages                                []struct {
					ID, ConversationID, Role, Content, CreatedAt string
					Artifacts                                    []map[string]any
				}
			}
		}
		resp.Decode(t, &body)
		cv := body.Conversation
		if resp.Status != 200 || cv.ID != c.ID || cv.UserID != u.ID || len(cv.Messages) != 2 {
			t.Fatalf("get = %d %s", resp.Status, resp.Body)
		}
		if cv.Messages[0].ID != m1.ID || cv.Messages[1].ID != m2.ID || cv.Messages[0].Artifacts == nil || len(cv.Messages[0].Artifacts) != 0 {
			t.Errorf("messages out of order or artifacts not an array: %s", resp.Body)
		}
		if cv.UpdatedAt != agent.FormatTime(m2.CreatedAt) {
			t.Errorf("updatedAt = %s, want the last message's %s", cv.UpdatedAt, m2.CreatedAt)
		}
		arts := cv.Messages[1].Artifacts
		if len(arts) != 1 || arts[0]["id"] != a.ID || arts[0]["fileSize"] != float64(a.FileSize) || arts[0]["language"] != "tsx" {
			t.Fatalf("artifacts = %v", arts)
		}
		// The presigned URL really downloads the code.
		r, err := http.Get(arts[0]["s3Url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || !strings.Contains(buf.String(), "function Button") {
			t.Errorf("s3Url download: %d %q", r.StatusCode, buf.String())
		}
		if pu, _ := arts[0]["previewUrl"].(string); !strings.Contains(pu, "/api/artifacts/"+a.ID+"/preview?token=") {
			t.Errorf("previewUrl = %q", pu)
		}
	})
}

func TestRename(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		c := conversation(t, env, u, "Old", time.Now())
		tests := []struct {
			name       string
			body       any
			wantStatus int
			wantTitle  string
		}{
			{"trimmed", map[string]string{"title": "  New title  "}, 200, "New title"},
			{"200 characters", map[string]string{"title": strings.Repeat("é", 200)}, 200, strings.Repeat("é", 200)},
			{"201 characters", map[string]string{"title": strings.Repeat("a", 201)}, 400, ""},
			{"empty", map[string]string{"title": ""}, 400, ""},
			{"blank", map[string]string{"title": "   "}, 400, ""},
			{"missing", map[string]string{}, 400, ""},
			{"not a string", `{"title": 5}`, 400, ""},
			{"extra field", map[string]string{"title": "x", "userId": "y"}, 400, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				env.Calls.Take()
				resp := env.Do(t, "PUT", "/api/conversations/"+c.ID, u.Token, tt.body)
				if resp.Status != tt.wantStatus {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				if tt.wantStatus != 200 {
					resp.Err(t)
					return
				}
				if got, want := env.Calls.Take(), map[string]int{"UpdateItem": 1, "GetItem": 1}; !equal(got, want) {
					t.Errorf("rename calls = %v, want %v", got, want)
				}
				var body struct {
					Message      string
					Conversation struct {
						ID, Title    string
						MessageCount int
					}
				}
				resp.Decode(t, &body)
				if body.Conversation.Title != tt.wantTitle || body.Conversation.ID != c.ID || body.Message == "" {
					t.Errorf("body = %s", resp.Body)
				}
			})
		}
	})
}

func TestDeleteLargeConversation(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		at := time.Now().Add(-time.Hour)
		c := conversation(t, env, u, "Huge", at)
		keep := conversation(t, env, u, "Keep me", at)
		keepMsg := message(t, env, keep, agent.RoleAssistant, "kept", at.Add(time.Second))
		artifact(t, env, u, keepMsg, "Kept", "tsx", "kept")

		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range 1500 {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				m := message(t, env, c, agent.RoleUser, fmt.Sprintf("message %d", i), at.Add(time.Duration(i)*time.Millisecond))
				if i%50 == 0 {
					artifact(t, env, u, m, "A", "tsx", "code")
				}
			})
		}
		wg.Wait()

		env.Calls.Take()
		resp := env.Do(t, "DELETE", "/api/conversations/"+c.ID, u.Token, nil)
		var body struct {
			Message          string
			DeletedArtifacts int
		}
		resp.Decode(t, &body)
		if resp.Status != 200 || body.DeletedArtifacts != 30 {
			t.Fatalf("delete = %d %s", resp.Status, resp.Body)
		}
		calls := env.Calls.Take()
		// Every message, its record (TURN#), every artifact's two copies
		// and its lineage entry.
		t.Logf("delete of 1,500 messages and 30 artifacts: %v", calls)
		if calls["TransactWriteItems"] != 1 || calls["DeleteItem"] != 1 || calls["BatchWriteItem"] != (1500+1500+30+30+30+24)/25 {
			t.Errorf("delete calls = %v", calls)
		}

		if resp := env.Do(t, "GET", "/api/conversations/"+c.ID, u.Token, nil); resp.Status != 404 {
			t.Errorf("deleted conversation readable: %d", resp.Status)
		}
		raw := store.New(env.Table.Client, env.Table.Name)
		if th, err := raw.Thread(ctx, u.ID, c.ID); err == nil || len(th.Messages) != 0 {
			t.Errorf("items left: %d messages", len(th.Messages))
		}
		left, err := env.Deps.Blob.DeletePrefix(ctx, env.Deps.Config.CodePrefix+u.ID+"/"+c.ID+"/")
		if err != nil || left != 0 {
			t.Errorf("%d S3 objects left under the conversation (%v)", left, err)
		}
		// The other conversation and its artifact are untouched; the count is right.
		kept := env.Do(t, "GET", "/api/conversations/"+keep.ID, u.Token, nil)
		if kept.Status != 200 || !strings.Contains(string(kept.Body), `"title":"Kept"`) {
			t.Errorf("other conversation damaged: %d %s", kept.Status, kept.Body)
		}
		if l := list(t, env, u.Token, nil); l.Pagination.TotalCount != 1 || len(l.Conversations) != 1 {
			t.Errorf("after delete: %+v", l.Pagination)
		}
		// Deleting again is a 404.
		if resp := env.Do(t, "DELETE", "/api/conversations/"+c.ID, u.Token, nil); resp.Status != 404 {
			t.Errorf("second delete: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestExport(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		at := time.Now().Add(-time.Minute)
		c := conversation(t, env, u, "Fences", at)
		message(t, env, c, agent.RoleUser, "Show me markdown in code", at.Add(time.Second))
		reply := message(t, env, c, agent.RoleAssistant, "Sure:\n\n```md\n# inner\n```\n", at.Add(2*time.Second))
		tricky := "const md = `\n```js\nconsole.log(1)\n```\n`;\n// and four: ````\nexport default md;\n"
		a := artifact(t, env, u, reply, "Tricky", "javascript", tricky)

		t.Run("json", func(t *testing.T) {
			env.Calls.Take()
			resp := env.Do(t, "GET", "/api/conversations/"+c.ID+"/export?format=json", u.Token, nil)
			if got, want := env.Calls.Take(), map[string]int{"Query": 1, "GetItem": 1 + 1}; !equal(got, want) {
				t.Errorf("export calls = %v, want %v", got, want)
			}
			if resp.Status != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="conversation-`+c.ID+`.json"` {
				t.Fatalf("export = %d %v", resp.Status, resp.Header)
			}
			var doc struct {
				SchemaVersion int
				ExportedAt    string
				Conversation  struct {
					ID, Title string
					User      struct{ Username, Email string }
				}
				Messages []struct {
					Role      string
					Artifacts []struct{ ID, Code, Language string }
				}
			}
			resp.Decode(t, &doc)
			if doc.SchemaVersion != 1 || doc.Conversation.User.Email != u.Email || len(doc.Messages) != 2 ||
				len(doc.Messages[1].Artifacts) != 1 || doc.Messages[1].Artifacts[0].Code != tricky {
				t.Errorf("export json = %s", resp.Body)
			}
		})
		t.Run("markdown round-trips", func(t *testing.T) {
			resp := env.Do(t, "GET", "/api/conversations/"+c.ID+"/export?format=markdown", u.Token, nil)
			if resp.Status != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="conversation-`+c.ID+`.md"` {
				t.Fatalf("export = %d %v", resp.Status, resp.Header)
			}
			blocks := fencedBlocks(resp.Body)
			var found bool
			for _, b := range blocks {
				if b.lang == a.Language && b.code == tricky {
					found = true
				}
			}
			if !found {
				t.Errorf("no fenced block holds the artifact's code intact; blocks: %+v\n%s", blocks, resp.Body)
			}
			if !strings.Contains(string(resp.Body), "# Fences") || !strings.Contains(string(resp.Body), "## Assistant") {
				t.Errorf("markdown lacks title or roles:\n%s", resp.Body)
			}
		})
		t.Run("unknown format", func(t *testing.T) {
			resp := env.Do(t, "GET", "/api/conversations/"+c.ID+"/export?format=pdf", u.Token, nil)
			if resp.Status != 400 || resp.Err(t).Code != "validation_error" {
				t.Errorf("pdf: %d %s", resp.Status, resp.Body)
			}
		})
	})
}

type block struct{ lang, code string }

// fencedBlocks parses Markdown with goldmark (CommonMark) and returns every
// fenced code block with its language and exact content.
func fencedBlocks(src []byte) []block {
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	var out []block
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fc, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		var b strings.Builder
		lines := fc.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(src))
		}
		out = append(out, block{lang: string(fc.Language(src)), code: b.String()})
		return ast.WalkContinue, nil
	})
	return out
}

func TestOwnershipAndAuth(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		owner, intruder := env.Register(t), env.Register(t)
		c := conversation(t, env, owner, "Private", time.Now())
		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/conversations/" + c.ID, nil},
			{"PUT", "/api/conversations/" + c.ID, map[string]string{"title": "mine now"}},
			{"GET", "/api/conversations/" + c.ID + "/export?format=json", nil},
			{"GET", "/api/conversations/" + c.ID + "/export?format=markdown", nil},
			{"GET", "/api/conversations/" + c.ID + "/export?format=zip", nil},
			{"DELETE", "/api/conversations/" + c.ID, nil},
		}
		for _, rt := range routes {
			t.Run(rt.method+" "+rt.path, func(t *testing.T) {
				if resp := env.Do(t, rt.method, rt.path, intruder.Token, rt.body); resp.Status != 404 || resp.Err(t).Code != "not_found" {
					t.Errorf("another user: %d %s", resp.Status, resp.Body)
				}
				if resp := env.Do(t, rt.method, rt.path, "", rt.body); resp.Status != 401 {
					t.Errorf("no token: %d %s", resp.Status, resp.Body)
				}
				bad := strings.Replace(rt.path, c.ID, "not-a-uuid", 1)
				if resp := env.Do(t, rt.method, bad, owner.Token, rt.body); resp.Status != 404 {
					t.Errorf("malformed id: %d %s", resp.Status, resp.Body)
				}
			})
		}
		if resp := env.Do(t, "GET", "/api/conversations", "", nil); resp.Status != 401 {
			t.Errorf("list without token: %d", resp.Status)
		}
		if l := list(t, env, intruder.Token, nil); len(l.Conversations) != 0 || l.Pagination.TotalCount != 0 {
			t.Errorf("intruder's list shows %d", len(l.Conversations))
		}
		// The owner's conversation survived every attempt.
		if resp := env.Do(t, "GET", "/api/conversations/"+c.ID, owner.Token, nil); resp.Status != 200 || !strings.Contains(string(resp.Body), `"title":"Private"`) {
			t.Errorf("owner's conversation changed: %s", resp.Body)
		}
	})
}

func sameOrder(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d ids, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("position %d differs", i)
		}
	}
}

func equal(got, want map[string]int) bool {
	b1, _ := json.Marshal(got)
	b2, _ := json.Marshal(want)
	return string(b1) == string(b2)
}
