// The replay of the sample Lambda events of events/: an order where each can
// succeed, placeholders filled from earlier answers, and what each function
// must answer. The in-process adapter tests (internal/lambdahost) and the
// real binaries under the emulator replay the same files with the same
// expectations.

package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/routes"
)

// ReplayStep is what a function must answer to its event.
type ReplayStep struct {
	Function string
	Status   int    // 0 for a function behind no HTTP route
	Body     string // a substring of the body
}

// ReplaySteps is the replay order and what each function must answer. The order
// makes each succeed: register before login before the calls that need a
// token; the conversation calls before chat adds conversations; usage right
// after chat-send, whose turn it counts; chat before the artifact calls,
// which use its artifact; build before the cached build-project. Events it
// does not list replay after its other entries and before the deletions,
// and must answer 2xx.
var ReplaySteps = []ReplayStep{
	{"health", 200, `"status":"ok"`},
	{"openapi", 200, `"openapi": "3.1.0"`},
	{"openapi-docs", 200, `<main id="docs">`},
	// The web app's page, then the script it names.
	{"webapp", 200, `<div id="root">`},
	{"webapp-assets", 200, ""},
	{"auth-register", 201, `"email":"sam-user@example.com"`},
	{"auth-login", 200, `"message":"Login successful"`},
	{"auth-me", 200, `"username":"sam_user"`},
	{"auth-refresh", 200, `"token":"`},
	{"conversations-list", 200, `"totalCount":1`},
	{"conversations-get", 200, `"title":"From a replayed event"`},
	{"conversations-update", 200, `"title":"Renamed from an event"`},
	{"conversations-export", 200, "# Renamed from an event"},
	{"chat-send", 200, `"message":"Message sent successfully"`},
	// chat-send's turn, charged: the total's last counts.
	{"usage", 200, `"turns":1,"credits":1}}`},
	{"chat-stream", 200, "data: [DONE]"},
	// chat-send's reply again, from its first text on (Last-Event-ID 0.1).
	{"chat-resume", 200, "data: [DONE]"},
	// chat-send's turn is over: there is nothing to stop.
	{"chat-stop", 409, `"code":"conflict"`},
	// Another answer to chat-send's message.
	{"chat-regenerate", 200, `"message":"Response regenerated successfully"`},
	{"artifacts-get", 200, `"versions":[{"version":1`},
	{"artifacts-version", 200, `export default function Button`},
	// A version against itself: an empty diff.
	{"artifacts-diff", 200, `"diff":""`},
	{"artifacts-code", 200, `export default function Button`},
	{"artifacts-download", 200, `export default function Button`},
	{"artifacts-project", 200, `"entry":"Button.tsx"`},
	{"artifacts-build", 200, `"success":true`},
	// The Button builds: there is nothing to fix.
	{"artifacts-fix", 409, `"code":"conflict"`},
	{"artifacts-build-project", 200, `"cached":true`},
	{"artifacts-bundle", 200, `"bundledHtmlUrl":"https://`},
	{"artifacts-html-export", 200, `"fileName":"Button.html"`},
	// The frontend's iframe sends the user's token in ?token=: it is sent on
	// to the page with a preview token instead.
	{"artifacts-preview", 303, ""},
	{"artifacts-project-preview", 200, "<!doctype html>"},
	{"build", 0, `"result":`},
	// chat-send's Button and chat-regenerate's rewrite of it, its version 2.
	{"artifacts-delete", 200, `"deletedVersions":2`},
	{"conversations-delete", 200, `"deletedArtifacts":0`},
	{"auth-password", 200, `"token":"`},
	{"auth-logout", 200, `"message":"Logged out`},
}

// sessionEnders end the replay's session: they replay last, after the
// deletions.
var sessionEnders = []string{"auth-password", "auth-logout"}

