package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/zocket/agent"
	"github.com/zocket/agent/api"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/store"
)

// limit is one limit the document states on a request: a body field's or
// a parameter's, and the value that sits on it (accepted) or just past it
// (refused).
type limit struct {
	op, method, path string
	name, in         string // in: "body", "query", "header" or "path"
	keyword          string // maxLength, minLength, maximum, minimum, pattern or enum
	value            string
	accepted         bool
}

func (l limit) String() string {
	verdict := "refused"
	if l.accepted {
		verdict = "accepted"
	}
	v := l.value
	if len(v) > 12 {
		v = fmt.Sprintf("%s…(%d)", v[:8], len([]rune(l.value)))
	}
	return fmt.Sprintf("%s/%s.%s/%s=%q/%s", l.op, l.in, l.name, l.keyword, v, verdict)
}

// TestDocumentedLimits sends, for every limit the document states on a
// request (maxLength, minLength, maximum, minimum, pattern and enum of body
// fields, query parameters, headers and path parameters), the value on the
// limit, which the handler must accept, and the value just past it, which
// it must refuse with a 400 naming the field: the document's limits are
// the ones the handlers enforce. The cases come from the document, so a
// limit added to it is tested too; an operation with limits needs a
// fixture below that makes a request the handler accepts.
func TestDocumentedLimits(t *testing.T) {
	limits := documentedLimits(t)
	env := apitest.New(t, dynamotest.NewTable(t, dynamotest.Backends(t)[0]), map[string]string{"DEFAULT_CREDITS": "-1"})
	apitest.RequirePackages(t)
	fx := newFixtures(t, env)
	ops := map[string]bool{}
	for _, l := range limits {
		ops[l.op] = true
	}
	for op := range ops {
		if _, ok := fx[op]; !ok {
			t.Errorf("%s has documented limits and no fixture: add one to newFixtures", op)
		}
	}
	for _, l := range limits {
		f, ok := fx[l.op]
		if !ok {
			continue
		}
		t.Run(l.String(), func(t *testing.T) {
			c := f.request(t, l)
			resp := c.send(t, env, l)
			if l.accepted {
				want := f.want[l.name]
				if resp.Status == http.StatusBadRequest || want != 0 && resp.Status != want || want == 0 && resp.Status/100 != 2 {
					t.Fatalf("%s %s: %d %.300s; want it accepted (%d)", l.method, l.path, resp.Status, resp.Body, want)
				}
				return
			}
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("%s %s: %d %.300s; want 400", l.method, l.path, resp.Status, resp.Body)
			}
			e := resp.Err(t)
			if !slices.ContainsFunc(e.Details, func(d struct {
				Field   string `json:"field"`
				Message string `json:"message"`
			}) bool {
				return d.Field == l.name
			}) {
				t.Errorf("400 %s: details do not name %s", resp.Body, l.name)
			}
		})
	}
	t.Logf("%d requests on and past the limits of %d operations", len(limits), len(ops))
}

// documentedLimits reads every request limit of the document, with libopenapi.
func documentedLimits(t *testing.T) []limit {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.Document())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	var out []limit
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			at := limit{op: op.OperationId, method: strings.ToUpper(method), path: path}
			for _, p := range op.Parameters {
				at.name, at.in = p.Name, p.In
				out = append(out, limitsOf(t, at, p.Schema.Schema())...)
			}
			if op.RequestBody == nil {
				continue
			}
			body := op.RequestBody.Content.GetOrZero("application/json").Schema.Schema()
			for name, prop := range body.Properties.FromOldest() {
				at.name, at.in = name, "body"
				out = append(out, limitsOf(t, at, prop.Schema())...)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the document states no limit")
	}
	return out
}

