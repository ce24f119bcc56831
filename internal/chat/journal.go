package chat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/store"
)

// Journal is the storage of a turn's journal: its events in batches, read
// by any instance that resumes the stream, and its stop flag.
type Journal interface {
	StartTurn(ctx context.Context, t agent.Turn) error
	AppendEvents(ctx context.Context, messageID string, b store.Batch) error
	EndTurnJournal(ctx context.Context, messageID string, last store.Batch, state agent.TurnState) error
	StopRequested(ctx context.Context, messageID string) (bool, error)
	DropJournal(ctx context.Context, messageID string) error
	AbandonTurn(ctx context.Context, messageID, newMessageID string) error
}

// How a turn's events reach the journal. A batch goes out every
// BatchInterval, or at once when BatchBytes are waiting; while the model is
// silent, the stop flag is read every StopCheckInterval.
const (
	BatchInterval     = 250 * time.Millisecond
	BatchBytes        = 2 << 10
	StopCheckInterval = time.Second
)

// entry is an event as the journal keeps it: an artifact by its id (its
// view holds presigned URLs and tokens, rendered afresh on replay),
// everything else as the client received it.
type entry struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Data       json.RawMessage `json:"data,omitempty"`
	ArtifactID string          `json:"artifactId,omitempty"`
}

// entryArtifact is the type of an entry that stands for an artifact event.
const entryArtifact = "artifact"

// journal is the Sink that writes a turn's events to its journal, in
// batches, from a goroutine of its own; it calls stop when it finds the
// turn stopped (a batch refused, or the flag read while the model is
// silent).
type journal struct {
	store Journal
	id    string
	log   *slog.Logger
	stop  func()

	mu      sync.Mutex
	cur     cursor
	pending []string
	since   time.Time // when the first pending event went to the producer's client
	bytes   int
	kick    chan struct{}

	flushMu   sync.Mutex // one batch write at a time
	seq       int        // the last batch written
	lastWrite time.Time
	stopped   bool
	failures  int // writes that failed, read once close returned

	quit chan struct{}
	done chan struct{}
}

func newJournal(st Journal, messageID string, log *slog.Logger, stop func()) *journal {
	return &journal{
		store: st, id: messageID, log: log, stop: stop,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		lastWrite: time.Now(),
	}
}

// run writes batches until close: ctx bounds each write.
func (j *journal) run(ctx context.Context) {
	defer close(j.done)
	tick := time.NewTicker(BatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-j.quit:
			return
		case <-tick.C:
		case <-j.kick:
		}
		if j.flush(ctx) {
			continue
		}
		if time.Since(j.lastWrite) >= StopCheckInterval {
			j.checkStop(ctx)
		}
	}
}

// flush writes what is pending as the next batch and reports whether there
// was anything to write.
func (j *journal) flush(ctx context.Context) bool {
	j.flushMu.Lock()
	defer j.flushMu.Unlock()
	if j.stopped {
		return false
	}
	events, since := j.take()
	if len(events) == 0 {
		return false
	}
	err := j.store.AppendEvents(ctx, j.id, store.Batch{Seq: j.seq + 1, Events: events, Expires: time.Now().Add(store.JournalTTL), Sent: since})
	j.lastWrite = time.Now()
	switch {
	case err == nil:
		j.seq++
	case errors.Is(err, store.ErrTurnStopped):
		j.putBack(events, since)
		j.stopped = true
		j.stop()
	default:
		// The events go out with the next batch; a reader waits meanwhile.
		j.log.Warn("journal batch", "seq", j.seq+1, "err", err)
		j.failures++
		j.putBack(events, since)
	}
	return true
}

func (j *journal) checkStop(ctx context.Context) {
	j.flushMu.Lock()
	defer j.flushMu.Unlock()
	j.lastWrite = time.Now()
	if j.stopped {
		return
	}
	stopped, err := j.store.StopRequested(ctx, j.id)
	if err != nil {
		j.log.Warn("read stop flag", "err", err)
		return
	}
	if stopped {
		j.stopped = true
		j.stop()
	}
}

// take takes the pending events, and when the first of them went to the
// producer's client.
func (j *journal) take() ([]string, time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	events, since := j.pending, j.since
	j.pending, j.bytes, j.since = nil, 0, time.Time{}
	return events, since
}

func (j *journal) putBack(events []string, since time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending, j.since = append(events, j.pending...), since
	for _, e := range events {
		j.bytes += len(e)
	}
}

// close writes the turn's last events and its final state, once the
// batches in flight are done.
func (j *journal) close(ctx context.Context, state agent.TurnState) {
	close(j.quit)
	<-j.done
	j.flushMu.Lock()
	defer j.flushMu.Unlock()
	events, since := j.take()
	last := store.Batch{Seq: j.seq + 1, Events: events, Expires: time.Now().Add(store.JournalTTL), Sent: since}
	// The end is safe to write again (a batch finds itself in its slot),
	// and a journal without its end keeps every resumed stream waiting
	// until the turn's deadline.
	_, err := whileUnavailable(ctx, j.log, "end journal", func(ctx context.Context) error {
		return j.store.EndTurnJournal(ctx, j.id, last, state)
	})
	if err != nil {
		j.log.Error("end journal", "err", err)
		j.failures++
	}
}

// record adds an event with the next id.
func (j *journal) record(kind string, text int, data any, artifactID string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e := entry{ID: j.cur.next(text).String(), Type: kind, ArtifactID: artifactID}
	if data != nil {
		raw, err := encode(data)
		if err != nil {
			return
		}
		e.Data = raw
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	if len(j.pending) == 0 {
		j.since = time.Now()
	}
	j.pending = append(j.pending, string(b))
	j.bytes += len(b)
	if j.bytes >= BatchBytes {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
}

func (j *journal) Metadata(m Metadata) { j.record(EventMetadata, 0, m, "") }
func (j *journal) Delta(text string)   { j.record(EventChunk, len(text), TextChunk{text}, "") }
func (j *journal) Artifact(a artifactview.View) {
	j.record(entryArtifact, 0, nil, a.ID)
}
func (j *journal) Build(b BuildResult) { j.record(EventChunk, 0, buildData(b), "") }
func (j *journal) ArtifactFailed(id, title string) {
	j.record(EventChunk, 0, artifactFailedData(id, title), "")
}
func (j *journal) Complete(c Complete) { j.record(EventComplete, 0, c, "") }
func (j *journal) Error(e StreamError) { j.record(EventError, 0, e, "") }

// tee is a Sink that passes every event to each of its sinks.
type tee []Sink

func (t tee) Metadata(m Metadata) {
	for _, s := range t {
		s.Metadata(m)
	}
}
func (t tee) Delta(text string) {
	for _, s := range t {
		s.Delta(text)
	}
}
func (t tee) Artifact(a artifactview.View) {
	for _, s := range t {
		s.Artifact(a)
	}
}
func (t tee) Build(b BuildResult) {
	for _, s := range t {
		s.Build(b)
	}
}
func (t tee) ArtifactFailed(id, title string) {
	for _, s := range t {
		s.ArtifactFailed(id, title)
	}
}
func (t tee) Complete(c Complete) {
	for _, s := range t {
		s.Complete(c)
	}
}
func (t tee) Error(e StreamError) {
	for _, s := range t {
		s.Error(e)
	}
}
