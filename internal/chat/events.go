package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/zocket/agent/internal/artifactview"
)

// The events of a stream, by the name each goes out under (its SSE event
// and its data's type).
const (
	EventMetadata = "metadata"
	EventChunk    = "chunk"
	EventComplete = "complete"
	EventError    = "error"
)

// The types of the chunk events that are not text (a text chunk has none).
const (
	ChunkArtifact      = "artifact"
	ChunkBuild         = "build"
	ChunkArtifactError = "artifact_error"
)

// Why a reply ended, in its complete event.
const (
	ReasonCompleted = "completed"
	ReasonStopped   = "stopped"
)

// Metadata is the first event of a turn.
type Metadata struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
	UserMessageID  string `json:"userMessageId"`
	Title          string `json:"title"`
}

// Tokens are the tokens of a reply, as the complete event's usage reports
// them.
type Tokens struct {
	PromptTokens int `json:"promptTokens"`
	OutputTokens int `json:"outputTokens"`
}

// BuildResult reports the build of a React artifact right after it was
// saved (when the request asked for it).
type BuildResult struct {
	Success    bool     `json:"success"`
	ArtifactID string   `json:"artifactId"`
	BundleSize int      `json:"bundleSize"`
	BuildTime  int64    `json:"buildTime"`
	Errors     []string `json:"errors"`
	Warnings   []string `json:"warnings"`
}

// Complete is the last event of a reply that completed.
type Complete struct {
	Reason    string `json:"reason"`
	MessageID string `json:"messageId"`
	Tokens    Tokens `json:"usage"`
	Title     string `json:"title"`
	Credits   int    `json:"credits"`
}

// StreamError is the last event of a reply the model could not finish.
type StreamError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Sink receives the events of a turn. The SSE sink writes them as they
// come; the JSON sink collects them for one response.
type Sink interface {
	Metadata(Metadata)
	Delta(text string)
	Artifact(artifactview.View)
	Build(BuildResult)
	// ArtifactFailed reports code that could not be stored (after the
	// SDK's retries): no metadata was written, so nothing dangles.
	ArtifactFailed(id, title string)
	Complete(Complete)
	Error(StreamError)
}

// sse writes events in the framing the existing frontend parses: each event
// in one Write, flushed, with one compact `data:` line; then `data: [DONE]`.
// Each event's id is its EventID, the same in the journal, so a client can
// resume from any event it saw. Writes after the client has gone fail
// silently: the turn goes on.
type sse struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	rc   *http.ResponseController
	cur  cursor
	gone bool
	last time.Time
}

func newSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The headers go out at once: a reader resuming a silent turn knows it
	// is connected.
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	return &sse{w: w, rc: rc, last: time.Now()}
}

type envelope struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// encode is data as the compact JSON of an event's data line.
func encode(data any) ([]byte, error) {
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(data); err != nil {
		return nil, err
	}
	return bytes.TrimRight(enc.Bytes(), "\n"), nil
}

// event writes an event of the live turn, with the id its place gives it.
func (s *sse) event(kind string, text int, data any) {
	payload, err := encode(envelope{Type: kind, Data: data})
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(frame(s.cur.next(text), kind, payload))
}

// replay writes an event read back from the journal or rebuilt from the
// saved reply, with the id it had.
func (s *sse) replay(id EventID, kind string, data any) {
	payload, err := encode(envelope{Type: kind, Data: data})
	if err != nil {
		return
	}
	s.write(frame(id, kind, payload))
}

// frame is an event in SSE framing.
func frame(id EventID, kind string, payload []byte) []byte {
	buf := make([]byte, 0, len(payload)+48)
	buf = append(buf, "id: "...)
	buf = id.append(buf)
	buf = append(buf, "\nevent: "...)
	buf = append(buf, kind...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, payload...)
	return append(buf, "\n\n"...)
}

func (s *sse) write(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(b)
}

func (s *sse) writeLocked(b []byte) {
	if s.gone {
		return
	}
	if _, err := s.w.Write(b); err != nil {
		s.gone = true
		return
	}
	// lambdaurl's writer streams every Write without implementing Flusher;
	// http.Server's needs the flush.
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.gone = true
	}
	s.last = time.Now()
}

