// The local environment of a laptop: the stand-ins of this package (unless
// endpoints are configured), the table and the bucket, the data of the
// previous run, an offline model without a Gemini key, and a persistent
// random JWT secret when none is set. The devserver and the seed command
// share it.

package localaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/settings"
)

// Env is a ready local environment.
type Env struct {
	Config settings.Config
	Deps   *app.Deps
	stack  *Stack
	model  *http.Server // the offline model, without GEMINI_API_KEY
}

// Open starts (or connects to) the local stack for cfg and returns the
// dependencies wired to it, their metrics going to sink (nil: none).
// Configured endpoints must be loopback addresses: this package never
// touches real AWS.
func Open(ctx context.Context, cfg settings.Config, log *slog.Logger, sink metrics.Sink) (*Env, error) {
	for _, ep := range []string{cfg.DynamoEndpoint, cfg.S3Endpoint} {
		if ep != "" && !loopback(ep) {
			return nil, fmt.Errorf("endpoint %s is not on this machine: the local environment never writes to a remote service", ep)
		}
	}
	env := &Env{}
	if len(cfg.JWTSecret) == 0 {
		secret, err := devSecret(cfg.DevDataDir)
		if err != nil {
			return nil, err
		}
		cfg.JWTSecret = secret
	}
	if cfg.DynamoEndpoint == "" || cfg.S3Endpoint == "" {
		stack, err := Start(Options{DataDir: cfg.DevDataDir, Table: cfg.TableName, Log: log})
		if err != nil {
			return nil, err
		}
		env.stack = stack
		if cfg.DynamoEndpoint == "" {
			cfg.DynamoEndpoint = stack.DynamoURL
		}
		if cfg.S3Endpoint == "" {
			cfg.S3Endpoint = stack.S3URL
		}
	}
	if cfg.GeminiAPIKey == "" {
		url, srv, err := startOfflineModel()
		if err != nil {
			env.Close(ctx)
			return nil, err
		}
		env.model = srv
		cfg.GeminiAPIKey, cfg.GeminiBaseURL = "offline", url
		log.Info("no GEMINI_API_KEY: chatting with the offline model", "url", url)
	}
	deps, err := app.NewDeps(ctx, cfg, log, app.Options{Metrics: sink})
	if err != nil {
		env.Close(ctx)
		return nil, err
	}
	if deps.Builder == nil {
		deps.Builder = esbuild.NewLocal(esbuild.Options{PackagesDir: esbuild.PackagesDir(cfg.PackagesDir), Cache: esbuild.S3Cache{Blob: deps.Blob}, Metrics: deps.Metrics})
	}
	env.Config, env.Deps = cfg, deps
	if err := deps.Store.EnsureTable(ctx); err != nil {
		env.Close(ctx)
		return nil, err
	}
	if err := deps.Blob.EnsureBucket(ctx); err != nil {
		env.Close(ctx)
		return nil, err
	}
	if env.stack != nil && cfg.DynamoEndpoint == env.stack.DynamoURL {
		n, err := env.stack.Restore(ctx)
		if err != nil {
			env.Close(ctx)
			return nil, err
		}
		log.Info("local dynamodb ready", "restoredItems", n, "dataDir", cfg.DevDataDir)
	}
	return env, nil
}

// Close saves the local data and stops the stand-ins.
func (e *Env) Close(ctx context.Context) error {
	var errs []error
	if e.model != nil {
		errs = append(errs, e.model.Shutdown(ctx))
	}
	if e.stack != nil {
		errs = append(errs, e.stack.Close(ctx))
	}
	return errors.Join(errs...)
}

// startOfflineModel serves the fake Gemini's offline model on loopback: the
// real genai SDK talks to it, so the devserver chats with no key.
func startOfflineModel() (string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("offline model: %w", err)
	}
	srv := &http.Server{Handler: geminitest.NewHandler(geminitest.Offline()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv, nil
}

// devSecret reads the devserver's JWT secret from the data directory,
// creating a random one on first use, so tokens survive restarts.
func devSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "jwt-secret")
	data, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(data))) >= settings.MinSecretBytes {
		return []byte(strings.TrimSpace(string(data))), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read dev secret: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24
	secret := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write dev secret: %w", err)
	}
	return []byte(secret), nil
}

func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
