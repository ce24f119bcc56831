package localcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/zocket/agent/internal/devtools/runtimeapi"
)

// errThrottled is the answer to an invocation of a function whose
// instances are all busy and at their limit (its reserved concurrency, or
// Options.MaxInstances): Lambda throttles synchronous invocations then,
// it does not queue them.
var errThrottled = errors.New("TooManyRequestsException: Rate Exceeded")

// errPayloadTooLarge is Lambda's answer to a request or a buffered
// response over 6 MB.
var errPayloadTooLarge = errors.New("payload over 6 MB")

// errClosed answers an invocation once the stack is closing.
var errClosed = errors.New("the local stack is closed")

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
	idle   []*runtimeapi.Instance
	all    map[*runtimeapi.Instance]struct{} // running instances
	live   int                               // running and starting instances
	starts int
	closed bool
}

func newPool(fn *function, bootstrap string, env []string, max int, logs *logSink) *pool {
	return &pool{fn: fn, bootstrap: bootstrap, env: env, max: max, logs: logs, all: map[*runtimeapi.Instance]struct{}{}}
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
func (p *pool) invoke(ctx context.Context, payload []byte) (*runtimeapi.Response, error) {
	if len(payload) > runtimeapi.MaxPayload {
		return nil, errPayloadTooLarge
	}
	inst, err := p.acquire()
	if err != nil {
		return nil, err
	}
	resp, err := inst.Invoke(ctx, payload)
	go func() {
		if inst.WaitIdle() {
			p.release(inst)
		}
	}()
	return resp, err
}

// acquire returns an idle instance, or a new one.
func (p *pool) acquire() (*runtimeapi.Instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
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
	n := p.starts
	p.mu.Unlock()
	out := p.logs.function(fmt.Sprintf("%s#%d", p.fn.logicalID, n), p.fn.logGroup)
	inst, err := runtimeapi.Start(runtimeapi.Function{
		Name: p.fn.name, ARN: p.fn.arn, Bootstrap: p.bootstrap, Timeout: p.fn.timeout, Output: out,
		Env: append(slices.Clip(p.env), fmt.Sprintf("AWS_LAMBDA_LOG_STREAM_NAME=%s/[$LATEST]%d", time.Now().Format("2006/01/02"), n)),
	})
	if err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Lock()
	p.all[inst] = struct{}{}
	closed := p.closed
	p.mu.Unlock()
	go func() {
		<-inst.Exited()
		out.Close()
		p.drop(inst)
	}()
	if closed {
		inst.Kill()
		return nil, errClosed
	}
	return inst, nil
}

// release makes inst available again.
func (p *pool) release(inst *runtimeapi.Instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go inst.Kill()
		return
	}
	select {
	case <-inst.Exited(): // dropped, or about to be
	default:
		p.idle = append(p.idle, inst)
	}
}

// drop forgets an instance that ended.
func (p *pool) drop(inst *runtimeapi.Instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.all, inst)
	p.live--
	if i := slices.Index(p.idle, inst); i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
	}
}

// close stops every instance.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*runtimeapi.Instance, 0, len(p.all))
	for inst := range p.all {
		all = append(all, inst)
	}
	p.mu.Unlock()
	for _, inst := range all {
		inst.Kill()
	}
}

// logSink collects the output of every function process, each line
// prefixed with the instance that wrote it, and keeps each function's lines
// in its log group, as CloudWatch Logs would.
type logSink struct {
	mu     sync.Mutex
	out    io.Writer
	groups map[string][]LogEvent
}

func (s *logSink) writer(prefix string) *lineWriter {
	return &lineWriter{sink: s, prefix: prefix + " "}
}

// function is the writer of a function's instance, whose lines go to
// group.
func (s *logSink) function(prefix, group string) *lineWriter {
	return &lineWriter{sink: s, prefix: prefix + " ", group: group, source: prefix}
}

// LogEvent is a line a function's instance wrote.
type LogEvent struct {
	// Instance is the function's logical ID and its instance's number:
	// AuthMeFunction#1.
	Instance string
	Message  string // the line, without its newline
}

// lineWriter writes whole lines to its sink.
type lineWriter struct {
	sink          *logSink
	prefix        string
	group, source string // the log group its lines go to, and who wrote them
	mu            sync.Mutex
	partial       []byte
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
	if w.group != "" {
		if w.sink.groups == nil {
			w.sink.groups = map[string][]LogEvent{}
		}
		w.sink.groups[w.group] = append(w.sink.groups[w.group], LogEvent{Instance: w.source, Message: string(bytes.TrimSuffix(line, []byte("\n")))})
	}
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
