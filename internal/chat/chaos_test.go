package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/devtools/geminitest"
)

// chaosLevel is how many turns run and how often each dependency fails.
type chaosLevel struct {
	name         string
	users, turns int
	// dynamo's rates apply to every DynamoDB call, lost to its writes.
	dynamo map[faults.Fault]float64
	lost   float64
	s3     map[faults.Fault]float64
	lambda map[faults.Fault]float64
	// The model: a 503 before the stream, a stream cut half-way.
	model503, modelCut float64
}

var chaosLevels = map[string]chaosLevel{
	"moderate": {
		name: "moderate", users: 4, turns: 20,
		dynamo:   map[faults.Fault]float64{faults.Throttle: 0.05, faults.ServerError: 0.03, faults.Delay: 0.02},
		s3:       map[faults.Fault]float64{faults.Throttle: 0.03, faults.ServerError: 0.03},
		lambda:   map[faults.Fault]float64{faults.ServerError: 0.05, faults.Timeout: 0.05},
		model503: 0.05, modelCut: 0.08,
	},
	"heavy": {
		name: "heavy", users: 4, turns: 30,
		dynamo:   map[faults.Fault]float64{faults.Throttle: 0.10, faults.ServerError: 0.05, faults.Delay: 0.05},
		lost:     0.20,
		s3:       map[faults.Fault]float64{faults.Throttle: 0.05, faults.ServerError: 0.05, faults.Delay: 0.05},
		lambda:   map[faults.Fault]float64{faults.ServerError: 0.10, faults.Timeout: 0.10},
		model503: 0.10, modelCut: 0.10,
	},
}

// chaosRequestTimeout bounds every request of the chaos test: one still
// unanswered then hangs.
const chaosRequestTimeout = 45 * time.Second

