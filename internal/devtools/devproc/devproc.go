// Package devproc runs the devserver as a process of its own, for the
// scripts that measure it (make bench-load, make bench-webapp, make
// screenshots): on free loopback ports, its data and log in a directory,
// with the offline model and without the abuse limits or credits.
package devproc

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Server is a running devserver.
type Server struct {
	URL   string // its API, http://127.0.0.1:<port>
	Debug string // its DEBUG_ADDR (pprof, /metrics), http://127.0.0.1:<port>
	Pid   int
	Log   string // the file its output goes to
	cmd   *exec.Cmd
}

// Start runs the devserver binary bin, its data and log in dir, and
// returns once GET ready (a path, such as /health) answers 200, within
// 30 s.
func Start(bin, dir, ready string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	debug, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "devserver.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1", "PORT="+port, "DEBUG_ADDR=127.0.0.1:"+debug,
		"DEV_DATA_DIR="+filepath.Join(dir, "data"),
		"GEMINI_API_KEY=", "GEMINI_BASE_URL=", // the offline model
		"MAX_CONCURRENT_TURNS=0", "TURNS_PER_MINUTE=0", "REGISTRATIONS_PER_HOUR=0", "DEFAULT_CREDITS=-1",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start devserver: %w", err)
	}
	s := &Server{URL: "http://127.0.0.1:" + port, Debug: "http://127.0.0.1:" + debug, Pid: cmd.Process.Pid, Log: logf.Name(), cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.URL + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("devserver: GET %s not 200 after 30 s (log: %s)", ready, s.Log)
		}
	}
}

// Stop interrupts the server and waits for it, killing it after 10 s.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// freePort is a loopback port free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port), nil
}
