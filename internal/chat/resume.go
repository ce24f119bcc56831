package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/llm"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/store"
)

// Readers is the storage of what finds a turn by a message id: its
// journal and saved reply (resume), its stop flag (stop), the message it
// answers (regenerate).
type Readers interface {
	ReplyTurn(ctx context.Context, userID, messageID string) (agent.Turn, error)
	Journal(ctx context.Context, userID, messageID string, after int) (agent.Turn, []store.Batch, error)
	Reply(ctx context.Context, t agent.Turn) (agent.Message, []agent.Artifact, error)
	StopTurn(ctx context.Context, userID, messageID string) error
	ArtifactByID(ctx context.Context, userID, id string) (agent.Artifact, error)
	UserByID(ctx context.Context, id string) (agent.User, error)
}

// How a reader tails a running turn: at TailInterval while batches come,
// slowing down by half each empty read to TailMaxInterval while the model
// is silent.
const (
	TailInterval    = BatchInterval
	TailMaxInterval = 500 * time.Millisecond
)

// replayChunk is the most reply text a chunk rebuilt from a saved message
// carries.
const replayChunk = BatchBytes

// messageID reads the {messageId} path value; anything but a UUID is a 404.
func messageID(r *http.Request) (string, error) {
	id := strings.ToLower(r.PathValue("messageId"))
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return "", errTurnNotFound
	}
	return id, nil
}

var errTurnNotFound = agent.NewError(agent.NotFound, "Message not found.")

// Resume handles GET /api/chat/stream/{messageId}: the turn's events after
// the Last-Event-ID header (all of them without one), from its journal,
// then the live turn's as they are written, until it ends; the events the
// journal no longer has are rebuilt from the saved reply. A response cut
// by the request's own deadline ends without [DONE]: the client resumes
// from the last id it saw.
func (s *Service) Resume(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var after EventID
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		if after, err = ParseEventID(h); err != nil {
			httpapi.Error(w, r, agent.ValidationError(agent.Detail{Field: "Last-Event-ID", Message: "must be the id of an event of this stream"}))
			return
		}
	}
	ctx, c := r.Context(), s.callerOf(r)
	turn, batches, err := s.Store.Journal(ctx, c.session.UserID, id, 0)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	out := newSSE(w)
	stopPing := s.pinger(out)
	defer stopPing()
	// A session that ends while the reader follows ends the stream.
	ctx, endSession := context.WithCancelCause(ctx)
	defer endSession(nil)
	stopWatch := s.watchSession(ctx, c.session, c.log, func() { endSession(errSessionEnded) })
	defer stopWatch()
	p := &replayer{svc: s, caller: c, out: out, turn: turn, sent: after, metrics: metrics.FromContext(ctx)}
	switch {
	case p.follow(ctx, batches):
		out.done()
	case errors.Is(context.Cause(ctx), errSessionEnded):
		out.end(sessionEnded)
	}
}

// errSessionEnded is the cause of a reader's context ended by its
// session's end.
var errSessionEnded = errors.New("the session ended")

// replayer writes a turn's events to a reader.
type replayer struct {
	svc *Service
	caller
	out   *sse
	turn  agent.Turn
	sent  EventID // the last event the reader has
	seq   int     // the last batch read
	ended bool    // the last event (complete or error) was sent
	// metrics is the request's record: the lag of each batch it tails.
	metrics *metrics.Record
}

// follow replays batches, then tails the turn until it ends. It reports
// whether the stream ended (false when the reader left or the request's
// time ran out).
func (p *replayer) follow(ctx context.Context, batches []store.Batch) bool {
	end := time.Time{}
	if d, ok := ctx.Deadline(); ok {
		end = d.Add(-DeadlineMargin)
	}
	whole := p.apply(ctx, batches)
	interval := TailInterval
	reread := false
	for !p.ended {
		if !whole || !p.turn.Running(p.svc.Now()) {
			if whole && !reread && p.turn.State != agent.TurnRunning {
				// The state may have been read before the last batch of the
				// same transaction: read once more.
				reread = true
			} else {
				p.rebuild(ctx)
				break
			}
		}
		wait := interval
		if reread {
			wait = 0
		}
		if !pause(ctx, end, wait) {
			return false
		}
		n, follows, err := p.tail(ctx)
		switch {
		case err == nil:
			whole = follows
		case ctx.Err() != nil:
			return false
		case agent.IsCode(err, agent.NotFound):
			// The conversation was deleted meanwhile.
			p.final(EventError, failure(err))
		default:
			p.log.Warn("tail journal", "err", err)
		}
		if n > 0 {
			interval = TailInterval
		} else {
			interval = min(interval*3/2, TailMaxInterval)
		}
	}
	return !p.out.disconnected()
}

