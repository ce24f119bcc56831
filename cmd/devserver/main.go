// Command devserver runs the whole backend on one port (PORT, default 3001)
// with every route of the API, on in-process DynamoDB and S3 stand-ins whose
// data persists in DEV_DATA_DIR. No AWS account, key or Docker is needed.
//
// DEBUG_ADDR (say 127.0.0.1:6060), when set, serves on a loopback listener
// of its own net/http/pprof (`make bench-load` reads its CPU profile) and
// /metrics: the metrics the functions emit in Lambda, kept in memory since
// start (package livemetrics), JSON for Accept: application/json, a page
// for a browser.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/devtools/livemetrics"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/settings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := settings.Load(os.Getenv)
	if err != nil {
		return err
	}
	log := httpapi.NewLogger(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The metrics the functions write to CloudWatch in Lambda, kept here.
	live := livemetrics.New()
	env, err := localaws.Open(ctx, cfg, log, live)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := env.Close(closeCtx); err != nil {
			log.Error("saving local data", "err", err)
		}
	}()

	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, env.Config.Port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	h, err := app.Handler(env.Deps, app.HTTPFunctions(), chatapp.Constructors())
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
	}
	if addr := os.Getenv("DEBUG_ADDR"); addr != "" {
		if err := serveDebug(addr, live.Handler()); err != nil {
			return err
		}
		log.Info("debug listening", "pprof", "http://"+addr+"/debug/pprof/", "metrics", "http://"+addr+"/metrics")
	}
	log.Info("devserver listening", "url", "http://"+ln.Addr().String(), "apiReference", "http://"+ln.Addr().String()+"/api/docs", "dynamodb", env.Config.DynamoEndpoint, "s3", env.Config.S3Endpoint)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveDebug serves the runtime's profiles and metrics on addr, a loopback
// address: never beside the API, where a client could ask for them.
func serveDebug(addr string, metrics http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug listen: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return fmt.Errorf("DEBUG_ADDR %s is not a loopback address", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return nil
}
