package chat

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/history"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/store"
)

// producer is the request that writes a turn: it reserves the turn's slot,
// saves the user's message, streams the model's reply to its client and to
// the turn's journal, saves the reply and its artifacts, and releases the
// slot, charging what it kept.
type producer struct {
	svc *Service
	caller
	clock clock

	// What was asked: a message, perhaps with its React artifacts built as
	// they are saved; another answer to a saved message (again: the model
	// sees the conversation up to it); or the fix of an artifact's build.
	message  string
	building bool
	again    bool
	fix      *fixing

	// replyID is the reply's message id: it names the turn and its slot.
	replyID string
	userMsg agent.Message // its id is set before the turn is recorded
	user    agent.User    // as its slot was reserved

	// The conversation the turn continues, as read when it began (raw is
	// decoded while the user's message is saved), or starts (isNew).
	conv  agent.Conversation
	isNew bool
	raw   *store.RawThread
	// latest are the conversation's latest artifact versions by match key:
	// what a new block may be the next version of.
	latest map[string]agent.Artifact

	// request is the model's request, built once (buildRequest); foldDue
	// is the plan of the summary's fold it found due, which fold runs
	// beside the reply.
	request func() (llm.Request, error)
	foldDue *history.Plan
	fold    *folding

	// journal writes the turn's events for readers on other connections.
	journal *journal
	// text is all the model wrote, what the reply saves.
	text strings.Builder
	// kept counts what the turn produced and kept: its reply saved with
	// text, each artifact version saved. A turn is charged exactly when it
	// kept something, however it ended.
	kept int
	// savedAt is when the reply was saved (or its save tried): the day its
	// usage counts on.
	savedAt time.Time
	// gone is set when the conversation was deleted while the turn ran.
	gone bool
	// retryAfter is the wait the client is told: the model's when it
	// rate-limited the turn, the store's when the reply could not be saved.
	retryAfter time.Duration

	// metrics is the request's metrics record, turn the turn's (nil when
	// nothing listens); outcome is how the turn ended, a value of
	// metrics.TurnOutcomes; calledModel and firstText say whether the
	// model request left and its first text went out.
	metrics     *metrics.Record
	turn        *metrics.Record
	outcome     string
	calledModel bool
	firstText   bool
}

// newProducer returns the producer of a turn asked for by r that answers
// the user message userMsgID. Ids are time-ordered: the reply's id is made
// after the message's, so that it sorts after it.
func (s *Service) newProducer(r *http.Request, userMsgID string) *producer {
	p := &producer{svc: s, caller: s.callerOf(r), clock: s.detach(r.Context()), userMsg: agent.Message{ID: userMsgID}, replyID: newID()}
	p.request = sync.OnceValues(p.buildRequest)
	p.metrics = metrics.FromContext(r.Context())
	return p
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// slotMargin keeps a turn's slot a little past the turn's own end, should
// its Lambda die holding it.
const slotMargin = 30 * time.Second

// reserve takes the turn's slot on its user (the credit it may cost, its
// place among the turns in flight and this minute's; the same write checks
// that the session is current) and, in the same round trip, runs read (when
// not nil) and, when convID is set, records the turn in that conversation,
// so that its id can be resumed or stopped as soon as a client has it.
// When any of them fails, the others are undone (firstError says which
// error is the answer).
func (p *producer) reserve(ctx context.Context, convID string, read func(context.Context) error) error {
	expires := p.clock.end().Add(slotMargin)
	var slotErr, readErr, recordErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		p.user, slotErr = p.svc.Store.ReserveSlot(ctx, p.session, p.replyID, expires, p.svc.Limits)
	})
	if read != nil {
		wg.Go(func() { readErr = read(ctx) })
	}
	if convID != "" {
		wg.Go(func() { recordErr = p.record(ctx, convID) })
	}
	wg.Wait()
	p.metrics.Flag(metrics.CreditsRefused, agent.IsCode(slotErr, agent.CreditsExhausted))
	p.metrics.Flag(metrics.TurnsLimited, agent.IsCode(slotErr, agent.RateLimited))
	if errors.Is(slotErr, agent.ErrSessionEnded) {
		httpapi.Audit(ctx, httpapi.AuditSession, httpapi.AuditRefused, p.session.UserID)
	}
	err := firstError(slotErr, readErr, recordErr)
	if err == nil {
		p.turn = p.metrics.Derive(metrics.Turn)
		return nil
	}
	// A reservation unavailable after the SDK's retries may still have
	// been applied (an attempt whose answer was lost): release it too.
	if slotErr == nil || agent.IsCode(slotErr, agent.Unavailable) {
		p.user.ID = p.session.UserID
		p.release()
	}
	if convID != "" && recordErr == nil {
		p.abandon(p.userMsg.ID)
	}
	return err
}

// firstError is the answer of a reservation that failed: read's error
// first (what the request names is wrong whatever the user's credits),
// then the slot's, then the record's. An ended session hears only that it
// ended, nothing of what read found.
func firstError(slotErr, readErr, recordErr error) error {
	if agent.IsCode(slotErr, agent.Unauthorized) {
		return slotErr
	}
	return cmp.Or(readErr, slotErr, recordErr)
}

// readConversation reads the conversation the turn continues, whole: what
// the model sees of it, and what a new artifact may be the next version
// of. Its messages are decoded later (buildRequest), while the turn's next
// calls run.
func (p *producer) readConversation(convID string) func(context.Context) error {
	return func(ctx context.Context) error {
		raw, err := p.svc.Store.ReadThread(ctx, p.session.UserID, convID)
		if err != nil {
			return err
		}
		p.raw, p.conv = &raw, raw.Conversation
		return nil
	}
}

