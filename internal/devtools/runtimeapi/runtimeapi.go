// Package runtimeapi runs a Lambda function's real bootstrap under a Lambda
// Runtime API of its own (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
// the process asks for its invocations and answers them over HTTP, as in
// Lambda, with Lambda's deadlines, timeouts and errors. Unlike the Runtime
// Interface Emulator it passes a response on as it arrives, so a Function
// URL handler in RESPONSE_STREAM mode (lambdaurl) can be read event by event
// while it still runs.
//
// An Instance is one process taking one invocation at a time. Package
// localcloud keeps pools of them per function behind its HTTP API,
// Function URLs and Invoke API; package lambdatest's tests stream the chat
// function from instances of their own.
package runtimeapi

import (
	"bufio"
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
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Runtime API paths and headers.
const (
	pathPrefix        = "/2018-06-01/runtime"
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
)

// HTTPIntegrationContentType marks a Function URL response: a JSON prelude
// (status, headers, cookies), eight NUL bytes, then the body.
const HTTPIntegrationContentType = "application/vnd.awslambda.http-integration-response"

// MaxPayload is Lambda's limit on a synchronous invocation's request and
// buffered response (6 MB).
const MaxPayload = 6 * 1024 * 1024

// MaxTimeout is Lambda's longest function timeout, a Function's default.
const MaxTimeout = 15 * time.Minute

// errStopped answers an invocation of an instance that was killed.
var errStopped = errors.New("the instance was stopped")

// Function is what an instance runs.
type Function struct {
	Name      string // in errors
	ARN       string // Lambda-Runtime-Invoked-Function-Arn
	Bootstrap string // the executable; it runs in its own directory
	// Env is the process's whole environment; Start adds
	// AWS_LAMBDA_RUNTIME_API.
	Env []string
	// Timeout bounds each invocation, and the start before the first
	// (default MaxTimeout).
	Timeout time.Duration
	// Output receives the process's stdout and stderr; nil discards them.
	Output io.Writer
}

// FunctionError is an error of a function: one it reported through the
// Runtime API (at initialisation or for an invocation), its process
// ending, or its timeout.
type FunctionError struct {
	Function string
	Init     bool   // before the function asked for its first event
	Type     string // errorType, such as "Runtime.ExitError" or "Sandbox.Timedout"
	Message  string
	// Payload is the error as the function reported it, or as Lambda
	// reports it: {"errorMessage": ..., "errorType": ...}.
	Payload []byte
}

func (e *FunctionError) Error() string {
	phase := "invocation"
	if e.Init {
		phase = "init"
	}
	return fmt.Sprintf("function %s: %s error %s: %s", e.Function, phase, e.Type, e.Message)
}

func newFunctionError(fn, typ, msg string, init bool) *FunctionError {
	payload, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	return &FunctionError{Function: fn, Init: init, Type: typ, Message: msg, Payload: payload}
}

// Response is a function's answer as it arrives. Body must be closed;
// closing it early lets the function finish unread, as Lambda lets a
// function finish when its client leaves. Body ends with io.EOF when the
// function has finished, or with a *FunctionError when it fails part way.
type Response struct {
	ContentType string
	Body        io.ReadCloser
	function    string
}

// Payload reads a buffered response whole and closes it. One over
// MaxPayload is a Function.ResponseSizeTooLarge error, as in Lambda.
func (r *Response) Payload() ([]byte, error) {
	defer r.Body.Close()
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxPayload {
		return nil, newFunctionError(r.function, "Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayload), false)
	}
	return data, nil
}

// Prelude is the status, headers and cookies a Function URL response
// starts with.
type Prelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

// ReadPrelude reads an HTTP integration response's JSON prelude and the
// eight NUL bytes after it, leaving br at the body.
func ReadPrelude(br *bufio.Reader) (Prelude, error) {
	var head []byte
	sep := make([]byte, 8)
	for !bytes.HasSuffix(head, sep) {
		c, err := br.ReadByte()
		if err != nil {
			return Prelude{}, fmt.Errorf("read response prelude %q: %w", head, err)
		}
		head = append(head, c)
	}
	var p Prelude
	if err := json.Unmarshal(head[:len(head)-8], &p); err != nil {
		return Prelude{}, fmt.Errorf("decode response prelude %q: %w", head, err)
	}
	return p, nil
}

// SplitStreamed separates a whole HTTP integration response, as the
// Runtime Interface Emulator returns a streamed one, into its prelude and
// body.
func SplitStreamed(raw []byte) (Prelude, []byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	p, err := ReadPrelude(br)
	if err != nil {
		return Prelude{}, nil, err
	}
	body, err := io.ReadAll(br)
	return p, body, err
}

// Instance is one process of a function and the Runtime API it talks to.
// It takes one invocation at a time: Invoke again only once WaitIdle has
// returned true.
type Instance struct {
	fn Function

	cmd       *exec.Cmd
	srv       *http.Server
	next      chan *invocation    // taken by the function's GET .../next
	initErr   chan *FunctionError // reported through .../init/error
	asked     chan struct{}       // closed at the function's first GET .../next
	askedOnce sync.Once
	idle      chan struct{} // holds a token when an invocation has ended in time
	exited    chan struct{} // closed when the process has ended

	mu      sync.Mutex
	current *invocation
	killed  bool
}

// Start runs fn's bootstrap in a process group of its own, with a Runtime
// API on a free 127.0.0.1 port. The function initialises meanwhile; its
// first Invoke waits for it.
func Start(fn Function) (*Instance, error) {
	if fn.Timeout <= 0 {
		fn.Timeout = MaxTimeout
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API: %w", err)
	}
	i := &Instance{
		fn:   fn,
		next: make(chan *invocation), initErr: make(chan *FunctionError, 1),
		asked: make(chan struct{}), idle: make(chan struct{}, 1), exited: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathPrefix+"/invocation/next", i.serveNext)
	mux.HandleFunc("POST "+pathPrefix+"/invocation/{id}/response", i.serveResponse)
	mux.HandleFunc("POST "+pathPrefix+"/invocation/{id}/error", i.serveError)
	mux.HandleFunc("POST "+pathPrefix+"/init/error", i.serveInitError)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = i.srv.Serve(ln) }()

	i.cmd = exec.Command(fn.Bootstrap)
	i.cmd.Dir = filepath.Dir(fn.Bootstrap)
	i.cmd.Env = append(slices.Clip(fn.Env), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	i.cmd.Stdout, i.cmd.Stderr = fn.Output, fn.Output
	i.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Kill stops its children too
	if err := i.cmd.Start(); err != nil {
		i.srv.Close()
		return nil, fmt.Errorf("function %s: start %s: %w", fn.Name, fn.Bootstrap, err)
	}
	go func() {
		_ = i.cmd.Wait()
		i.srv.Close()
		close(i.exited)
	}()
	return i, nil
}

// Exited is closed when the process has ended.
func (i *Instance) Exited() <-chan struct{} { return i.exited }

// Kill ends the process and waits for its end.
func (i *Instance) Kill() {
	i.mu.Lock()
	i.killed = true
	i.mu.Unlock()
	_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	<-i.exited
}

// WaitIdle waits until the instance can take another invocation: the one
// it took has ended in time, or was never handed over. It reports false
// when the instance ended instead (an init error, a timeout, an exit, Kill).
func (i *Instance) WaitIdle() bool {
	select {
	case <-i.idle:
	case <-i.exited:
		return false
	}
	select {
	case <-i.exited:
		return false
	default:
		return !i.wasKilled()
	}
}

func (i *Instance) wasKilled() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.killed
}

// markIdle lets WaitIdle return.
func (i *Instance) markIdle() {
	select {
	case i.idle <- struct{}{}:
	default:
	}
}

// Invoke hands payload to the function and returns as soon as the function
// starts its response. ctx bounds the wait for that start; the invocation
// itself runs to its end or its timeout, as in Lambda. A function that
// does not start within its timeout, or answers later, is killed, as
// Lambda ends an instance that timed out.
func (i *Instance) Invoke(ctx context.Context, payload []byte) (*Response, error) {
	name := i.fn.Name
	inv := &invocation{
		id: uuid.NewString(), payload: payload, deadline: time.Now().Add(i.fn.Timeout),
		started: make(chan result, 1), done: make(chan struct{}),
	}
	inv.body, inv.bodyW = io.Pipe()
	timer := time.NewTimer(i.fn.Timeout)
	select {
	case i.next <- inv:
	case fe := <-i.initErr:
		timer.Stop()
		i.Kill()
		return nil, fe
	case <-i.exited:
		timer.Stop()
		if i.wasKilled() {
			return nil, fmt.Errorf("function %s: %w", name, errStopped)
		}
		select {
		case fe := <-i.initErr:
			return nil, fe
		default:
		}
		return nil, newFunctionError(name, "Runtime.ExitError", fmt.Sprintf("the process ended before taking an invocation: %v", i.cmd.ProcessState), !i.hasAsked())
	case <-timer.C:
		i.Kill()
		return nil, newFunctionError(name, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds (initialising)", i.fn.Timeout.Seconds()), true)
	case <-ctx.Done():
		timer.Stop()
		i.markIdle()
		return nil, ctx.Err()
	}
	go i.supervise(inv, timer)
	select {
	case res := <-inv.started:
		if res.err != nil {
			return nil, res.err
		}
		return &Response{ContentType: res.contentType, Body: inv.body, function: name}, nil
	case <-ctx.Done():
		// The invocation runs on; its response is not read.
		inv.body.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
}

// supervise ends the invocation at the function's timeout, killing the
// instance as Lambda does, or at the process's end; an invocation that
// ends in time leaves the instance idle.
func (i *Instance) supervise(inv *invocation, timer *time.Timer) {
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-timer.C:
		inv.fail(newFunctionError(i.fn.Name, "Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, i.fn.Timeout.Seconds()), false))
		i.Kill()
		return
	case <-i.exited:
		inv.fail(newFunctionError(i.fn.Name, "Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %v", inv.id, i.cmd.ProcessState), false))
		return
	}
	i.mu.Lock()
	i.current = nil
	i.mu.Unlock()
	i.markIdle()
}

func (i *Instance) hasAsked() bool {
	select {
	case <-i.asked:
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
func (i *Instance) serveNext(w http.ResponseWriter, r *http.Request) {
	i.askedOnce.Do(func() { close(i.asked) })
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
	h.Set(headerFunctionARN, i.fn.ARN)
	h.Set(headerTraceID, traceID())
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

// invocation returns the invocation in progress called id.
func (i *Instance) invocation(id string) *invocation {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.current == nil || i.current.id != id {
		return nil
	}
	return i.current
}

// serveResponse passes the response body on as it arrives, then the error
// its trailers report, if any. A streamed response is a chunked request
// body (with Lambda-Runtime-Function-Response-Mode: streaming, or without
// it, as aws-lambda-go sends one); a buffered one is the same with one
// chunk, so both are served alike. When the reader has gone, the rest is
// read and dropped, so that the function can finish.
func (i *Instance) serveResponse(w http.ResponseWriter, r *http.Request) {
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
		n, rerr := r.Body.Read(buf) // returns the chunks that have arrived
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
		err = newFunctionError(i.fn.Name, r.Trailer.Get(headerErrorType), string(msg), false)
	}
	inv.bodyW.CloseWithError(err) // nil: io.EOF for the reader
	inv.finish()
	w.WriteHeader(http.StatusAccepted)
}

// serveError records an error the function reports for an invocation.
func (i *Instance) serveError(w http.ResponseWriter, r *http.Request) {
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
func (i *Instance) serveInitError(w http.ResponseWriter, r *http.Request) {
	select {
	case i.initErr <- i.reportedError(r, true):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

func (i *Instance) reportedError(r *http.Request, init bool) *FunctionError {
	payload, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
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
	return &FunctionError{Function: i.fn.Name, Init: init, Type: body.Type, Message: body.Message, Payload: payload}
}

// traceID is an X-Ray trace header for one invocation, not sampled.
func traceID() string {
	b := make([]byte, 20)
	rand.Read(b) // never fails since Go 1.24
	h := hex.EncodeToString(b)
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:])
}
