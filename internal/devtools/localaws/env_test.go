package localaws_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

// TestDataSurvivesRestart opens the local environment, writes a user and an
// S3 object, closes it, opens it again from the same directory and reads
// both back: what `make dev` promises across restarts.
func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg, err := settings.Load(func(k string) string {
		if k == "DEV_DATA_DIR" {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := httpapi.NewLogger(io.Discard, slog.LevelError)
	now := time.Now()
	user := agent.User{ID: "0190a000-0000-7000-8000-0000000000aa", Email: "keep@example.com", Username: "keeper", CreatedAt: now, UpdatedAt: now}

	var secret []byte
	for run := range 2 {
		env, err := localaws.Open(ctx, cfg, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		s3c := settings.S3Client(mustAWS(t, env.Config), env.Config.S3Endpoint)
		key := aws.String("code-artifacts/keep.txt")
		if run == 0 {
			secret = env.Config.JWTSecret
			if len(secret) < settings.MinSecretBytes {
				t.Fatalf("generated secret has %d bytes", len(secret))
			}
			if err := env.Deps.Store.CreateUser(ctx, user, "$argon2id$placeholder", store.Attempts{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.Config.BucketName), Key: key, Body: strings.NewReader("kept")}); err != nil {
				t.Fatal(err)
			}
		} else {
			if !bytes.Equal(env.Config.JWTSecret, secret) {
				t.Error("JWT secret changed across restarts: every token would be invalidated")
			}
			got, err := env.Deps.Store.UserByID(ctx, user.ID)
			if err != nil || got.Email != user.Email {
				t.Fatalf("user after restart = %+v, %v", got, err)
			}
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.Config.BucketName), Key: key})
			if err != nil {
				t.Fatalf("object after restart: %v", err)
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if string(body) != "kept" {
				t.Errorf("object body = %q", body)
			}
		}
		if err := env.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefusesRemoteEndpoints(t *testing.T) {
	for _, ep := range []string{"https://dynamodb.us-east-1.amazonaws.com", "http://10.0.0.5:8000"} {
		cfg := settings.Config{DynamoEndpoint: ep, DevDataDir: t.TempDir()}
		if _, err := localaws.Open(context.Background(), cfg, slog.Default(), nil); err == nil || !strings.Contains(err.Error(), "not on this machine") {
			t.Errorf("Open with %s: err = %v", ep, err)
		}
	}
}

func mustAWS(t *testing.T, cfg settings.Config) aws.Config {
	t.Helper()
	c, err := settings.LoadAWS(context.Background(), cfg.Region, settings.Endpoints{DynamoDB: cfg.DynamoEndpoint, S3: cfg.S3Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
