package settings_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/settings"
)

func TestLoad(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := settings.Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != "3001" || c.JWTTTL != 7*24*time.Hour || c.DefaultCredits != 20 || c.CodePrefix != "code-artifacts/" || c.TurnTimeout != 5*time.Minute ||
		!slices.Equal(c.CORSOrigins, []string{"http://localhost:3000", "http://localhost:5173"}) || c.GeminiModel != "gemini-2.5-flash" {
		t.Errorf("defaults = %+v", c)
	}
	c, err = settings.Load(env("CORS_ORIGINS", " https://a.example/ , ,https://b.example", "S3_CODE_PREFIX", "code", "DEFAULT_CREDITS", "-1", "JWT_TTL", "1h", "TURN_TIMEOUT", "90s"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.CORSOrigins, []string{"https://a.example", "https://b.example"}) || c.CodePrefix != "code/" || c.DefaultCredits != -1 || c.JWTTTL != time.Hour ||
		c.TurnTimeout != 90*time.Second {
		t.Errorf("parsed = %+v", c)
	}

	tests := []struct {
		name string
		env  func(string) string
		want string
	}{
		{"short secret", env("JWT_SECRET", "too-short"), "32 bytes"},
		{"bad ttl", env("JWT_TTL", "7 days"), "JWT_TTL"},
		{"negative ttl", env("JWT_TTL", "-1h"), "JWT_TTL"},
		{"bad credits", env("DEFAULT_CREDITS", "many"), "DEFAULT_CREDITS"},
		{"bad turn timeout", env("TURN_TIMEOUT", "5 minutes"), "TURN_TIMEOUT"},
		{"zero turn timeout", env("TURN_TIMEOUT", "0s"), "TURN_TIMEOUT"},
		{"bad log level", env("LOG_LEVEL", "loud"), "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := settings.Load(tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
	if _, err := settings.Load(env("JWT_SECRET", "x")); !errors.Is(err, settings.ErrWeakSecret) {
		t.Errorf("weak secret err = %v", err)
	}
}
