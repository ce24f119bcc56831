// Package localaws provides AWS on a laptop: in-process stand-ins for
// DynamoDB (minidyn) and S3 (gofakes3) on 127.0.0.1, and for SSM Parameter
// Store (SSM), which the devserver and the tests reach through the real AWS
// SDK exactly as Lambda reaches AWS; the devserver's whole local
// environment (Open); and the account the functions' real bootstraps run in
// as processes (Account). With a data directory the stack keeps its data
// across restarts: S3 objects in a bolt file, DynamoDB items in a JSON
// snapshot written on Close and every few seconds after a write.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/truora/minidyn/server"
	bolt "go.etcd.io/bbolt"
)

// Options configures Start.
type Options struct {
	// DataDir keeps data across restarts when set; empty means memory only.
	DataDir string
	// Table is the table to snapshot and restore (required with DataDir).
	Table string
	// SnapshotEvery is how often dirty DynamoDB data is written (default 5s).
	SnapshotEvery time.Duration
	// Log receives start-up and snapshot messages (default slog.Default()).
	Log *slog.Logger
	// Wrap, when set, puts a handler in front of each server: service is
	// ServiceDynamoDB or ServiceS3, h the stand-in. A recorder of the calls
	// each caller makes (told apart by their credentials) plugs in here.
	Wrap func(service string, h http.Handler) http.Handler
}

// The services a Wrap hook is given, named as in IAM actions.
const (
	ServiceDynamoDB = "dynamodb"
	ServiceS3       = "s3"
	ServiceLambda   = "lambda"
	ServiceSSM      = "ssm"
)

// Stack is a running pair of local DynamoDB and S3 servers.
type Stack struct {
	DynamoURL string // base URL of the DynamoDB JSON endpoint
	S3URL     string // base URL of the S3 endpoint (path-style)

	opts    Options
	servers []*http.Server
	s3close func() error
	writes  atomic.Int64 // DynamoDB write requests since the last snapshot
	stop    chan struct{}
	done    sync.WaitGroup
	closeMu sync.Once
}

// Start launches both servers on random loopback ports. Restore a snapshot
// with Restore once the table exists.
func Start(opts Options) (*Stack, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 5 * time.Second
	}
	s := &Stack{opts: opts, stop: make(chan struct{})}

	var backend gofakes3.Backend
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		db, err := bolt.Open(filepath.Join(opts.DataDir, "s3.bolt"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("open s3 store (is another devserver running?): %w", err)
		}
		backend = s3bolt.New(db)
		s.s3close = db.Close
	} else {
		backend = s3mem.New()
	}
	fake := gofakes3.New(backend, gofakes3.WithAutoBucket(true), gofakes3.WithoutVersioning())

	wrap := opts.Wrap
	if wrap == nil {
		wrap = func(_ string, h http.Handler) http.Handler { return h }
	}
	dynamo := server.NewServer()
	var err error
	if s.DynamoURL, err = s.serve(wrap(ServiceDynamoDB, s.countWrites(dynamo))); err != nil {
		return nil, err
	}
	if s.S3URL, err = s.serve(wrap(ServiceS3, fake.Server())); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if opts.DataDir != "" {
		s.done.Add(1)
		go s.snapshotLoop()
	}
	return s, nil
}

func (s *Stack) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Log.Error("local server stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// countWrites marks the data dirty on every mutating DynamoDB request.
func (s *Stack) countWrites(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch op := targetOp(r.Header.Get("X-Amz-Target")); op {
		case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
			s.writes.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Stack) snapshotLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.opts.SnapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.writes.Swap(0) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := s.Snapshot(ctx); err != nil {
				s.opts.Log.Error("dynamodb snapshot", "err", err)
			}
			cancel()
		}
	}
}

// Close writes a final snapshot (with a data dir) and stops the servers.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	s.closeMu.Do(func() {
		close(s.stop)
		s.done.Wait()
		if s.opts.DataDir != "" && s.DynamoURL != "" {
			errs = append(errs, s.Snapshot(ctx))
		}
		for _, srv := range s.servers {
			errs = append(errs, srv.Shutdown(ctx))
		}
		if s.s3close != nil {
			errs = append(errs, s.s3close())
		}
	})
	return errors.Join(errs...)
}
