package lambdatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// InvokePath is the emulator's Invoke endpoint. It is the Lambda Invoke
// API's path for a function called "function", so an AWS SDK Lambda client
// whose endpoint is Emulator.URL reaches it with that function name.
const InvokePath = "/2015-03-31/functions/function/invocations"

// Emulator is one bootstrap running under the Runtime Interface Emulator.
type Emulator struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the emulator has exited
	logs logFile

	mu sync.Mutex // one invoke at a time: the emulator fails on concurrent ones
}

// StartEmulator runs bootstrap under the emulator executable rie, with env
// as the whole environment of the emulator and so of the function. Both the
// emulator's Invoke endpoint and the Runtime API it serves the function
// listen on free 127.0.0.1 ports (the emulator's default is 0.0.0.0:8080).
// It returns once the Invoke endpoint accepts connections; the function
// itself starts at the first invoke, as in Lambda.
func StartEmulator(ctx context.Context, rie, bootstrap string, env []string) (*Emulator, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	logs, err := newLogFile()
	if err != nil {
		return nil, err
	}
	e := &Emulator{url: "http://" + addrs[0], done: make(chan struct{}), logs: logs}
	e.cmd = exec.Command(rie, "--runtime-interface-emulator-address", addrs[0], "--runtime-api-address", addrs[1], bootstrap)
	e.cmd.Env = env
	e.cmd.Stdout, e.cmd.Stderr = logs.f, logs.f
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Close stops the function with it
	if err := e.cmd.Start(); err != nil {
		logs.remove()
		return nil, fmt.Errorf("start %s: %w", rie, err)
	}
	go func() {
		_ = e.cmd.Wait()
		close(e.done)
	}()
	for {
		conn, err := net.DialTimeout("tcp", addrs[0], time.Second)
		if err == nil {
			conn.Close()
			return e, nil
		}
		select {
		case <-e.done:
			return nil, fmt.Errorf("emulator exited before listening on %s:\n%s", addrs[0], e.Logs())
		case <-ctx.Done():
			e.Close()
			return nil, fmt.Errorf("emulator did not listen on %s: %w\n%s", addrs[0], ctx.Err(), e.Logs())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// URL is the base URL of the emulator's Invoke API.
func (e *Emulator) URL() string { return e.url }

// Pid is the emulator's process id. The function runs as its child, from
// the first invoke on: a process put in a cgroup before then starts the
// function inside it.
func (e *Emulator) Pid() int { return e.cmd.Process.Pid }

// Invoke sends one event and returns the function's response payload. An
// error the function reports (a returned error, a panic, an exit) is an
// error here, with the payload in its message.
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+InvokePath, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read invoke response: %w", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
		return nil, fmt.Errorf("invoke: status %d, function error %q: %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), payload)
	}
	return payload, nil
}

// Logs returns what the emulator and the function have printed so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// Close stops the emulator and the function, and deletes their logs.
func (e *Emulator) Close() error {
	defer e.logs.remove()
	select {
	case <-e.done:
		return nil
	default:
	}
	// The emulator's process group: the emulator and the function it runs.
	if err := syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop emulator: %w", err)
	}
	<-e.done
	return nil
}

// freeAddrs returns n distinct 127.0.0.1 addresses nothing listens on now.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// logFile collects a process's output for Logs: the process writes to the
// file itself, so no copying goroutine races the reader.
type logFile struct{ f *os.File }

func newLogFile() (logFile, error) {
	f, err := os.CreateTemp("", "lambda-*.log")
	if err != nil {
		return logFile{}, fmt.Errorf("create log file: %w", err)
	}
	return logFile{f}, nil
}

// String returns what was written so far.
func (l logFile) String() string {
	data, _ := os.ReadFile(l.f.Name())
	return string(data)
}

// remove deletes the file; String returns "" from then on.
func (l logFile) remove() {
	l.f.Close()
	os.Remove(l.f.Name())
}
