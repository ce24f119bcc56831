// Command seed writes the Node backend's two demo users to the local stack:
// demo@example.com / demo123 and test@example.com / test123. Their
// passwords predate the 8-character rule, so they are written straight to the
// store with bcrypt hashes (cost 12, as the Node backend stored them); the
// first login upgrades them to argon2id. It refuses any non-loopback
// endpoint: it never writes to real AWS.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

var demoUsers = []struct{ email, username, password string }{
	{"demo@example.com", "demo", "demo123"},
	{"test@example.com", "testuser", "test123"},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := settings.Load(os.Getenv)
	if err != nil {
		return err
	}
	ctx := context.Background()
	env, err := localaws.Open(ctx, cfg, httpapi.NewLogger(os.Stderr, slog.LevelWarn), nil)
	if err != nil {
		return err
	}
	defer env.Close(ctx)
	now := time.Now()
	for _, d := range demoUsers {
		hash, err := bcrypt.GenerateFromPassword([]byte(d.password), 12)
		if err != nil {
			return fmt.Errorf("hash %s: %w", d.email, err)
		}
		u := agent.User{
			ID: uuid.Must(uuid.NewV7()).String(), Email: d.email, Username: d.username,
			Credits: env.Config.DefaultCredits, CreatedAt: now, UpdatedAt: now,
		}
		switch err := env.Deps.Store.CreateUser(ctx, u, string(hash), store.Attempts{}); {
		case agent.IsCode(err, agent.Conflict):
			fmt.Printf("%s already exists\n", d.email)
		case err != nil:
			return err
		default:
			fmt.Printf("created %s / %s\n", d.email, d.password)
		}
	}
	return env.Close(ctx)
}
