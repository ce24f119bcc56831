package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Runtime API paths and headers (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	runtimeAPIPrefix  = "/2018-06-01/runtime"
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
)

// httpIntegrationContentType marks a streamed Function URL response: a JSON
// prelude (status, headers, cookies), eight NUL bytes, then the body.
const httpIntegrationContentType = "application/vnd.awslambda.http-integration-response"

// maxPayload is Lambda's limit on a synchronous invocation's request and
// buffered response (6 MB).
const maxPayload = 6 * 1024 * 1024

// errThrottled is the answer to an invocation of a function whose
// instances are all busy and at their limit (its reserved concurrency, or
// Options.MaxInstances): Lambda throttles synchronous invocations then,
// it does not queue them.
var errThrottled = errors.New("TooManyRequestsException: Rate Exceeded")

// errPayloadTooLarge is Lambda's answer to a request or a buffered
// response over 6 MB.
var errPayloadTooLarge = errors.New("payload over 6 MB")

// functionError is an error of a function: one it reported through the
// Runtime API (at initialisation or for an invocation), its process ending,
// or its timeout.
type functionError struct {
	Function string
	Init     bool   // before the function asked for its first event
	Type     string // errorType, such as "Runtime.ExitError" or "Sandbox.Timedout"
	Message  string
	// Payload is the error as the function reported it, or as Lambda
	// reports it: {"errorMessage": ..., "errorType": ...}.
	Payload []byte
}

func (e *functionError) Error() string {
	phase := "invocation"
	if e.Init {
		phase = "init"
	}
	return fmt.Sprintf("function %s: %s error %s: %s", e.Function, phase, e.Type, e.Message)
}

func newFunctionError(fn, typ, msg string, init bool) *functionError {
	payload, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	return &functionError{Function: fn, Init: init, Type: typ, Message: msg, Payload: payload}
}

// response is a function's answer as it arrives. Body must be closed;
// closing it early lets the function finish unread, as Lambda lets a
// function finish when its client leaves.
type response struct {
	ContentType string
	Body        io.ReadCloser
}

// pool runs the instances of one function: processes of its bootstrap, each
// with a Runtime API of its own and one invocation at a time. A new
// instance starts when all are busy, up to max; idle ones are reused, as
// Lambda reuses warm instances.
type pool struct {
	fn        *function
	bootstrap string
	env       []string
	max       int
	logs      *logSink

	mu     sync.Mutex
	idle   []*instance
	all    map[*instance]struct{} // running instances
	live   int                    // running and starting instances
	starts int
	closed bool
}

func newPool(fn *function, bootstrap string, env []string, max int, logs *logSink) *pool {
	return &pool{fn: fn, bootstrap: bootstrap, env: env, max: max, logs: logs, all: map[*instance]struct{}{}}
}

// instances reports how many processes of the function are running and how
// many were ever started.
func (p *pool) instances() (running, started int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all), p.starts
}

// invoke sends payload to an instance and returns as soon as the function
// starts its response. ctx bounds the wait for that start; the invocation
// itself runs to its end or its timeout, as in Lambda.
func (p *pool) invoke(ctx context.Context, payload []byte) (*response, error) {
	if len(payload) > maxPayload {
		return nil, errPayloadTooLarge
	}
	inst, err := p.acquire()
	if err != nil {
		return nil, err
	}
	return inst.invoke(ctx, payload)
}

// acquire returns an idle instance, or a new one.
func (p *pool) acquire() (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the local stack is closed")
	}
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	if p.live >= p.max {
		p.mu.Unlock()
		return nil, fmt.Errorf("function %s: %w (%d instances busy)", p.fn.name, errThrottled, p.max)
	}
	p.starts++
	p.live++
	inst := &instance{pool: p, n: p.starts}
	p.mu.Unlock()
	if err := inst.start(); err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Lock()
	select {
	case <-inst.exited: // already dropped, or about to be
	default:
		p.all[inst] = struct{}{}
	}
	closed := p.closed
	p.mu.Unlock()
	if closed {
		inst.kill()
		return nil, errors.New("the local stack is closed")
	}
	return inst, nil
}

// release makes inst available again.
func (p *pool) release(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go inst.kill()
		return
	}
	p.idle = append(p.idle, inst)
}

// drop forgets an instance that ended.
func (p *pool) drop(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.all, inst)
	p.live--
	for i, x := range p.idle {
		if x == inst {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
}

// close stops every instance.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*instance, 0, len(p.all))
	for inst := range p.all {
		all = append(all, inst)
	}
	p.mu.Unlock()
	for _, inst := range all {
		inst.kill()
	}
}