// producerMargin is how long after a turn's last save its producer may
// still be writing its journal's end.
const producerMargin = 5 * time.Second

// record records the running turn in conversation convID.
func (p *producer) record(ctx context.Context, convID string) error {
	return p.svc.Store.StartTurn(ctx, agent.Turn{
		MessageID: p.replyID, UserID: p.session.UserID, ConversationID: convID, ReplyTo: p.userMsg.ID,
		StartedAt: p.svc.Now(), Deadline: p.clock.end().Add(producerMargin),
	})
}

// abandon removes the record of a turn that never ran, and that of the
// user message it answers when newMessageID (the message was to be saved
// with the turn; empty for another answer to a saved message).
func (p *producer) abandon(newMessageID string) {
	ctx, cancel := p.clock.save()
	defer cancel()
	if err := p.svc.Store.AbandonTurn(ctx, p.replyID, newMessageID); err != nil {
		p.log.Error("abandon turn", "err", err)
	}
}

// release frees the turn's slot, charging its credit when the turn kept
// something (see kept), and returns the user's credits after. A charged
// turn counts on the usage of the day its reply was saved. It runs when
// the turn's other contexts may be over, on one of its own (ReleaseBudget
// at most), and tries again while DynamoDB is unavailable: the write is
// safe to retry, and a slot left held refuses the user's next turns until
// it expires.
func (p *producer) release() int {
	ctx, cancel := p.clock.save()
	defer cancel()
	charge := p.kept > 0
	c := store.Charge{Charged: charge, At: p.savedAt, Unlimited: p.user.Credits < 0}
	var u agent.User
	attempts, err := whileUnavailable(ctx, p.log, "end turn", func(ctx context.Context) (err error) {
		u, err = p.svc.Store.ReleaseSlot(ctx, p.user.ID, p.replyID, c)
		return err
	})
	p.metrics.Flag(metrics.SlotReleaseFailed, err != nil)
	if err != nil {
		// The slot frees itself when it expires.
		p.log.Error("end turn", "charge", charge, "attempts", attempts, "err", err)
		return p.user.Credits
	}
	return u.Credits
}

// whileUnavailable runs write, a write safe to run again, and runs it again
// with backoff while DynamoDB is unavailable (after the SDK's own retries),
// for ReleaseBudget at most: the end of a turn (its reply's save, its
// journal's end, its slot's release) is worth the wait, since what it
// leaves undone keeps the user waiting longer. It returns how many times
// write ran and its last error.
func whileUnavailable(ctx context.Context, log *slog.Logger, what string, write func(context.Context) error) (attempts int, err error) {
	ctx, cancel := context.WithTimeout(ctx, ReleaseBudget)
	defer cancel()
	end, _ := ctx.Deadline()
	for wait := releaseBackoff; ; wait *= 2 {
		attempts++
		err = write(ctx)
		if !agent.IsCode(err, agent.Unavailable) || !pause(ctx, end, wait) {
			return attempts, err
		}
		log.Warn(what+": trying again", "attempt", attempts, "err", err)
	}
}

// ReleaseBudget is the longest a turn's release, its reply's save and its
// journal's end may each take, retries included (the request's deadline may end it sooner): long
// enough for the SDK's backoff on a throttle (up to 1, 2 and 4 s) and one
// more call.
const ReleaseBudget = 10 * time.Second

// releaseBackoff is the first wait before a release is tried again; it
// doubles with each attempt.
const releaseBackoff = 100 * time.Millisecond

// report emits the turn's metrics record once its answer is over: how it
// ended (a turn that completed while its client was gone is client_gone),
// how long it took, its journal's failed writes.
func (p *producer) report(end time.Time, clientGone bool) {
	if p.turn == nil {
		return
	}
	outcome := cmp.Or(p.outcome, metrics.TurnStoreError)
	if outcome == metrics.TurnComplete && clientGone {
		outcome = metrics.TurnClientGone
	}
	p.turn.Outcome = outcome
	p.turn.Set(metrics.Turns, 1)
	p.turn.Flag(metrics.TurnFailed, metrics.Failed(metrics.TurnOutcomes, outcome))
	p.turn.Since(metrics.TurnDuration, end)
	if p.journal != nil {
		p.turn.Set(metrics.JournalWriteFailures, float64(p.journal.failures))
	}
	p.turn.Emit()
}

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
func (p *producer) startConversation() {
	p.conv = agent.Conversation{ID: newID(), UserID: p.session.UserID, Title: ProvisionalTitle(p.message), CreatedAt: p.svc.Now()}
	p.isNew = true
}

// saveMessage saves the user's message (with its conversation, when the
// turn starts one): one round trip, before the model is called; meanwhile
// the model's request is built. When the message cannot be saved, the
// turn's record goes.
func (p *producer) saveMessage(ctx context.Context) error {
	s := p.svc
	p.userMsg = agent.Message{ID: p.userMsg.ID, ConversationID: p.conv.ID, Role: agent.RoleUser, Content: p.message, CreatedAt: s.Now()}
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		if p.isNew {
			err = s.Store.CreateConversation(ctx, p.conv, p.userMsg)
		} else {
			err = s.Store.AppendMessage(ctx, p.user.ID, p.userMsg)
		}
	})
	wg.Go(func() { _, _ = p.request() })
	wg.Wait()
	if err != nil {
		p.abandon(p.userMsg.ID)
	}
	return err
}

// errStopped is the cause of a turn's context ended by a stop.
var errStopped = errors.New("stopped by the user")
