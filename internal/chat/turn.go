package chat

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/memory"
	"github.com/zocket/agent/internal/store"
)

// turn is one user message and the reply to it.
type turn struct {
	svc *Service
	caller
	message  string
	building bool
	clock    clock
	// assistantID is the reply's message id, and the id of the turn's slot
	// on its user.
	assistantID string

	user  agent.User // as its slot was reserved
	conv  agent.Conversation
	isNew bool
	// raw is the conversation the turn continues, as read when it began.
	raw *store.RawThread
	// prepared is set once req (or reqErr) is the model request, and
	// foldDue the plan of the summary's fold the turn starts beside the
	// reply, if one is due.
	prepared bool
	req      llm.Request
	reqErr   error
	foldDue  *memory.Plan
	userMsg  agent.Message // its id is set when the turn starts
	// text is all the model wrote, what the reply saves.
	text strings.Builder
	// kept counts what the turn produced and kept: its reply saved with
	// text, each artifact version saved. A turn is charged exactly when it
	// kept something, however it ended.
	kept int
	// journal writes the turn's events for readers on other connections.
	journal *journal
	// retryAfter is the wait the model asked for when it rate-limited the turn.
	retryAfter time.Duration
	// gone is set when the conversation was deleted while the turn ran.
	gone bool
	// again is set when the turn answers userMsg again (regenerate): the
	// model sees the conversation up to that message.
	again bool
	// latest are the conversation's latest artifact versions by match key:
	// what a new block may be the next version of.
	latest map[string]agent.Artifact
	// fix is set on a turn that fixes an artifact's build.
	fix *fixing
	// savedAt is when the reply was saved (or its save tried): the day its
	// usage counts on.
	savedAt time.Time
	// fold is the summary's fold running beside the reply, if one is due.
	fold *folding
}

// slotMargin keeps a turn's slot a little past the turn's own end, should
// its Lambda die holding it.
const slotMargin = 30 * time.Second

// begin reserves the turn's slot on its user (the credit it may cost, its
// place among the turns in flight and this minute's; the same write checks
// that the session is current) and, at the same time, runs read (when not
// nil) and, when convID is set, records the turn in that conversation, so
// that its id can be resumed or stopped as soon as a client has it: one
// round trip. When any of them fails, the others are undone: the slot
// released, the record removed. The answer is then the reservation's error
// for an ended session, else read's (what the request names is wrong
// whatever the user's credits), else the reservation's, else the record's.
func (t *turn) begin(ctx context.Context, convID string, read func(context.Context) error) error {
	s := t.svc
	expires := t.clock.end().Add(slotMargin)
	var reserveErr, readErr, startErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		t.user, reserveErr = s.Store.ReserveTurn(ctx, t.session, t.assistantID, expires, s.Limits)
	})
	if read != nil {
		wg.Go(func() { readErr = read(ctx) })
	}
	if convID != "" {
		wg.Go(func() { startErr = t.start(ctx, t.session.UserID, convID) })
	}
	wg.Wait()
	err := readErr
	switch {
	case agent.IsCode(reserveErr, agent.Unauthorized):
		// An ended session learns nothing of what read found.
		err = reserveErr
	case err == nil:
		err = cmp.Or(reserveErr, startErr)
	}
	if err == nil {
		return nil
	}
	if reserveErr == nil {
		t.end()
	}
	if convID != "" && startErr == nil {
		t.abandon(t.userMsg.ID)
	}
	return err
}

// read reads the conversation the turn continues, whole: what the model
// sees of it, and what a new artifact may be the next version of. Its
// messages are decoded later (prepare), while the turn's next calls run.
func (t *turn) read(convID string) func(context.Context) error {
	return func(ctx context.Context) error {
		raw, err := t.svc.Store.ReadThread(ctx, t.session.UserID, convID)
		if err != nil {
			return err
		}
		t.raw, t.conv = &raw, raw.Conversation
		return nil
	}
}