// instance is one process of a function and the Runtime API it talks to.
type instance struct {
	pool *pool
	n    int

	cmd     *exec.Cmd
	srv     *http.Server
	next    chan *invocation    // taken by the function's GET .../next
	initErr chan *functionError // reported through .../init/error
	ready   chan struct{}       // closed at the function's first GET .../next
	exited  chan struct{}       // closed when the process has ended
	once    sync.Once

	mu      sync.Mutex
	current *invocation
	killed  bool
}

func (i *instance) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("runtime API: %w", err)
	}
	i.next, i.initErr = make(chan *invocation), make(chan *functionError, 1)
	i.ready, i.exited = make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPIPrefix+"/invocation/next", i.serveNext)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/response", i.serveResponse)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/error", i.serveError)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/init/error", i.serveInitError)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = i.srv.Serve(ln) }()

	p := i.pool
	i.cmd = exec.Command(p.bootstrap)
	i.cmd.Dir = filepath.Dir(p.bootstrap)
	i.cmd.Env = append(p.env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		fmt.Sprintf("AWS_LAMBDA_LOG_STREAM_NAME=%s/[$LATEST]%d", time.Now().Format("2006/01/02"), i.n))
	out := p.logs.writer(fmt.Sprintf("%s#%d", p.fn.logicalID, i.n))
	i.cmd.Stdout, i.cmd.Stderr = out, out
	i.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := i.cmd.Start(); err != nil {
		i.srv.Close()
		return fmt.Errorf("function %s: start %s: %w", p.fn.name, p.bootstrap, err)
	}
	go func() {
		_ = i.cmd.Wait()
		out.Close()
		i.srv.Close()
		close(i.exited)
		p.drop(i)
	}()
	return nil
}

// kill ends the process.
func (i *instance) kill() {
	i.mu.Lock()
	i.killed = true
	i.mu.Unlock()
	if i.cmd.Process != nil {
		_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-i.exited
}

// invoke runs one invocation on i (which the caller acquired).
func (i *instance) invoke(ctx context.Context, payload []byte) (*response, error) {
	fn := i.pool.fn
	inv := &invocation{
		id: uuid.NewString(), payload: payload, deadline: time.Now().Add(fn.timeout),
		started: make(chan result, 1), done: make(chan struct{}),
	}
	inv.body, inv.bodyW = io.Pipe()
	timer := time.NewTimer(fn.timeout)
	select {
	case i.next <- inv:
	case fe := <-i.initErr:
		timer.Stop()
		i.kill()
		return nil, fe
	case <-i.exited:
		timer.Stop()
		i.mu.Lock()
		killed := i.killed
		i.mu.Unlock()
		if killed {
			return nil, fmt.Errorf("function %s: the local stack is closed", fn.name)
		}
		select {
		case fe := <-i.initErr:
			return nil, fe
		default:
		}
		return nil, newFunctionError(fn.name, "Runtime.ExitError", fmt.Sprintf("the process ended before taking an invocation: %v", i.cmd.ProcessState), !i.isReady())
	case <-timer.C:
		i.kill()
		return nil, newFunctionError(fn.name, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds (initialising)", fn.timeout.Seconds()), true)
	case <-ctx.Done():
		timer.Stop()
		i.pool.release(i)
		return nil, ctx.Err()
	}
	go i.supervise(inv, timer)
	select {
	case res := <-inv.started:
		if res.err != nil {
			return nil, res.err
		}
		return &response{ContentType: res.contentType, Body: inv.body}, nil
	case <-ctx.Done():
		// The invocation runs on; its response is not read.
		inv.body.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
}

// supervise ends the invocation at the function's timeout, killing the
// instance as Lambda does, and returns the instance to the pool when the
// invocation ends in time.
func (i *instance) supervise(inv *invocation, timer *time.Timer) {
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-timer.C:
		fn := i.pool.fn
		inv.fail(newFunctionError(fn.name, "Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, fn.timeout.Seconds()), false))
		i.kill()
		return
	case <-i.exited:
		inv.fail(newFunctionError(i.pool.fn.name, "Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %v", inv.id, i.cmd.ProcessState), false))
		return
	}
	i.mu.Lock()
	i.current = nil
	killed := i.killed
	i.mu.Unlock()
	select {
	case <-i.exited:
	default:
		if !killed {
			i.pool.release(i)
		}
	}
}

func (i *instance) isReady() bool {
	select {
	case <-i.ready:
		return true
	default:
		return false
	}
}

// invocation is one event and the response it gets.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	started  chan result // the start of the response, or the error
	body     *io.PipeReader
	bodyW    *io.PipeWriter
	done     chan struct{} // closed when the function has answered
	once     sync.Once
}

// result is how an invocation starts: a response, or an error.
type result struct {
	contentType string
	err         error
}

// report records how the invocation started; only the first counts.
func (inv *invocation) report(res result) {
	select {
	case inv.started <- res:
	default:
	}
}

// fail ends the invocation with err: reported if nothing was, and the end
// of a response in progress.
func (inv *invocation) fail(err error) {
	inv.report(result{err: err})
	inv.bodyW.CloseWithError(err)
	inv.finish()
}

func (inv *invocation) finish() { inv.once.Do(func() { close(inv.done) }) }

// serveNext hands the function its next invocation; it waits, as in Lambda,
// until there is one.
func (i *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	i.once.Do(func() { close(i.ready) })
	var inv *invocation
	select {
	case inv = <-i.next:
	case <-r.Context().Done():
		return
	}
	i.mu.Lock()
	i.current = inv
	i.mu.Unlock()
	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, i.pool.fn.arn)
	h.Set(headerTraceID, fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8)))
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