// pause waits for d and reports true, unless ctx ends first or the wait
// would end after end (when set): then it reports false.
func pause(ctx context.Context, end time.Time, d time.Duration) bool {
	if !end.IsZero() && time.Now().Add(d).After(end) {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// tail reads the turn's state and the batches written after the last one
// read, and writes their events. It returns how many batches it read, and
// whether they follow on (apply).
func (p *replayer) tail(ctx context.Context) (int, bool, error) {
	turn, batches, err := p.svc.Store.Journal(ctx, p.session.UserID, p.turn.MessageID, p.seq)
	if err != nil {
		return 0, false, err
	}
	p.turn = turn
	now := time.Now()
	for _, b := range batches {
		if b.Seq > p.seq && !b.Sent.IsZero() {
			p.metrics.Observe(metrics.ResumeLag, metrics.Millis(now.Sub(b.Sent)))
		}
	}
	return len(batches), p.apply(ctx, batches), nil
}

// apply writes the events of batches the reader does not have yet. It
// reports whether the batches follow on from the last one read: batches
// that expired leave a gap.
func (p *replayer) apply(ctx context.Context, batches []store.Batch) bool {
	for _, b := range batches {
		if b.Seq != p.seq+1 {
			return false
		}
		p.seq = b.Seq
		for _, raw := range b.Events {
			var e entry
			if err := json.Unmarshal([]byte(raw), &e); err != nil {
				p.log.Error("journal entry", "seq", b.Seq, "err", err)
				continue
			}
			id, err := ParseEventID(e.ID)
			if err != nil || !id.After(p.sent) {
				continue
			}
			p.write(ctx, id, e)
		}
	}
	return true
}

func (p *replayer) write(ctx context.Context, id EventID, e entry) {
	p.sent = id
	switch e.Type {
	case entryArtifact:
		a, err := p.svc.Store.ArtifactByID(ctx, p.session.UserID, e.ArtifactID)
		if err != nil {
			// Deleted since: the event is left out.
			return
		}
		view, err := p.svc.Artifacts.View(ctx, p.viewer, a)
		if err != nil {
			p.log.Error("render artifact", "artifactId", a.ID, "err", err)
			return
		}
		p.out.replay(id, EventChunk, artifactData(view))
	default:
		p.out.replay(id, e.Type, json.RawMessage(e.Data))
		if e.Type == EventComplete || e.Type == EventError {
			p.ended = true
		}
	}
}

// final writes the stream's last event after the last one sent.
func (p *replayer) final(kind string, data any) {
	p.sent.N++
	p.out.replay(p.sent, kind, data)
	p.ended = true
}

// rebuild writes the rest of the stream from the saved reply: its text
// after the last event sent, its artifacts, and how it ended. A turn whose
// producer died before saving ends with an error.
func (p *replayer) rebuild(ctx context.Context) {
	msg, arts, err := p.svc.Store.Reply(ctx, p.turn)
	if err != nil {
		if !agent.IsCode(err, agent.NotFound) {
			p.log.Error("read reply", "err", err)
		}
		p.final(EventError, StreamError{Error: "Stream error: the reply was interrupted before it could be saved. Please try again.", Code: string(agent.Internal)})
		return
	}
	conv, user, err := p.conversationAndUser(ctx)
	if err != nil {
		p.final(EventError, failure(err))
		return
	}
	if p.sent == (EventID{}) {
		p.sent = EventID{N: 1}
		p.out.replay(p.sent, EventMetadata, Metadata{ConversationID: conv.ID, MessageID: msg.ID, UserMessageID: p.turn.ReplyTo, Title: conv.Title})
	}
	p.rebuildText(msg.Content)
	last := p.rebuildArtifacts(ctx, EventID{Offset: len(msg.Content)}, arts)
	p.rebuildEnd(last, msg, conv.Title, user.Credits)
}

// conversationAndUser reads, at once, the turn's conversation and its user
// (the title and credits the last event reports). A user that cannot be
// read is logged, and reported with no credits.
func (p *replayer) conversationAndUser(ctx context.Context) (agent.Conversation, agent.User, error) {
	var conv agent.Conversation
	var convErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		conv, convErr = p.svc.Store.ConversationMeta(ctx, p.session.UserID, p.turn.ConversationID)
	}()
	user, userErr := p.svc.Store.UserByID(ctx, p.session.UserID)
	<-done
	if convErr != nil {
		return agent.Conversation{}, agent.User{}, convErr
	}
	if userErr != nil {
		p.log.Warn("read user", "err", userErr)
	}
	return conv, user, nil
}

// rebuildText writes the reply's text after the last offset sent, in chunks
// of at most replayChunk bytes that start and end on whole characters.
func (p *replayer) rebuildText(text string) {
	off := min(p.sent.Offset, len(text))
	for off < len(text) && !utf8.RuneStart(text[off]) {
		off++
	}
	for off < len(text) {
		end := min(off+replayChunk, len(text))
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end--
		}
		p.sent = EventID{Offset: end}
		p.out.replay(p.sent, EventChunk, TextChunk{text[off:end]})
		off = end
	}
}