// ping writes a comment when nothing was written for idle.
func (s *sse) ping(idle time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.last) >= idle {
		s.writeLocked([]byte(": ping\n\n"))
	}
}

// disconnected reports whether a write to the client failed.
func (s *sse) disconnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}

func (s *sse) done() { s.write([]byte("data: [DONE]\n\n")) }

// end writes e, with no id, and [DONE], and nothing more: the stream is
// over for its reader, whatever the turn does next.
func (s *sse) end(e StreamError) {
	payload, err := encode(envelope{Type: EventError, Data: e})
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(append(append([]byte("event: error\ndata: "), payload...), "\n\ndata: [DONE]\n\n"...))
	s.gone = true
}

func (s *sse) Metadata(m Metadata) { s.event(EventMetadata, 0, m) }
func (s *sse) Delta(text string)   { s.event(EventChunk, len(text), TextChunk{text}) }
func (s *sse) Artifact(a artifactview.View) {
	s.event(EventChunk, 0, artifactData(a))
}
func (s *sse) Build(b BuildResult) { s.event(EventChunk, 0, buildData(b)) }
func (s *sse) ArtifactFailed(id, title string) {
	s.event(EventChunk, 0, artifactFailedData(id, title))
}
func (s *sse) Complete(c Complete) { s.event(EventComplete, 0, c) }
func (s *sse) Error(e StreamError) { s.event(EventError, 0, e) }

// The data of chunk events.

// TextChunk is reply text, as the model wrote it.
type TextChunk struct {
	Text string `json:"text"`
}

// ArtifactChunk is an artifact of the reply, saved: its code can be read.
type ArtifactChunk struct {
	Type     string            `json:"type"`
	Artifact artifactview.View `json:"artifact"`
}

// BuildChunk is the build of an artifact of the reply.
type BuildChunk struct {
	Type        string      `json:"type"`
	BuildResult BuildResult `json:"buildResult"`
}

// ArtifactErrorChunk is code of the reply that could not be saved as an
// artifact.
type ArtifactErrorChunk struct {
	Type       string `json:"type"`
	ArtifactID string `json:"artifactId"`
	Title      string `json:"title"`
	Message    string `json:"message"`
}

func artifactData(a artifactview.View) ArtifactChunk {
	return ArtifactChunk{Type: ChunkArtifact, Artifact: a}
}

func buildData(b BuildResult) BuildChunk {
	return BuildChunk{Type: ChunkBuild, BuildResult: b}
}

func artifactFailedData(id, title string) ArtifactErrorChunk {
	return ArtifactErrorChunk{Type: ChunkArtifactError, ArtifactID: id, Title: title,
		Message: "This code could not be saved as an artifact. It is still in the reply."}
}

// collector keeps a turn's events for the JSON response of stream: false.
type collector struct {
	mu       sync.Mutex
	meta     Metadata
	text     []byte
	arts     []artifactview.View
	builds   []BuildResult
	complete *Complete
	err      *StreamError
	failed   []string
}

func (c *collector) Metadata(m Metadata) { c.mu.Lock(); c.meta = m; c.mu.Unlock() }
func (c *collector) Delta(t string)      { c.mu.Lock(); c.text = append(c.text, t...); c.mu.Unlock() }
func (c *collector) Artifact(a artifactview.View) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.arts {
		if c.arts[i].ID == a.ID {
			c.arts[i] = a
			return
		}
	}
	c.arts = append(c.arts, a)
}
func (c *collector) Build(b BuildResult) { c.mu.Lock(); c.builds = append(c.builds, b); c.mu.Unlock() }
func (c *collector) ArtifactFailed(id, _ string) {
	c.mu.Lock()
	c.failed = append(c.failed, id)
	c.mu.Unlock()
}
func (c *collector) Complete(x Complete) { c.mu.Lock(); c.complete = &x; c.mu.Unlock() }
func (c *collector) Error(e StreamError) { c.mu.Lock(); c.err = &e; c.mu.Unlock() }