// limitsOf are the limits of s, two a keyword (an enum: each value, and
// one that is not).
func limitsOf(t *testing.T, at limit, s *base.Schema) []limit {
	t.Helper()
	var out []limit
	add := func(keyword, value string, accepted bool) {
		l := at
		l.keyword, l.value, l.accepted = keyword, value, accepted
		out = append(out, l)
	}
	length := func(n int) string { return sized(at, n) }
	if s.MaxLength != nil {
		n := int(*s.MaxLength)
		add("maxLength", length(n), true)
		add("maxLength", length(n+1), false)
	}
	if s.MinLength != nil && *s.MinLength > 0 {
		n := int(*s.MinLength)
		add("minLength", length(n), true)
		add("minLength", length(n-1), false)
	}
	if s.Maximum != nil {
		n := int(*s.Maximum)
		add("maximum", strconv.Itoa(n), true)
		add("maximum", strconv.Itoa(n+1), false)
	}
	if s.Minimum != nil {
		n := int(*s.Minimum)
		add("minimum", strconv.Itoa(n), true)
		add("minimum", strconv.Itoa(n-1), false)
	}
	if s.Pattern != "" {
		re := regexp.MustCompile(s.Pattern)
		if len(s.Examples) == 0 {
			t.Fatalf("%s %s: a pattern needs an example the handler accepts", at.op, at.name)
		}
		ok := s.Examples[0].Value
		if !re.MatchString(ok) {
			t.Fatalf("%s %s: the example %q does not match %s", at.op, at.name, ok, s.Pattern)
		}
		if at.name == "username" {
			ok = length(len(ok)) // a fresh one, of the example's length
		}
		add("pattern", ok, true)
		add("pattern", unmatched(t, re, ok), false)
	}
	if len(s.Enum) > 0 {
		for _, v := range s.Enum {
			add("enum", v.Value, true)
		}
		add("enum", "not-"+s.Enum[0].Value, false)
	}
	return out
}

// unmatched is ok changed at one place (its length kept) so that re does
// not match it.
func unmatched(t *testing.T, re *regexp.Regexp, ok string) string {
	t.Helper()
	for _, c := range []string{"!", " ", "é", "0", "a"} {
		if v := c + ok[1:]; !re.MatchString(v) {
			return v
		}
	}
	t.Fatalf("no change of %q escapes %s", ok, re)
	return ""
}

var seq atomic.Int64

// sized is a value of n characters for the field: one the handler accepts
// when the limits allow it (an email address, a fresh username), n letters
// otherwise.
func sized(at limit, n int) string {
	if n <= 0 {
		return ""
	}
	switch at.name {
	case "email":
		if at.op == "auth-register" {
			local := fmt.Sprintf("l%d-", seq.Add(1))
			domain := "@example.com"
			return local + strings.Repeat("a", max(n-len(local)-len(domain), 0)) + domain
		}
	case "username":
		u := strconv.FormatInt(seq.Add(1), 36)
		if len(u) >= n {
			return u[len(u)-n:]
		}
		return u + strings.Repeat("a", n-len(u))
	}
	return strings.Repeat("a", n)
}

// call is a request of an operation.
type call struct {
	path   map[string]string
	query  url.Values
	header http.Header
	body   map[string]any
	token  string
}

