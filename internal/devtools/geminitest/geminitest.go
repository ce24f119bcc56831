// Package geminitest is a fake Gemini API that speaks the wire format of the
// google.golang.org/genai SDK (Gemini API backend), for tests and for the
// devserver's offline model.
//
// It answers POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse
// with server-sent events, each a line "data: {json}" followed by a blank
// line (nothing else: an "event:" line makes the SDK fail), and
// POST {base}/v1beta/models/{model}:generateContent with one JSON object.
// Failures use Google's error shape,
// {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}}.
//
// It checks what it receives and answers 400 when a real client of ours would
// be wrong: a missing or wrong x-goog-api-key (when WithAPIKey is given),
// unknown top-level fields, empty texts, roles that do not alternate
// user/model starting with user, and settings other than SPEC.md's (see
// CheckSpecSettings and WithSettingsCheck). Every request is recorded and
// returned by Requests.
//
// Replies are scripted with Enqueue (text pieces, delays, error statuses
// before the stream, a cut connection or an error event mid-stream, chunks
// held back until a test releases them, a blocked prompt); when the queue is empty the offline model answers:
// canned, deterministic replies that say where they come from and contain a
// working React component, HTML page or Python script when asked for one.
package geminitest

import (
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Reply is one scripted answer.
//
// Chunks are sent as one event each, in order; the last carries
// finishReason. For generateContent they are joined into one answer, held
// back until Hold is closed; Delay, HoldAfter, CutAfter and CutWith do not
// apply (a Cut closes the connection without an answer).
type Reply struct {
	Chunks       []string      // the text pieces; none sends one empty chunk
	Delay        time.Duration // the pause before each chunk after the first
	FinishReason string        // the last chunk's finishReason; default "STOP"

	// Fail, an HTTP status such as 429, 500 or 503, answers the first
	// FailTimes attempts with that error before the reply is sent; the reply
	// stays first in the queue until then. FailTimes 0 fails every attempt.
	Fail      int
	FailTimes int
	// RetryAfter, with Fail, is sent as a RetryInfo detail (retryDelay, as
	// Gemini does on 429) and as a Retry-After header in whole seconds,
	// rounded up; with CutWith, as the RetryInfo detail of the error event.
	RetryAfter time.Duration

	// Cut closes the connection after CutAfter chunks, none of which carries
	// a finishReason: a stream that breaks.
	Cut      bool
	CutAfter int
	// CutWith, an HTTP status such as 500 or 429, makes the Cut an error
	// event in Google's error shape followed by the end of the body, as
	// Gemini fails after its 200 header, instead of a closed connection.
	CutWith int

	// Hold, when not nil, holds back the chunks from index HoldAfter on
	// until it is closed, so that a test can observe what arrived before.
	Hold      <-chan struct{}
	HoldAfter int

	// Sent, when not nil, receives the time each chunk of a stream was
	// flushed (a benchmark's reference for what the chunk's way on costs);
	// it must have room for every chunk.
	Sent chan<- time.Time

	// BlockReason, such as "SAFETY", answers promptFeedback.blockReason and
	// no candidates, as Gemini does for a blocked prompt.
	BlockReason string
}

// Option configures a Handler.
type Option func(*Handler)

// WithAPIKey makes the fake require the x-goog-api-key header to equal key.
// Without it any key, or none, is accepted.
func WithAPIKey(key string) Option {
	return func(h *Handler) { h.apiKey = key }
}

// WithSettingsCheck replaces CheckSpecSettings as the check of each request's
// settings; a non-nil error answers 400 with its text. nil turns the check
// off, for tests that send other settings on purpose.
func WithSettingsCheck(check func(Request) error) Option {
	return func(h *Handler) { h.checkSettings = check }
}

// WithResponder replaces the offline model as the answer to requests that
// find the queue empty. A reply it gives with Fail is that error, once.
func WithResponder(respond func(Request) Reply) Option {
	return func(h *Handler) { h.respond = respond }
}

// Offline makes the fake the devserver's offline model: unscripted replies
// are paced at OfflineDelay per chunk, so that streaming is visible.
func Offline() Option {
	return func(h *Handler) { h.pace = OfflineDelay }
}

// OfflineDelay is the pause between chunks of an Offline fake's replies.
const OfflineDelay = 20 * time.Millisecond

// Handler is the fake Gemini API as an http.Handler, for mounting on any
// listener (the devserver mounts it under its own address). It is safe for
// concurrent use.
type Handler struct {
	apiKey        string
	checkSettings func(Request) error
	respond       func(Request) Reply
	pace          time.Duration
	done          chan struct{}
	stopOnce      sync.Once

	mu       sync.Mutex
	queue    []*queued
	requests []Request
	served   int
}

// queued is a scripted reply and the failures it has answered so far.
type queued struct {
	Reply
	failed int
}

// NewHandler returns a fake with the given options and an empty queue.
func NewHandler(opts ...Option) *Handler {
	h := &Handler{checkSettings: CheckSpecSettings, done: make(chan struct{})}
	h.respond = func(r Request) Reply { return offlineReply(r, h.pace) }
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// Enqueue adds scripted replies, answered in order before any unscripted
// one.
func (h *Handler) Enqueue(replies ...Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range replies {
		h.queue = append(h.queue, &queued{Reply: r})
	}
}

// Respond makes respond answer the requests that find the queue empty.
func (h *Handler) Respond(respond func(Request) Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.respond = respond
}

// Requests returns the requests received so far, oldest first, including
// the ones answered with an error (at least the last 1000 of them).
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// next picks the answer to r: the head of the queue or the responder's. A
// non-zero status means an error answer instead: a responder's reply with
// Fail answers that error (FailTimes does not apply: the next request asks
// the responder again).
func (h *Handler) next(r Request) (Reply, int) {
	h.mu.Lock()
	if len(h.queue) == 0 {
		respond := h.respond
		h.mu.Unlock()
		reply := respond(r)
		return reply, reply.Fail
	}
	defer h.mu.Unlock()
	head := h.queue[0]
	if head.Fail != 0 && (head.FailTimes == 0 || head.failed < head.FailTimes) {
		head.failed++
		return head.Reply, head.Fail
	}
	h.queue = h.queue[1:]
	return head.Reply, 0
}

// maxRecorded bounds the request log of a long-running fake (the
// devserver's offline model); Requests returns at least the last
// maxRecorded requests.
const maxRecorded = 1000

// record appends r to the log and numbers the response.
func (h *Handler) record(r Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.requests) == 2*maxRecorded {
		h.requests = slices.Clone(h.requests[maxRecorded:])
	}
	h.requests = append(h.requests, r)
	h.served++
	return h.served
}

// stop releases every handler waiting on a delay or a hold.
func (h *Handler) stop() {
	h.stopOnce.Do(func() { close(h.done) })
}

// Server is a Handler listening on 127.0.0.1 for tests.
type Server struct {
	*Handler
	ts *httptest.Server
}

// New starts a fake on a free local port. Close it when done.
func New(opts ...Option) *Server {
	h := NewHandler(opts...)
	return &Server{Handler: h, ts: httptest.NewServer(h)}
}

// URL is the base URL to give the SDK (genai.HTTPOptions.BaseURL).
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server; replies still held or delayed are abandoned.
func (s *Server) Close() {
	s.stop()
	s.ts.Close()
}