// end frees the turn's slot, charging its credit when the turn kept
// something (see kept), and returns the user's credits after. A charged
// turn counts on the usage of the day its reply was saved. It has a budget
// of its own: it runs when the turn's other contexts may be over.
func (t *turn) end() int {
	ctx, cancel := t.clock.save()
	defer cancel()
	charge := t.kept > 0
	c := store.Charge{Charged: charge, At: t.savedAt, Unlimited: t.user.Credits < 0}
	u, err := t.svc.Store.EndTurn(ctx, t.user.ID, t.assistantID, c)
	if err != nil {
		// The slot frees itself when it expires.
		t.log.Error("end turn", "charge", charge, "err", err)
		return t.user.Credits
	}
	return u.Credits
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ProvisionalTitle is a new conversation's title until the model names it:
// the first message on one line, cut to 47 characters plus "..." when it is
// longer than 50.
func ProvisionalTitle(message string) string {
	t := strings.Join(strings.Fields(message), " ")
	if utf8.RuneCountInString(t) > 50 {
		t = string([]rune(t)[:47]) + "..."
	}
	if t == "" {
		t = "New conversation"
	}
	return t
}

// startConversation makes the turn the first of a new conversation,
// titled after the message until the model names it.
func (t *turn) startConversation(userID string) {
	t.conv = agent.Conversation{ID: newID(), UserID: userID, Title: ProvisionalTitle(t.message), CreatedAt: t.svc.Now()}
	t.isNew = true
}

// open saves the user's message (with its conversation, when the turn
// starts one): one round trip, before the model is called; meanwhile the
// model request is prepared. When the message cannot be saved, the turn's
// record goes.
func (t *turn) open(ctx context.Context) error {
	s := t.svc
	t.userMsg = agent.Message{ID: t.userMsg.ID, ConversationID: t.conv.ID, Role: agent.RoleUser, Content: t.message, CreatedAt: s.Now()}
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		if t.isNew {
			err = s.Store.CreateConversation(ctx, t.conv, t.userMsg)
		} else {
			err = s.Store.AppendMessage(ctx, t.user.ID, t.userMsg)
		}
	})
	wg.Go(t.prepare)
	wg.Wait()
	if err != nil {
		t.abandon(t.userMsg.ID)
	}
	return err
}

// abandon removes the record of a turn that never ran, and that of the
// user message it answers when newMessageID (the message was to be saved
// with the turn; empty for another answer to a saved message).
func (t *turn) abandon(newMessageID string) {
	ctx, cancel := t.clock.save()
	defer cancel()
	if err := t.svc.Store.AbandonTurn(ctx, t.assistantID, newMessageID); err != nil {
		t.log.Error("abandon turn", "err", err)
	}
}

// producerMargin is how long after a turn's last save its producer may
// still be writing its journal's end.
const producerMargin = 5 * time.Second

// start records the running turn, of userID in conversation convID.
func (t *turn) start(ctx context.Context, userID, convID string) error {
	return t.svc.Store.StartTurn(ctx, agent.Turn{
		MessageID: t.assistantID, UserID: userID, ConversationID: convID, ReplyTo: t.userMsg.ID,
		StartedAt: t.svc.Now(), Deadline: t.clock.end().Add(producerMargin),
	})
}

// errStopped is the cause of a turn's context ended by a stop.
var errStopped = errors.New("stopped by the user")