// TestChaos runs many concurrent turns of several users (sends, streamed
// or not, stops, resumes, regenerates, builds, fixes and exports) while
// DynamoDB, S3, the build Lambda and the model fail at random, seeded
// (CHAOS_SEED; the seed is printed), at the level CHAOS names (moderate,
// the default, runs with the suite; heavy with make chaos). Then the
// faults stop and it checks what must hold whatever failed: no request
// hung, every error answer has a message, every reply a client saw
// complete is saved as it was streamed and resumes so, no user message is
// saved twice, credits spent are the replies kept and the usage says so,
// and no turn's slot is left held.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test runs without -short")
	}
	apitest.RequirePackages(t) // builds and fixes are in the mix
	lv, ok := chaosLevels[cmpOr(os.Getenv("CHAOS"), "moderate")]
	if !ok {
		t.Fatalf("CHAOS=%q: want moderate or heavy", os.Getenv("CHAOS"))
	}
	if n, err := strconv.Atoi(os.Getenv("CHAOS_TURNS")); err == nil && n > 0 {
		lv.turns = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
	}
	t.Logf("chaos %s: CHAOS_SEED=%d, %d users x %d turns", lv.name, seed, lv.users, lv.turns)

	var off atomic.Bool
	dynamo := faults.Random(seed, lv.dynamo, nil)
	lost := faults.Random(seed+1, map[faults.Fault]float64{faults.LoseAnswer: lv.lost}, func(r faults.Request) bool {
		return r.Service == "dynamodb" && slices.Contains(faults.Writes, r.Operation)
	})
	s3 := faults.Random(seed+2, lv.s3, nil)
	lambda := faults.Random(seed+3, lv.lambda, nil)
	var callsMu sync.Mutex
	calls := map[string]int{}
	in := &faults.Injector{Policy: func(r faults.Request) faults.Fault {
		if off.Load() {
			return faults.None
		}
		callsMu.Lock()
		calls[r.Service]++
		callsMu.Unlock()
		switch r.Service {
		case "dynamodb":
			if f := dynamo(r); f != faults.None {
				return f
			}
			return lost(r)
		case "s3":
			return s3(r)
		case "lambda":
			return lambda(r)
		}
		return faults.None
	}}
	tb := dynamotest.NewTable(t, dynamotest.Backends(t)[0])
	env := apitest.NewFaulty(t, tb, map[string]string{"DEFAULT_CREDITS": "1000", "TURN_TIMEOUT": "20s"}, in)
	model := &chaosModel{rng: rand.New(rand.NewPCG(seed+4, 0)), rate503: lv.model503, rateCut: lv.modelCut, off: &off, counts: map[string]int{}}
	env.Gemini.Respond(model.reply)

	// Registration is not what is tested: it runs with the faults off.
	off.Store(true)
	users := make([]apitest.User, lv.users)
	for i := range users {
		users[i] = env.Register(t)
	}
	off.Store(false)
	start := time.Now()
	log := &chaosLog{outcomes: map[string]int{}}
	var wg sync.WaitGroup
	for i, u := range users {
		c := &chaosClient{env: env, user: u, log: log, rng: rand.New(rand.NewPCG(seed+10+uint64(i), 1)), tag: fmt.Sprintf("u%d", i)}
		wg.Go(func() {
			for turn := range lv.turns {
				c.step(turn)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	off.Store(true)

	// The counts, for the run's report.
	t.Logf("calls while faults were on: %v", calls)
	if path := os.Getenv("CHAOS_LOG"); path != "" {
		_ = os.WriteFile(path, []byte(env.Logs()), 0o644)
	}
	for _, line := range in.Report() {
		t.Logf("injected %s", line)
	}
	for _, k := range slices.Sorted(maps.Keys(model.counts)) {
		t.Logf("injected model %s: %d", k, model.counts[k])
	}
	for _, k := range slices.Sorted(maps.Keys(log.outcomes)) {
		t.Logf("outcome %s: %d", k, log.outcomes[k])
	}
	t.Logf("%d requests in %s", log.requests, took.Round(time.Millisecond))

	breaks := log.breaks
	breaks = append(breaks, checkSaved(t, env, tb, users, log)...)
	for _, b := range breaks {
		t.Errorf("invariant broken: %s", b)
	}
	t.Logf("chaos %s: CHAOS_SEED=%d: %d invariant breaks", lv.name, seed, len(breaks))
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// chaosModel answers as the offline model does, but fails some requests
// before their stream (503) and cuts some streams half-way.
type chaosModel struct {
	mu               sync.Mutex
	rng              *rand.Rand
	rate503, rateCut float64
	off              *atomic.Bool
	counts           map[string]int
}

// brokenComponent does not build: what a fix is for.
const brokenComponent = "Here it is:\n\n```tsx\nexport default function Broken() {\n  return <div>{oops</div>;\n}\n```\n"

// fixedComponent is the fix's answer.
const fixedComponent = "Fixed:\n\n```tsx\nexport default function Broken() {\n  return <div>fixed</div>;\n}\n```\nThe brace was not closed.\n"

func (m *chaosModel) reply(r geminitest.Request) geminitest.Reply {
	reply := geminitest.OfflineReply(r)
	text := r.LastUserText()
	switch {
	case !r.Stream:
	case strings.Contains(text, "The current code"):
		reply = geminitest.Reply{Chunks: splitChunks(fixedComponent)}
	case strings.Contains(text, "broken"):
		reply = geminitest.Reply{Chunks: splitChunks(brokenComponent)}
	case strings.Contains(text, "slowly"):
		// Time for a stop to land.
		reply.Delay = 20 * time.Millisecond
	}
	if m.off.Load() {
		return reply
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	x := m.rng.Float64()
	switch {
	case x < m.rate503:
		m.counts[r.Method+" 503"]++
		reply.Fail = http.StatusServiceUnavailable
	case r.Stream && x < m.rate503+m.rateCut && len(reply.Chunks) > 1:
		m.counts[r.Method+" cut"]++
		reply.Cut, reply.CutAfter = true, 1+m.rng.IntN(len(reply.Chunks)-1)
	}
	return reply
}

func splitChunks(s string) []string {
	var out []string
	for len(s) > 12 {
		out = append(out, s[:12])
		s = s[12:]
	}
	return append(out, s)
}

// chaosLog gathers what the clients saw: outcomes by action, the replies
// they saw complete, the user messages they sent, invariants broken as
// they went.
type chaosLog struct {
	mu       sync.Mutex
	outcomes map[string]int
	// seen are the replies a client saw complete (or stopped), by id: the
	// text it was streamed, or answered in one body.
	seen     map[string]string
	breaks   []string
	requests int
}

func (l *chaosLog) outcome(action, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes[action+": "+outcome]++
}

func (l *chaosLog) broke(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.breaks = append(l.breaks, fmt.Sprintf(format, args...))
}

func (l *chaosLog) saw(id, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]string{}
	}
	l.seen[id] = text
}

// chaosClient is one user's client: it runs its turns one after another.
type chaosClient struct {
	env  *apitest.Env
	user apitest.User
	log  *chaosLog
	rng  *rand.Rand
	tag  string

	convID    string
	replies   []string // ids of replies saved, as far as this client knows
	artifacts []string // ids of artifacts that may not build
}

// chaosAnswer is what a client made of one answer.
type chaosAnswer struct {
	status    int
	code      string // an error's code, from the body or the stream's error event
	messageID string
	convID    string
	text      string
	reason    string // the complete event's reason; "" when none came
	artifacts []string
}

func (c *chaosClient) step(turn int) {
	x := c.rng.Float64()
	switch {
	case c.convID == "" || x < 0.10:
		c.send(turn, "send new", false, false)
	case x < 0.40:
		c.send(turn, "send", false, false)
	case x < 0.50:
		c.send(turn, "send json", true, false)
	case x < 0.58:
		c.send(turn, "build", false, true)
	case x < 0.66:
		c.stop(turn)
	case x < 0.76 && len(c.replies) > 0:
		c.regenerate()
	case x < 0.84 && len(c.replies) > 0:
		c.resume(c.replies[c.rng.IntN(len(c.replies))])
	case x < 0.92 && len(c.artifacts) > 0:
		c.fix(c.artifacts[c.rng.IntN(len(c.artifacts))])
	default:
		c.export()
	}
}

// message is the text of a send: unique (its tag), and asking for a
// component now and then, one that does not build sometimes.
func (c *chaosClient) message(turn int, build bool) string {
	m := fmt.Sprintf("[%s-%d] tell me something slowly", c.tag, turn)
	if build || c.rng.IntN(4) == 0 {
		m = fmt.Sprintf("[%s-%d] a counter component", c.tag, turn)
		if c.rng.IntN(2) == 0 {
			m = fmt.Sprintf("[%s-%d] a broken component", c.tag, turn)
		}
	}
	return m
}

func (c *chaosClient) send(turn int, action string, asJSON, build bool) {
	body := map[string]any{"message": c.message(turn, build), "stream": !asJSON, "enableBuilding": build}
	if action != "send new" {
		body["conversationId"] = c.convID
	}
	c.turn(action, "POST", "/api/chat/send", body, nil)
}

func (c *chaosClient) regenerate() {
	id := c.replies[c.rng.IntN(len(c.replies))]
	c.turn("regenerate", "POST", "/api/chat/regenerate/"+id, map[string]any{"stream": c.rng.IntN(3) != 0}, nil)
}

func (c *chaosClient) fix(artifactID string) {
	c.turn("fix", "POST", "/api/artifacts/"+artifactID+"/fix", map[string]any{"stream": true}, nil)
}

// stop sends a message and stops its turn once its first text is in.
func (c *chaosClient) stop(turn int) {
	body := map[string]any{"message": c.message(turn, false), "stream": true, "conversationId": c.convID}
	c.turn("stop", "POST", "/api/chat/send", body, func(messageID string) {
		resp, err := c.do("POST", "/api/chat/stop/"+messageID, nil)
		if err != nil {
			c.log.broke("stop %s: %v", messageID, err)
			return
		}
		c.checkError("stop request", resp)
	})
}

// turn runs one turn-making request and records what it answered; onText,
// when set, runs once the stream's first text is in.
func (c *chaosClient) turn(action, method, path string, body map[string]any, onText func(messageID string)) {
	resp, err := c.do(method, path, body)
	if err != nil {
		c.log.broke("%s %s: %v", method, path, err)
		c.log.outcome(action, "hung or broke")
		return
	}
	a := c.read(action, resp, onText)
	if a == nil {
		return
	}
	if a.convID != "" && action == "send new" {
		c.convID = a.convID
	}
	if a.messageID != "" && (a.reason != "" || a.status == http.StatusOK && a.code == "") {
		c.replies = append(c.replies, a.messageID)
	}
	c.artifacts = append(c.artifacts, a.artifacts...)
	switch {
	case a.reason != "":
		c.log.outcome(action, a.reason)
		c.log.saw(a.messageID, a.text)
	case a.code != "":
		c.log.outcome(action, fmt.Sprintf("%d %s", a.status, a.code))
	default:
		c.log.outcome(action, fmt.Sprintf("%d", a.status))
	}
}

// read reads a turn's answer: an error body, one JSON body, or a stream.
func (c *chaosClient) read(action string, resp *http.Response, onText func(string)) *chaosAnswer {
	defer resp.Body.Close()
	a := &chaosAnswer{status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		a.code = c.errorBody(action, resp.StatusCode, data)
		return a
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var out struct {
			Data struct {
				ConversationID, MessageID, Response string
				Artifacts                           []struct{ ID string }
			}
		}
		data, err := io.ReadAll(resp.Body)
		if err == nil {
			err = json.Unmarshal(data, &out)
		}
		if err != nil {
			c.log.broke("%s: body %q: %v", action, data, err)
			return nil
		}
		a.messageID, a.convID, a.text, a.reason = out.Data.MessageID, out.Data.ConversationID, out.Data.Response, "completed"
		for _, art := range out.Data.Artifacts {
			a.artifacts = append(a.artifacts, art.ID)
		}
		return a
	}
	sr := apitest.NewSSEReader(resp.Body)
	var text strings.Builder
	for {
		e, err := sr.Next()
		if err == io.EOF || e.Done {
			break
		}
		if err != nil {
			c.log.broke("%s: stream: %v", action, err)
			return nil
		}
		switch e.Type {
		case "metadata":
			a.messageID, _ = e.Data["messageId"].(string)
			a.convID, _ = e.Data["conversationId"].(string)
		case "chunk":
			switch e.Data["type"] {
			case "text", nil:
				if text.Len() == 0 && e.Text() != "" && onText != nil {
					onText(a.messageID)
				}
				text.WriteString(e.Text())
			case "artifact":
				if art, ok := e.Data["artifact"].(map[string]any); ok {
					if id, ok := art["id"].(string); ok {
						a.artifacts = append(a.artifacts, id)
					}
				}
			}
		case "complete":
			a.reason, _ = e.Data["reason"].(string)
		case "error":
			a.code, _ = e.Data["code"].(string)
			if msg, _ := e.Data["error"].(string); msg == "" {
				c.log.broke("%s: an error event without a message: %v", action, e.Data)
			}
		}
	}
	a.text = text.String()
	return a
}

// resume reads a reply's stream again; when it completes, it must be the
// reply saved.
func (c *chaosClient) resume(messageID string) {
	resp, err := c.do("GET", "/api/chat/stream/"+messageID, nil)
	if err != nil {
		c.log.broke("resume %s: %v", messageID, err)
		c.log.outcome("resume", "hung or broke")
		return
	}
	a := c.read("resume", resp, nil)
	if a == nil {
		return
	}
	switch {
	case a.reason != "":
		c.log.outcome("resume", a.reason)
		c.log.saw(messageID, a.text)
	case a.code != "":
		c.log.outcome("resume", fmt.Sprintf("%d %s", a.status, a.code))
	default:
		c.log.outcome("resume", fmt.Sprintf("%d", a.status))
	}
}

func (c *chaosClient) export() {
	format := []string{"json", "markdown", "zip"}[c.rng.IntN(3)]
	resp, err := c.do("GET", "/api/conversations/"+c.convID+"/export?format="+format, nil)
	if err != nil {
		c.log.broke("export: %v", err)
		c.log.outcome("export", "hung or broke")
		return
	}
	c.checkError("export", resp)
}

// checkError reads a response that is not a turn's and records its status.
func (c *chaosClient) checkError(action string, resp *http.Response) {
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.log.broke("%s: body: %v", action, err)
		return
	}
	if resp.StatusCode < 400 {
		c.log.outcome(action, strconv.Itoa(resp.StatusCode))
		return
	}
	c.log.outcome(action, fmt.Sprintf("%d %s", resp.StatusCode, c.errorBody(action, resp.StatusCode, data)))
}

// errorBody checks an error answer's JSON message and returns its code.
func (c *chaosClient) errorBody(action string, status int, data []byte) string {
	var e apitest.Envelope
	if err := json.Unmarshal(data, &e); err != nil || e.Message == "" || e.Code == "" {
		c.log.broke("%s: %d without a JSON message: %q", action, status, data)
	}
	return e.Code
}

// do sends a request with the test's deadline; a request that outlives it
// hung.
func (c *chaosClient) do(method, path string, body any) (*http.Response, error) {
	c.log.mu.Lock()
	c.log.requests++
	c.log.mu.Unlock()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), chaosRequestTimeout)
	req, err := http.NewRequestWithContext(ctx, method, c.env.URL+path, rd)
	if err != nil {
		cancel()
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.user.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer within %s", chaosRequestTimeout)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// checkSaved checks, with the faults off, what the table holds against
// what the clients saw, and returns the invariants broken.
func checkSaved(t *testing.T, env *apitest.Env, tb dynamotest.Table, users []apitest.User, log *chaosLog) []string {
	t.Helper()
	var breaks []string
	broke := func(format string, args ...any) { breaks = append(breaks, fmt.Sprintf(format, args...)) }

	items := afterTurns(t, tb)
	type message struct{ role, content, owner string }
	messages := map[string]message{}
	userMessages := map[string]int{}
	convOwner := map[string]string{}
	for _, it := range items {
		pk, sk := str(it["PK"]), str(it["SK"])
		if strings.HasPrefix(pk, "CONV#") && sk == "META" {
			convOwner[strings.TrimPrefix(pk, "CONV#")] = str(it["userId"])
		}
	}
	kept := map[string]int{}
	for _, it := range items {
		pk, sk := str(it["PK"]), str(it["SK"])
		if !strings.HasPrefix(pk, "CONV#") || !strings.HasPrefix(sk, "MSG#") || strings.Contains(sk, "#ART#") || strings.Contains(sk, "#PART#") {
			continue
		}
		m := message{role: str(it["role"]), content: str(it["content"]), owner: convOwner[strings.TrimPrefix(pk, "CONV#")]}
		messages[str(it["id"])] = m
		if m.role == "USER" && strings.HasPrefix(m.content, "[") {
			userMessages[m.content]++
		}
		if m.role == "ASSISTANT" && m.content != "" {
			kept[m.owner]++
		}
	}
	for content, n := range userMessages {
		if n > 1 {
			broke("user message %q saved %d times", content, n)
		}
	}
	log.mu.Lock()
	seen := maps.Clone(log.seen)
	log.mu.Unlock()
	for id, text := range seen {
		m, ok := messages[id]
		switch {
		case !ok:
			broke("reply %s seen complete, not saved", id)
		case m.content != text:
			broke("reply %s saved as %q, streamed as %q", id, m.content, text)
		}
	}
	// A resumed stream, with the faults off, is the reply saved.
	n := 0
	for id := range seen {
		if n++; n > 20 {
			break
		}
		resp, err := http.DefaultClient.Do(mustRequest(t, env, "GET", "/api/chat/stream/"+id, ownerToken(users, messages[id].owner)))
		if err != nil {
			broke("resume %s: %v", id, err)
			continue
		}
		events, err := apitest.NewSSEReader(resp.Body).All()
		resp.Body.Close()
		var text strings.Builder
		for _, e := range events {
			if e.Type == "chunk" && (e.Data["type"] == nil || e.Data["type"] == "text") {
				text.WriteString(e.Text())
			}
		}
		if err != nil || text.String() != messages[id].content {
			broke("resumed %s: %q (%v), saved %q", id, text.String(), err, messages[id].content)
		}
	}
	for _, u := range users {
		var profile map[string]types.AttributeValue
		for _, it := range items {
			if str(it["PK"]) == "USER#"+u.ID && str(it["SK"]) == "PROFILE" {
				profile = it
			}
		}
		credits, _ := strconv.Atoi(num(profile["credits"]))
		spent := 1000 - credits
		if spent != kept[u.ID] {
			broke("user %s: %d credits spent, %d replies kept", u.Username, spent, kept[u.ID])
		}
		if slots, ok := profile["turns"].(*types.AttributeValueMemberM); ok {
			for id := range slots.Value {
				if id != "_" {
					broke("user %s: the slot of turn %s is still held", u.Username, id)
				}
			}
		}
		resp := env.Do(t, "GET", "/api/usage", u.Token, nil)
		var usage struct{ Total struct{ Turns, Credits int } }
		resp.Decode(t, &usage)
		if usage.Total.Credits != spent || usage.Total.Turns != spent {
			broke("user %s: usage says %d turns, %d credits; %d credits spent", u.Username, usage.Total.Turns, usage.Total.Credits, spent)
		}
	}
	t.Logf("checked: %d replies seen complete against the table, %d resumed, %d messages saved", len(seen), min(n, 20), len(messages))
	return breaks
}

// afterTurns scans the table once no turn holds a slot, or once the turns
// that ended with their clients' requests have had their ends' whole
// budget (a reply's save, the journal's end and the release, each at most
// chat.ReleaseBudget): a slot held after that has outlived its turn.
func afterTurns(t *testing.T, tb dynamotest.Table) []map[string]types.AttributeValue {
	t.Helper()
	deadline := time.Now().Add(3*chat.ReleaseBudget + chat.SaveBudget)
	for {
		items := scanTable(t, tb)
		held := false
		for _, it := range items {
			if slots, ok := it["turns"].(*types.AttributeValueMemberM); ok && strings.HasPrefix(str(it["PK"]), "USER#") {
				for id := range slots.Value {
					held = held || id != "_"
				}
			}
		}
		if !held || time.Now().After(deadline) {
			return items
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ownerToken(users []apitest.User, id string) string {
	for _, u := range users {
		if u.ID == id {
			return u.Token
		}
	}
	return ""
}

func mustRequest(t *testing.T, env *apitest.Env, method, path, token string) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chaosRequestTimeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func scanTable(t *testing.T, tb dynamotest.Table) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(tb.Client, &dynamodb.ScanInput{TableName: &tb.Name})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, page.Items...)
	}
	return out
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func num(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}