// EventFiles returns the names of the events in dir (events/), checking that
// every function of the routes table has one and every event a function.
func EventFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var names, problems []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		names = append(names, name)
		if _, ok := routes.ByName(name); !ok {
			problems = append(problems, fmt.Sprintf("events/%s.json is the event of no function in the routes table", name))
		}
	}
	for _, f := range routes.All() {
		if !slices.Contains(names, f.Name) {
			problems = append(problems, fmt.Sprintf("function %s has no events/%s.json: every function needs a sample event", f.Name, f.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return ReplayOrder(names), nil
}

// ReplayOrder is names in replay order: ReplaySteps' order, then unlisted
// events, then the deletions, then the calls that end the session.
func ReplayOrder(names []string) []string {
	var listed, deletes, last []string
	for _, s := range ReplaySteps {
		if !slices.Contains(names, s.Function) {
			continue
		}
		switch f, _ := routes.ByName(s.Function); {
		case slices.Contains(sessionEnders, s.Function):
			last = append(last, s.Function)
		case f.Method == http.MethodDelete:
			deletes = append(deletes, s.Function)
		default:
			listed = append(listed, s.Function)
		}
	}
	var unlisted []string
	for _, n := range names {
		if !slices.Contains(listed, n) && !slices.Contains(deletes, n) && !slices.Contains(last, n) {
			unlisted = append(unlisted, n)
		}
	}
	slices.Sort(unlisted)
	return slices.Concat(listed, unlisted, deletes, last)
}

// CheckAnswer reports whether a function's answer is what its step wants (any
// 2xx for a function without a step).
func CheckAnswer(function string, status int, body string) error {
	i := slices.IndexFunc(ReplaySteps, func(s ReplayStep) bool { return s.Function == function })
	if i < 0 {
		if f, _ := routes.ByName(function); (f.Path != "" || f.StreamURL) && (status < 200 || status > 299) {
			return fmt.Errorf("got %d %.2000s, want a 2xx status (add %s to ReplaySteps to check more)", status, body, function)
		}
		return nil
	}
	if s := ReplaySteps[i]; status != s.Status || !strings.Contains(body, s.Body) {
		return fmt.Errorf("got %d %.2000s\nwant %d containing %s", status, body, s.Status, s.Body)
	}
	return nil
}

// ConversationCreator writes the conversation the conversation events use.
type ConversationCreator interface {
	CreateConversation(ctx context.Context, c agent.Conversation, first ...agent.Message) error
}

// EventValues fills the events' placeholders (REPLACE_WITH_...) with what
// earlier answers gave: the token, the artifact, a conversation of the user.
type EventValues struct {
	store  ConversationCreator
	values map[string]string
}

// NewEventValues returns EventValues that create the events' conversation in s.
func NewEventValues(s ConversationCreator) *EventValues {
	return &EventValues{store: s, values: map[string]string{
		"REPLACE_WITH_A_CONVERSATION_ID": uuid.Must(uuid.NewV7()).String(),
	}}
}

// With returns a copy of v in which placeholder (such as
// REPLACE_WITH_A_TOKEN_FROM_LOGIN) stands for value: an event made again
// with a fresh user, conversation or artifact, when its first one is gone.
func (v *EventValues) With(placeholder, value string) *EventValues {
	c := &EventValues{store: v.store, values: maps.Clone(v.values)}
	c.values[placeholder] = value
	return c
}

// webappScript finds the web app's script in its page: its name changes
// with every build.
var webappScript = regexp.MustCompile(`src="/assets/(app-[A-Za-z0-9]+\.js)"`)

// Event reads dir/name.json with its placeholders filled; a placeholder no
// earlier answer provided is an error.
func (v *EventValues) Event(dir, name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return nil, err
	}
	event := string(data)
	for k, val := range v.values {
		event = strings.ReplaceAll(event, k, val)
	}
	if i := strings.Index(event, "REPLACE_WITH_"); i >= 0 {
		return nil, fmt.Errorf("placeholder %.40s... has no value yet: replay an event that provides it first", event[i:])
	}
	return []byte(event), nil
}

// Learn records what later events need from a function's answer.
func (v *EventValues) Learn(ctx context.Context, function, body string) error {
	var out struct {
		Token string
		User  struct{ ID string }
		Data  struct {
			MessageID string
			Artifacts []struct{ ID string }
		}
	}
	if function == "webapp" {
		if m := webappScript.FindStringSubmatch(body); m != nil {
			v.values["REPLACE_WITH_A_WEBAPP_ASSET"] = m[1]
		}
		return nil
	}
	if json.Unmarshal([]byte(body), &out) != nil {
		return nil
	}
	if out.Token != "" {
		v.values["REPLACE_WITH_A_TOKEN_FROM_LOGIN"] = out.Token
	}
	if out.Data.MessageID != "" {
		v.values["REPLACE_WITH_A_MESSAGE_ID"] = out.Data.MessageID
	}
	if len(out.Data.Artifacts) > 0 {
		v.values["REPLACE_WITH_AN_ARTIFACT_ID"] = out.Data.Artifacts[0].ID
	}
	if function == "auth-login" {
		c := agent.Conversation{
			ID: v.values["REPLACE_WITH_A_CONVERSATION_ID"], UserID: out.User.ID,
			Title: "From a replayed event", CreatedAt: time.Now(),
		}
		if err := v.store.CreateConversation(ctx, c); err != nil {
			return fmt.Errorf("create the events' conversation: %w", err)
		}
	}
	return nil
}