// run streams the reply into out and its journal, and saves it. The first
// event, metadata, goes out before open (when not nil) saves the user's
// message: a stream shows the turn one round trip after it began. ctx ends
// when the model's time is up; the save gets a context of its own from
// t.clock. It never returns an error: every failure becomes an event, and
// what was produced is saved.
func (t *turn) run(ctx context.Context, out Sink, open func() error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	t.journal = newJournal(t.svc.Store, t.assistantID, t.log, func() { stop(errStopped) })
	sink := tee{out, t.journal}
	sink.Metadata(Metadata{ConversationID: t.conv.ID, MessageID: t.assistantID, UserMessageID: t.userMsg.ID, Title: t.conv.Title})
	if open != nil {
		if err := open(); err != nil {
			// Nothing was saved, and the journal never started: only the
			// client hears of it.
			t.end()
			t.log.Error("open turn", "err", err)
			e := agent.AsError(err)
			msg := e.Message
			if e.Code == agent.Internal {
				msg = "the message could not be saved. Please try again."
			}
			out.Error(StreamError{Error: "Stream error: " + msg, Code: string(e.Code)})
			return
		}
	}
	jctx, cancel := context.WithDeadline(t.clock.base, t.clock.end())
	defer cancel()
	go t.journal.run(jctx)

	state := t.produce(ctx, sink)

	sctx, cancelSave := t.clock.save()
	defer cancelSave()
	t.journal.close(sctx, state)
	if state == agent.TurnFailed && t.gone {
		// The conversation was deleted meanwhile, and its purge could not
		// see this reply: nothing else would remove its journal.
		if err := t.svc.Store.DropJournal(sctx, t.assistantID); err != nil {
			t.log.Error("drop journal", "err", err)
		}
	}
}

// produce calls the model, streams its reply into sink, and saves it; it
// returns the turn's final state.
func (t *turn) produce(ctx context.Context, sink Sink) agent.TurnState {
	s := t.svc
	t.prepare()
	if err := t.reqErr; err != nil {
		t.log.Error("load history", "err", err)
		sctx, cancel := t.clock.save()
		defer cancel()
		return t.fail(sctx, sink, llm.Usage{}, err)
	}
	if t.foldDue != nil {
		t.fold = t.foldAside(t.conv.ID, *t.foldDue, s.budget())
	}
	req := t.req

	saver := &artifactSaver{turn: t, sink: sink}
	var scanner codeblock.Scanner
	res, err := s.Model.Stream(ctx, req, func(delta string) error {
		if delta == "" {
			return nil
		}
		sink.Delta(delta)
		t.text.WriteString(delta)
		for _, b := range scanner.Write(delta) {
			saver.add(ctx, b)
		}
		return nil
	})
	// The model has stopped, by itself, because its time ran out or
	// because the user stopped it: what is left is saving, on a budget of
	// its own.
	sctx, cancel := t.clock.save()
	defer cancel()
	for _, b := range scanner.Close() {
		saver.add(sctx, b)
	}
	if f := t.fix; f != nil && f.saved != nil {
		// A fix ends with its new version's build, so a client can fix again.
		res, berr := s.Builder.BuildArtifact(sctx, *f.saved)
		sink.Build(buildResult(f.saved.ID, res, berr))
	}
	switch {
	case errors.Is(context.Cause(ctx), errStopped):
		return t.stopped(sctx, sink, res.Usage)
	case err != nil:
		return t.fail(sctx, sink, res.Usage, err)
	}
	return t.complete(sctx, sink, res)
}

// prepare builds the model request, once: the conversation as it was read
// when the turn began and the user's message (up to the message answered
// again, for a regenerated reply), within the budget, with the summary as
// it stands. When the messages waiting for the summary make up a batch, it
// notes their fold, which the turn starts beside the reply.
func (t *turn) prepare() {
	if !t.prepared {
		t.prepared = true
		t.req, t.reqErr = t.request()
	}
}