// invocation returns the invocation in progress called id.
func (i *instance) invocation(id string) *invocation {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.current == nil || i.current.id != id {
		return nil
	}
	return i.current
}

// serveResponse passes the response body on as it arrives, then the error
// its trailers report, if any. A streamed response is a chunked request
// body; a buffered one is the same with one chunk, so both are served
// alike. When the reader has gone, the rest is read and dropped, so that
// the function can finish.
func (i *instance) serveResponse(w http.ResponseWriter, r *http.Request) {
	inv := i.invocation(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorMessage":"unknown or finished invocation","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	inv.report(result{contentType: r.Header.Get("Content-Type")})
	buf := make([]byte, 32<<10)
	readerGone := false
	var err error
	for {
		n, rerr := r.Body.Read(buf)
		if n > 0 && !readerGone {
			if _, werr := inv.bodyW.Write(buf[:n]); werr != nil {
				readerGone = true
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	if err == nil && r.Trailer.Get(headerErrorType) != "" {
		msg, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		err = newFunctionError(i.pool.fn.name, r.Trailer.Get(headerErrorType), string(msg), false)
	}
	inv.bodyW.CloseWithError(err) // nil: io.EOF for the reader
	inv.finish()
	w.WriteHeader(http.StatusAccepted)
}

// serveError records an error the function reports for an invocation.
func (i *instance) serveError(w http.ResponseWriter, r *http.Request) {
	inv := i.invocation(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorMessage":"unknown or finished invocation","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	inv.fail(i.reportedError(r, false))
	w.WriteHeader(http.StatusAccepted)
}

// serveInitError records an error the function reports before its first
// invocation.
func (i *instance) serveInitError(w http.ResponseWriter, r *http.Request) {
	select {
	case i.initErr <- i.reportedError(r, true):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

func (i *instance) reportedError(r *http.Request, init bool) *functionError {
	payload, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	var body struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &body)
	if body.Type == "" {
		body.Type = r.Header.Get(headerErrorType)
	}
	if !json.Valid(payload) {
		payload, _ = json.Marshal(map[string]string{"errorMessage": string(payload), "errorType": body.Type})
	}
	return &functionError{Function: i.pool.fn.name, Init: init, Type: body.Type, Message: body.Message, Payload: payload}
}

// readPayload reads a buffered response whole, within Lambda's limit.
func readPayload(fn string, resp *response) ([]byte, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPayload {
		return nil, newFunctionError(fn, "Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload), false)
	}
	return data, nil
}

// logSink collects the output of every function process, each line
// prefixed with the instance that wrote it.
type logSink struct {
	mu  sync.Mutex
	out io.Writer
}

func (s *logSink) writer(prefix string) *lineWriter {
	return &lineWriter{sink: s, prefix: prefix + " "}
}

// lineWriter writes whole lines to its sink.
type lineWriter struct {
	sink    *logSink
	prefix  string
	mu      sync.Mutex
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// Close writes what is left of an unfinished line.
func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(append(w.partial, '\n'))
		w.partial = nil
	}
	return nil
}

func (w *lineWriter) emit(line []byte) {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	if w.sink.out == nil {
		return
	}
	_, _ = io.WriteString(w.sink.out, w.prefix)
	_, _ = w.sink.out.Write(line)
}

// reservedVariables are the variables Lambda sets itself; a deployment that
// sets one fails.
var reservedVariables = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