// send sends c to l's operation with l's value in its place.
func (c call) send(t *testing.T, env *apitest.Env, l limit) *apitest.Response {
	t.Helper()
	if c.query == nil {
		c.query = url.Values{}
	}
	if c.header == nil {
		c.header = http.Header{}
	}
	if c.path == nil {
		c.path = map[string]string{}
	}
	switch l.in {
	case "body":
		if c.body == nil {
			c.body = map[string]any{}
		}
		c.body[l.name] = l.value
	case "query":
		c.query.Set(l.name, l.value)
	case "header":
		c.header.Set(l.name, l.value)
	case "path":
		c.path[l.name] = l.value
	}
	p := l.path
	for k, v := range c.path {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s: the fixture leaves a path parameter out", p)
	}
	var body []byte
	if c.body != nil {
		body, _ = json.Marshal(c.body)
	}
	u := env.URL + p
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	req, err := http.NewRequest(l.method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return apitest.Send(t, req)
}

// fixture makes requests of one operation that its handler accepts, but
// for the limit's value.
type fixture struct {
	request func(t *testing.T, l limit) call
	// want is the status of an accepted value of a field, when it is not
	// 2xx (an email no account has signs in as no one).
	want map[string]int
}

// newFixtures makes what the operations' requests need: a user with a
// conversation whose reply has an HTML artifact.
func newFixtures(t *testing.T, env *apitest.Env) map[string]fixture {
	t.Helper()
	u := env.Register(t)
	env.Gemini.Enqueue(geminitest.Reply{Chunks: []string{"A page:\n\n```html\n<!doctype html>\n<h1>Limits</h1>\n```\n"}})
	var sent struct {
		Data struct{ ConversationID, MessageID string }
	}
	if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "A page", "stream": false}); r.Status != 200 {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	} else {
		r.Decode(t, &sent)
	}
	var thread struct {
		Conversation struct {
			Messages []struct {
				Artifacts []struct{ ID string }
			}
		}
	}
	env.Do(t, "GET", "/api/conversations/"+sent.Data.ConversationID, u.Token, nil).Decode(t, &thread)
	var artifactID string
	for _, m := range thread.Conversation.Messages {
		for _, a := range m.Artifacts {
			artifactID = a.ID
		}
	}
	if artifactID == "" {
		t.Fatal("the reply made no artifact")
	}
	conv := map[string]string{"id": sent.Data.ConversationID}
	art := map[string]string{"id": artifactID}
	authed := func(path map[string]string, query url.Values, body map[string]any) func(*testing.T, limit) call {
		return func(*testing.T, limit) call { // fresh maps: send sets the limit's value in them
			return call{path: maps.Clone(path), query: url.Values(maps.Clone(map[string][]string(query))), body: maps.Clone(body), token: u.Token}
		}
	}
	return map[string]fixture{
		"auth-register": {request: func(_ *testing.T, l limit) call {
			return call{body: map[string]any{
				"email": sized(limit{op: l.op, name: "email"}, 20), "username": sized(limit{name: "username"}, 10), "password": "correct horse battery",
			}}
		}},
		"auth-login": {request: func(t *testing.T, l limit) call {
			email, password := fmt.Sprintf("login%d@example.com", seq.Add(1)), "correct horse battery"
			if l.name == "password" {
				password = l.value
			}
			account(t, env, email, password)
			return call{body: map[string]any{"email": email, "password": password}}
		}, want: map[string]int{"email": http.StatusUnauthorized}},
		"auth-password": {request: func(t *testing.T, l limit) call {
			current := "correct horse battery"
			if l.name == "currentPassword" {
				current = l.value
			}
			token := account(t, env, fmt.Sprintf("pw%d@example.com", seq.Add(1)), current)
			return call{body: map[string]any{"currentPassword": current, "newPassword": "a new horse battery"}, token: token}
		}},
		"conversations-list":    {request: authed(nil, nil, nil)},
		"conversations-update":  {request: authed(conv, nil, nil)},
		"conversations-export":  {request: authed(conv, nil, nil)},
		"artifacts-version":     {request: authed(art, nil, nil)},
		"artifacts-diff":        {request: authed(art, url.Values{"from": {"1"}, "to": {"1"}}, nil)},
		"artifacts-html-export": {request: authed(art, nil, nil)},
		"chat-send":             {request: authed(nil, nil, map[string]any{"stream": false})},
		"chat-resume":           {request: authed(map[string]string{"messageId": sent.Data.MessageID}, nil, nil)},
	}
}

// account makes a user with password (whatever its length: as an account
// whose password was set elsewhere) and returns a token of theirs.
func account(t *testing.T, env *apitest.Env, email, password string) string {
	t.Helper()
	now := time.Now()
	u := agent.User{ID: uuid.Must(uuid.NewV7()).String(), Email: email, Username: fmt.Sprintf("acct%d", seq.Add(1)), Credits: 5, CreatedAt: now, UpdatedAt: now}
	if err := env.Deps.Store.CreateUser(context.Background(), u, env.Deps.Hasher.Hash(password), store.Attempts{}); err != nil {
		t.Fatal(err)
	}
	tok, err := env.Deps.Signer.IssueUser(agent.Session{UserID: u.ID, Start: now})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
