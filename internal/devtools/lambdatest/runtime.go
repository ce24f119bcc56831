package lambdatest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
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

// httpIntegrationContentType marks a Function URL response: a JSON prelude
// (status, headers, cookies), eight NUL bytes, then the body.
const httpIntegrationContentType = "application/vnd.awslambda.http-integration-response"

// requestID is the id of the one invocation Stream hands a function.
const requestID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

// FunctionError is an error a function reported through the Runtime API,
// at initialisation or for the invocation, or the way its process ended.
type FunctionError struct {
	Init    bool   // reported before the function asked for its first event
	Type    string // errorType, such as "Runtime.ExitError" or "*errors.errorString"
	Message string
}

func (e *FunctionError) Error() string {
	phase := "invocation"
	if e.Init {
		phase = "init"
	}
	return fmt.Sprintf("function %s error %s: %s", phase, e.Type, e.Message)
}

// Prelude is the status, headers and cookies a Function URL response
// starts with.
type Prelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

// StreamResponse is a response as the function produces it.
type StreamResponse struct {
	// Prelude is set for a Function URL (HTTP integration) response; other
	// responses have no prelude and the whole payload is the body.
	Prelude
	// Body reads the body as the function writes it. It ends with io.EOF
	// when the function has finished, or with a *FunctionError or the
	// process's end when it fails part way.
	Body io.Reader

	proc *process
}

// Logs returns what the function has printed so far.
func (r *StreamResponse) Logs() string { return r.proc.logs.String() }

// Close stops the function and its Runtime API server.
func (r *StreamResponse) Close() error { return r.proc.close() }

// Stream runs bootstrap with env (its whole environment, to which Stream
// adds AWS_LAMBDA_RUNTIME_API and the function's name) under a Runtime API
// of its own, hands it event as its one invocation, and returns the
// response as soon as the function starts sending it. The function runs
// until Close, or until ctx ends.
func Stream(ctx context.Context, bootstrap string, env []string, event []byte) (*StreamResponse, error) {
	p, err := startProcess(ctx, bootstrap, env, event)
	if err != nil {
		return nil, err
	}
	var out result
	select {
	case out = <-p.results:
	case <-p.exited:
		// A result posted just before the exit still counts.
		select {
		case out = <-p.results:
		default:
			out.err = &FunctionError{Init: !p.started(), Type: "Runtime.ExitError", Message: fmt.Sprintf("%v\n%s", p.cmd.ProcessState, p.logs.String())}
		}
	case <-ctx.Done():
		out.err = ctx.Err()
	}
	if out.err != nil {
		p.close()
		return nil, out.err
	}
	resp := &StreamResponse{Body: out.body, proc: p}
	if out.contentType == httpIntegrationContentType {
		br := bufio.NewReader(out.body)
		if resp.Prelude, err = readPrelude(br); err != nil {
			p.close()
			return nil, err
		}
		resp.Body = br
	}
	return resp, nil
}

// SplitStreamed separates a whole Function URL response, as the emulator
// returns a streamed one, into its prelude and body.
func SplitStreamed(raw []byte) (Prelude, []byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	p, err := readPrelude(br)
	if err != nil {
		return Prelude{}, nil, err
	}
	body, err := io.ReadAll(br)
	return p, body, err
}

// readPrelude reads the JSON prelude and the eight NUL bytes after it.
func readPrelude(br *bufio.Reader) (Prelude, error) {
	var head []byte
	for !bytes.HasSuffix(head, make([]byte, 8)) {
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

// result is the first thing the function reports: a response or an error.
type result struct {
	contentType string
	body        io.Reader
	err         error
}

// process is a function process and the Runtime API server it talks to.
type process struct {
	cmd     *exec.Cmd
	srv     *http.Server
	logs    logFile
	event   []byte
	next    chan struct{} // holds a token until the function takes its event
	results chan result   // the first response or error
	exited  chan struct{} // closed when the process has ended
	// body carries the response body from the Runtime API to the reader.
	body  *io.PipeReader
	bodyW *io.PipeWriter
}

func startProcess(ctx context.Context, bootstrap string, env []string, event []byte) (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API: listen: %w", err)
	}
	logs, err := newLogFile()
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &process{
		logs: logs, event: event,
		next: make(chan struct{}, 1), results: make(chan result, 1), exited: make(chan struct{}),
	}
	p.next <- struct{}{}
	p.body, p.bodyW = io.Pipe()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPIPrefix+"/invocation/next", p.serveNext)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/response", p.serveResponse)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/error", p.serveError(false))
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/init/error", p.serveError(true))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()

	name := filepath.Base(bootstrap)
	if name == "bootstrap" {
		name = filepath.Base(filepath.Dir(bootstrap))
	}
	p.cmd = exec.CommandContext(ctx, bootstrap)
	p.cmd.Dir = filepath.Dir(bootstrap)
	p.cmd.Env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"LAMBDA_TASK_ROOT="+filepath.Dir(bootstrap),
	)
	p.cmd.Stdout, p.cmd.Stderr = logs.f, logs.f
	if err := p.cmd.Start(); err != nil {
		p.srv.Close()
		logs.remove()
		return nil, fmt.Errorf("start %s: %w", bootstrap, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// started reports whether the function has taken its event.
func (p *process) started() bool { return len(p.next) == 0 }

// serveNext hands out the event once; later calls wait, as in Lambda, for
// an invocation that never comes.
func (p *process) serveNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-p.next:
	case <-r.Context().Done():
		return
	}
	w.Header().Set(headerRequestID, requestID)
	w.Header().Set(headerDeadline, strconv.FormatInt(time.Now().Add(15*time.Minute).UnixMilli(), 10))
	w.Header().Set(headerFunctionARN, "arn:aws:lambda:us-east-1:123456789012:function:test")
	w.Header().Set(headerTraceID, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(p.event)
}

// serveResponse passes the response body on as it arrives, then the error
// its trailers report, if any. A streamed response is a chunked request
// body (with Lambda-Runtime-Function-Response-Mode: streaming, or without
// it, as aws-lambda-go sends one); a buffered response is the same with a
// single chunk, so both are served alike.
func (p *process) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != requestID {
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	p.report(result{contentType: r.Header.Get("Content-Type"), body: p.body})
	_, err := io.Copy(p.bodyW, r.Body) // each Read returns the chunks that have arrived
	if err == nil && r.Trailer.Get(headerErrorType) != "" {
		msg, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		err = &FunctionError{Type: r.Trailer.Get(headerErrorType), Message: string(msg)}
	}
	p.bodyW.CloseWithError(err) // nil: io.EOF for the reader
	w.WriteHeader(http.StatusAccepted)
}

// serveError records an error the function reports.
func (p *process) serveError(init bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !init && r.PathValue("id") != requestID {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		var body struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.Type == "" {
			body.Type = r.Header.Get(headerErrorType)
		}
		p.report(result{err: &FunctionError{Init: init, Type: body.Type, Message: body.Message}})
		w.WriteHeader(http.StatusAccepted)
	}
}

// report keeps the first result: a function answers once.
func (p *process) report(res result) {
	select {
	case p.results <- res:
	default:
	}
}

func (p *process) close() error {
	select {
	case <-p.exited:
	default:
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop function: %w", err)
		}
		<-p.exited
	}
	p.body.Close() // releases a response still being passed on
	p.logs.remove()
	return p.srv.Close()
}