func (t *turn) request() (llm.Request, error) {
	s := t.svc
	history := []agent.Message{t.userMsg}
	conv := t.conv
	if t.raw != nil {
		th, err := t.raw.Decode()
		if err != nil {
			return llm.Request{}, err
		}
		conv = th.Conversation
		history, _ = agent.Linear(th.Messages)
		t.latest = latestVersions(th.Artifacts)
		if t.fix != nil {
			t.fix.next = t.nextVersion(th.Artifacts, t.fix.art.LineageID)
		}
		if t.again {
			i := slices.IndexFunc(history, func(m agent.Message) bool { return m.ID == t.userMsg.ID })
			if i < 0 {
				return llm.Request{}, errTurnNotFound
			}
			history, t.userMsg = history[:i+1], history[i]
			if conv.SummaryThrough >= t.userMsg.ID {
				// The summary tells of what came after: not this answer's.
				conv.Summary, conv.SummaryThrough = "", ""
			}
		} else {
			history = append(history, t.userMsg)
		}
	}
	b := s.budget()
	plan := memory.NewPlan(conv, history, b, llm.EstimateTokens)
	if !t.again && plan.FoldDue(b) {
		// A summary of the past of an earlier message is not the
		// conversation's: another answer never folds.
		t.foldDue = &plan
	}
	if t.fix != nil && len(plan.Recent) > 0 {
		// The code and how to answer reach the model, not the history.
		plan.Recent[len(plan.Recent)-1].Text += t.fix.context()
	}
	return llm.Request{System: memory.System(llm.SystemInstruction, plan.Summary), Messages: plan.Recent}, nil
}

// folding is a fold of the summary running beside a reply.
type folding struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// foldAside folds plan's waiting messages into the conversation's summary,
// for the turns after this one, while the reply is produced; it has the
// model's time, and settle ends it.
func (t *turn) foldAside(convID string, plan memory.Plan, b memory.Budget) *folding {
	ctx, cancel := t.clock.work()
	f := &folding{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		summary, through, err := memory.Fold(ctx, t.svc.Model, plan, b, llm.EstimateTokens)
		if err == nil {
			err = t.svc.Store.SetSummary(ctx, convID, summary, through)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// Ended with its turn: the next turn folds again.
			t.log.Debug("fold summary", "err", err)
		default:
			t.log.Warn("fold summary", "err", err)
		}
	}()
	return f
}

// settle waits for the fold to end, or ends it now unless wait. A Lambda
// may not work after its response, so a fold ends with its turn's
// response: a stream waits for it after its last event (the client has its
// reply), a JSON answer does not.
func (f *folding) settle(wait bool) {
	if f == nil {
		return
	}
	if !wait {
		f.cancel()
	}
	<-f.done
	f.cancel()
}

func (s *Service) budget() memory.Budget {
	if s.Budget.History == 0 {
		return memory.DefaultBudget
	}
	return s.Budget
}

// complete saves the finished reply, charges what it kept, names a new
// conversation and reports it all.
func (t *turn) complete(ctx context.Context, sink Sink, res llm.Result) agent.TurnState {
	if err := t.save(ctx, res.Usage, "", false); err != nil {
		t.end()
		t.lost(sink, err)
		return agent.TurnFailed
	}
	credits := t.end()
	title := t.conv.Title
	if t.isNew {
		title = t.refineTitle(ctx, t.text.String())
	}
	sink.Complete(Complete{
		Reason: "completed", MessageID: t.assistantID, Title: title, Credits: credits,
		Usage: Usage{PromptTokens: res.Usage.PromptTokens, OutputTokens: res.Usage.OutputTokens},
	})
	return agent.TurnCompleted
}

// stopped saves the reply the user stopped, as far as it went, and charges
// what it kept.
func (t *turn) stopped(ctx context.Context, sink Sink, usage llm.Usage) agent.TurnState {
	if err := t.save(ctx, usage, "", true); err != nil {
		t.end()
		t.lost(sink, err)
		return agent.TurnFailed
	}
	sink.Complete(Complete{
		Reason: "stopped", MessageID: t.assistantID, Title: t.conv.Title, Credits: t.end(),
		Usage: Usage{PromptTokens: usage.PromptTokens, OutputTokens: usage.OutputTokens},
	})
	return agent.TurnStopped
}

// lost reports a reply that could not be saved.
func (t *turn) lost(sink Sink, err error) {
	if agent.IsCode(err, agent.NotFound) {
		// The conversation was deleted while the model answered.
		t.gone = true
		t.log.Warn("save reply", "err", err)
		sentence, code := describe(err)
		sink.Error(StreamError{Error: "Stream error: " + sentence, Code: string(code)})
		return
	}
	t.log.Error("save reply", "err", err)
	sink.Error(StreamError{Error: "Stream error: the reply could not be saved. Please try again.", Code: string(agent.Internal)})
}

