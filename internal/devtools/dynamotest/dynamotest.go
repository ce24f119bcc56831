// Package dynamotest gives tests DynamoDB tables on local servers: minidyn
// in process always, and dynalite (a strict implementation run with Node)
// when DYNALITE=1 or CI=true. Tests written with Each run once per backend,
// so behaviour that only a strict server enforces (Limit before filter, item
// size, empty keys) is exercised in CI. dynalite has no transactions: a test
// that needs them says so once, with RequireTransactions.
package dynamotest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/zocket/agent/internal/devtools/faults"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

// Backend is one DynamoDB-compatible server.
type Backend struct {
	Name         string // "minidyn" or "dynalite"
	Endpoint     string
	Transactions bool
}

// Table is a fresh table on a backend.
type Table struct {
	Backend Backend
	Name    string
	Client  *dynamodb.Client
}

var (
	minidynOnce sync.Once
	minidynURL  string

	dynaliteOnce sync.Once
	dynaliteURL  string
	dynaliteErr  error

	tableSeq atomic.Int64
)

// DynaliteEnabled reports whether tests also run against dynalite.
func DynaliteEnabled() bool {
	return os.Getenv("DYNALITE") == "1" || os.Getenv("CI") == "true"
}

// Backends returns the servers tests should run against, starting them on
// first use. Under CI=true a dynalite that cannot start fails the test.
func Backends(t testing.TB) []Backend {
	t.Helper()
	minidynOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("dynamotest: listen: %v", err))
		}
		go func() { _ = http.Serve(ln, server.NewServer()) }()
		minidynURL = "http://" + ln.Addr().String()
	})
	out := []Backend{{Name: "minidyn", Endpoint: minidynURL, Transactions: true}}
	if !DynaliteEnabled() {
		return out
	}
	dynaliteOnce.Do(func() { dynaliteURL, dynaliteErr = startDynalite() })
	if dynaliteErr != nil {
		t.Fatalf("dynalite is required here (DYNALITE=1 or CI=true) but did not start: %v\n(install it with: npm ci --prefix tools/dynalite)", dynaliteErr)
	}
	return append(out, Backend{Name: "dynalite", Endpoint: dynaliteURL})
}

// Each runs fn as a subtest on every backend, each with its own new table.
func Each(t *testing.T, fn func(t *testing.T, tb Table)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, NewTable(t, b))
		})
	}
}

// RequireTransactions skips a test on backends without TransactWriteItems.
// It is the one place that decides which tests run only on minidyn.
func RequireTransactions(t *testing.T, tb Table) {
	t.Helper()
	if !tb.Backend.Transactions {
		t.Skipf("%s has no transactions; this test runs on minidyn", tb.Backend.Name)
	}
}

// NewTable creates a uniquely named table with the service's schema on b.
// Extra client options (a call counter) apply to the returned client.
func NewTable(t testing.TB, b Backend, opts ...func(*dynamodb.Options)) Table {
	t.Helper()
	ctx := context.Background()
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{DynamoDB: b.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("test-%d-%d", os.Getpid(), tableSeq.Add(1))
	client := settings.DynamoDBClient(cfg, b.Endpoint, opts...)
	if err := store.New(client, name).EnsureTable(ctx); err != nil {
		t.Fatalf("create table on %s: %v", b.Name, err)
	}
	// dynalite creates tables asynchronously even with --createTableMs 0;
	// minidyn reports no status at all.
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err == nil && (out.Table.TableStatus == "ACTIVE" || out.Table.TableStatus == "") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s on %s not active: %v", name, b.Name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
	})
	return Table{Backend: b, Name: name, Client: client}
}

// startDynalite runs dynalite from tools/dynalite on a free loopback port.
// The process dies with the test binary (Pdeathsig).
func startDynalite() (string, error) {
	cli := filepath.Join(moduleRoot(), "tools", "dynalite", "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return "", fmt.Errorf("dynalite not installed: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("node", cli, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start node: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				ready <- nil
				break
			}
		}
		ready <- fmt.Errorf("dynalite exited before listening")
		for sc.Scan() {
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			return "", err
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("dynalite did not start within 15s")
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port), nil
}

// moduleRoot is the directory holding go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Behind returns tb reached through in: a proxy in front of tb's server,
// so that the table's clients (and an API configured with the returned
// Table's endpoint) meet the faults in injects.
func Behind(t testing.TB, tb Table, in *faults.Injector) Table {
	t.Helper()
	target, err := url.Parse(tb.Backend.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(in.Wrap("dynamodb", httputil.NewSingleHostReverseProxy(target)))
	t.Cleanup(srv.Close)
	out := tb
	out.Backend.Endpoint = srv.URL
	out.Client = dynamodb.New(tb.Client.Options(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return out
}