// rebuildArtifacts writes the events of the artifacts the reader does not
// have, numbered on from after, and returns the last id it numbered.
func (p *replayer) rebuildArtifacts(ctx context.Context, after EventID, arts []agent.Artifact) EventID {
	next := after
	for _, a := range arts {
		next.N++
		if !next.After(p.sent) {
			continue
		}
		view, err := p.svc.Artifacts.View(ctx, p.viewer, a)
		if err != nil {
			p.log.Error("render artifact", "artifactId", a.ID, "err", err)
			continue
		}
		p.sent = next
		p.out.replay(next, EventChunk, artifactData(view))
	}
	return next
}

// rebuildEnd writes the reply's last event, complete or error, with the id
// after last or, when the reader has a later one, after the last sent.
func (p *replayer) rebuildEnd(last EventID, msg agent.Message, title string, credits int) {
	if last.N++; last.After(p.sent) {
		p.sent = last
	} else {
		p.sent.N++
	}
	tokens := Tokens{PromptTokens: msg.PromptTokens, OutputTokens: msg.OutputTokens}
	switch {
	case msg.Error != "":
		p.out.replay(p.sent, EventError, StreamError{Error: "Stream error: " + msg.Error, Code: string(codeOf(msg.Error))})
	case msg.Stopped:
		p.out.replay(p.sent, EventComplete, Complete{Reason: ReasonStopped, MessageID: msg.ID, Tokens: tokens, Title: title, Credits: credits})
	default:
		p.out.replay(p.sent, EventComplete, Complete{Reason: ReasonCompleted, MessageID: msg.ID, Tokens: tokens, Title: title, Credits: credits})
	}
	p.ended = true
}

// codeOf is the code of the failure describe put into sentence.
func codeOf(sentence string) agent.Code {
	for _, err := range []error{llm.ErrRateLimited, llm.ErrBlocked, context.DeadlineExceeded} {
		if s, code := describe(err); s == sentence {
			return code
		}
	}
	return agent.Upstream
}

// StopResponse is the answer of POST /api/chat/stop/{messageId}.
type StopResponse struct {
	Message string   `json:"message"`
	Data    Stopping `json:"data"`
}

// Stopping names the reply that is stopping.
type Stopping struct {
	MessageID string `json:"messageId"`
	State     string `json:"state"`
}

// Stop handles POST /api/chat/stop/{messageId}: the running turn ends as
// stopped, from whichever instance runs it, within a batch interval while
// the model writes and about a second while it is silent.
func (s *Service) Stop(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	if err == nil {
		err = s.Store.StopTurn(r.Context(), httpapi.UserID(r.Context()), id)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, StopResponse{Message: "The reply is stopping.", Data: Stopping{MessageID: id, State: "stopping"}})
}