// fail saves what the model produced with an error mark, charges what it
// kept and reports the failure as the stream's last event.
func (t *turn) fail(ctx context.Context, sink Sink, usage llm.Usage, cause error) agent.TurnState {
	defer t.end()
	sentence, code := describe(cause)
	if llmErr, ok := errors.AsType[*llm.Error](cause); ok {
		t.retryAfter = llmErr.RetryAfter
	}
	t.log.Warn("reply failed", "err", cause, "partialBytes", t.text.Len())
	if err := t.save(ctx, usage, sentence, false); err != nil {
		t.log.Error("save partial reply", "err", err)
		t.gone = agent.IsCode(err, agent.NotFound)
	}
	sink.Error(StreamError{Error: "Stream error: " + sentence, Code: string(code)})
	return agent.TurnFailed
}

// save writes the assistant message once: the text that went out. A saved
// reply with text is something the turn kept.
func (t *turn) save(ctx context.Context, usage llm.Usage, failure string, stopped bool) error {
	t.savedAt = t.svc.Now()
	m := agent.Message{
		ID: t.assistantID, ConversationID: t.conv.ID, Role: agent.RoleAssistant, Content: t.text.String(),
		ReplyTo: t.userMsg.ID, CreatedAt: t.savedAt, Error: failure, Stopped: stopped,
		PromptTokens: usage.PromptTokens, OutputTokens: usage.OutputTokens,
	}
	if err := t.svc.Store.AppendMessage(ctx, t.user.ID, m); err != nil {
		return fmt.Errorf("save assistant message %s: %w", m.ID, err)
	}
	if m.Content != "" {
		t.kept++
	}
	return nil
}

// describe turns a model error into a sentence for the user and a code.
func describe(err error) (string, agent.Code) {
	switch {
	case errors.Is(err, llm.ErrRateLimited):
		return "The model is busy right now. Please try again in a moment.", agent.RateLimited
	case errors.Is(err, llm.ErrBlocked):
		return "The model declined to answer this request.", agent.Upstream
	case errors.Is(err, context.DeadlineExceeded):
		return "The reply took too long and was cut off. What it wrote so far is saved.", agent.Timeout
	case agent.IsCode(err, agent.NotFound):
		return "This conversation no longer exists.", agent.NotFound
	}
	return "The model failed while answering. What it wrote so far is saved.", agent.Upstream
}

// refineTitle asks the model for a short title after the first reply and
// keeps it unless the user renamed the conversation meanwhile. Any failure
// keeps the provisional title.
func (t *turn) refineTitle(ctx context.Context, reply string) string {
	s := t.svc
	res, err := s.Model.Generate(ctx, llm.Request{
		System: "You name conversations. Reply with a title of at most six words for the conversation below: no quotes, no punctuation at the end, nothing else.",
		Messages: []llm.Message{{Role: llm.RoleUser, Text: "Write a title for this conversation.\n\nUser: " + llm.Clip(t.message, 2000) +
			"\n\nAssistant: " + llm.Clip(reply, 2000)}},
		MaxOutputTokens: 64,
	})
	if err != nil {
		t.log.Warn("refine title", "err", err)
		return t.conv.Title
	}
	title := modelTitle(res.Text)
	if title == "" || title == t.conv.Title {
		return t.conv.Title
	}
	ok, err := s.Store.RefineTitle(ctx, t.conv.ID, t.conv.Title, title)
	if err != nil || !ok {
		return t.conv.Title
	}
	t.conv.Title = title
	return title
}

// modelTitle is the title in a model's answer: its first line, without the
// quotes, emphasis or "Title:" label models add, cleaned as every title is.
func modelTitle(answer string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	return codeblock.CleanTitle(strings.TrimPrefix(strings.Trim(line, "\"'`*#. "), "Title: "))
}
