package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/routes"
)

// from sends a request through env's handler as if from the client address
// addr, as a host gives it: bare as API Gateway's source IP, or host:port
// (the tests' real HTTP requests all come from 127.0.0.1).
func from(t *testing.T, env *apitest.Env, addr, method, path, token string, body any) *apitest.Response {
	t.Helper()
	h, err := app.Handler(env.Deps, app.HTTPFunctions(), chatapp.Constructors())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(data))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return &apitest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// TestLoginThrottleRace sends 30 wrong passwords for one email from one
// address at once: the attempts are counted atomically, so at most the
// limit reach the password check and the others are 429 before it.
func TestLoginThrottleRace(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		const n = 30
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i] = env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "a wrong guess"}).Status
			})
		}
		wg.Wait()
		checked, limited := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusUnauthorized:
				checked++
			case http.StatusTooManyRequests:
				limited++
			default:
				t.Errorf("status %d", s)
			}
		}
		if checked > auth.DefaultThrottle.PerEmailAddress || checked+limited != n {
			t.Fatalf("%d checked, %d limited; want at most %d checked", checked, limited, auth.DefaultThrottle.PerEmailAddress)
		}
	})
}

// TestThrottleCannotLockTheOwnerOut hammers an account from one address:
// its owner still signs in from another.
func TestThrottleCannotLockTheOwnerOut(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		for range auth.DefaultThrottle.PerEmailAddress + 5 {
			from(t, env, "198.51.100.66", "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "a wrong guess"})
		}
		attacker := from(t, env, "198.51.100.66", "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password})
		if attacker.Status != http.StatusTooManyRequests || attacker.Header.Get("Retry-After") == "" {
			t.Fatalf("the hammering address: %d %s, want 429 with Retry-After", attacker.Status, attacker.Body)
		}
		owner := from(t, env, "203.0.113.20", "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password})
		if owner.Status != http.StatusOK {
			t.Fatalf("the owner from another address: %d %s", owner.Status, owner.Body)
		}
	})
}

// TestLogoutEndsEverySession signs in twice and opens a preview, logs out
// with one token, and finds every token refused on every authenticated
// route at once; signing in again works.
func TestLogoutEndsEverySession(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		second := login(t, env, u.Email, u.Password)
		preview, err := env.Deps.Signer.IssuePreview(agent.Session{UserID: u.ID, Start: time.Now()}, "0190a000-0000-7000-8000-0000000000aa", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if resp := env.Do(t, "POST", "/api/auth/logout", u.Token, nil); resp.Status != http.StatusOK {
			t.Fatalf("logout: %d %s", resp.Status, resp.Body)
		}
		for _, tok := range []string{u.Token, second} {
			assertRefusedEverywhere(t, env, tok)
		}
		if _, err := env.Deps.Sessions.AuthenticatePreview(context.Background(), preview, "0190a000-0000-7000-8000-0000000000aa"); !agent.IsCode(err, agent.Unauthorized) {
			t.Errorf("preview token after logout: %v, want unauthorized", err)
		}
		fresh := login(t, env, u.Email, u.Password)
		if resp := env.Do(t, "GET", "/api/auth/me", fresh, nil); resp.Status != http.StatusOK {
			t.Errorf("a new session after logout: %d %s", resp.Status, resp.Body)
		}
	})
}

// assertRefusedEverywhere checks that tok is a 401 unauthorized on every
// route that requires a user (a chat turn's, where the turn's reservation
// checks it).
func assertRefusedEverywhere(t *testing.T, env *apitest.Env, tok string) {
	t.Helper()
	const id = "0190a000-0000-7000-8000-0000000000bb"
	for _, f := range routes.All() {
		if !f.Auth || f.Path == "" {
			continue // the streaming function serves the routes of others
		}
		path := strings.NewReplacer("{id}", id, "{messageId}", id).Replace(f.Path)
		body := map[string]string{}
		if f.Name == "chat-send" {
			// Its session is checked by the turn: a request that gets there.
			body["message"] = "hi"
		}
		resp := env.Do(t, f.Method, path, tok, body)
		if resp.Status != http.StatusUnauthorized || resp.Err(t).Code != "unauthorized" {
			t.Errorf("%s %s: %d %s, want 401 unauthorized", f.Method, path, resp.Status, resp.Body)
		}
	}
}

func login(t *testing.T, env *apitest.Env, email, password string) string {
	t.Helper()
	resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
	var body authBody
	resp.Decode(t, &body)
	if resp.Status != http.StatusOK || body.Token == "" {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	return body.Token
}

func TestChangePassword(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		other := login(t, env, u.Email, u.Password)
		wrong := env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": "not it", "newPassword": "a new good password"})
		if wrong.Status != http.StatusBadRequest || wrong.Err(t).Details[0].Field != "currentPassword" {
			t.Fatalf("wrong current password: %d %s", wrong.Status, wrong.Body)
		}
		short := env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": u.Password, "newPassword": "short"})
		if short.Status != http.StatusBadRequest || short.Err(t).Details[0].Field != "newPassword" {
			t.Fatalf("short new password: %d %s", short.Status, short.Body)
		}
		resp := env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": u.Password, "newPassword": "a new good password"})
		var body struct{ Token string }
		resp.Decode(t, &body)
		if resp.Status != http.StatusOK || body.Token == "" {
			t.Fatalf("change: %d %s", resp.Status, resp.Body)
		}
		if r := env.Do(t, "GET", "/api/auth/me", body.Token, nil); r.Status != http.StatusOK {
			t.Errorf("the new token: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{u.Token, other} {
			assertRefusedEverywhere(t, env, tok)
		}
		if r := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password}); r.Status != http.StatusUnauthorized {
			t.Errorf("the old password: %d", r.Status)
		}
		login(t, env, u.Email, "a new good password")
	})
}

// TestChangePasswordThrottled guesses the current password past the limit:
// the guesses stop at 429, so a stolen token cannot brute-force it.
func TestChangePasswordThrottled(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		var last *apitest.Response
		for range auth.DefaultThrottle.PerEmailAddress + 1 {
			last = env.Do(t, "PUT", "/api/auth/password", u.Token, map[string]string{"currentPassword": "a guess", "newPassword": "a new good password"})
		}
		if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("after %d guesses: %d %s", auth.DefaultThrottle.PerEmailAddress+1, last.Status, last.Body)
		}
	})
}

// TestRefreshKeepsTheSessionAndItsAge refreshes a fresh session (the new
// token keeps its start) and one older than SESSION_MAX_AGE (refused).
func TestRefreshKeepsTheSessionAndItsAge(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := apitest.New(t, tb, map[string]string{"SESSION_MAX_AGE": "720h"})
		u := env.Register(t)
		start := func(tok string) int64 {
			var c jwt.MapClaims
			if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
				t.Fatal(err)
			}
			at, _ := c["auth_time"].(float64)
			return int64(at)
		}
		resp := env.Do(t, "POST", "/api/auth/refresh", u.Token, nil)
		var body struct{ Token string }
		resp.Decode(t, &body)
		if resp.Status != http.StatusOK || start(body.Token) != start(u.Token) || start(u.Token) == 0 {
			t.Fatalf("refresh: %d %s (auth_time %d, was %d)", resp.Status, resp.Body, start(body.Token), start(u.Token))
		}
		old, err := env.Deps.Signer.IssueUser(agent.Session{UserID: u.ID, Start: time.Now().Add(-31 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if r := env.Do(t, "POST", "/api/auth/refresh", old, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("refresh of a 31-day-old session: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "GET", "/api/auth/me", old, nil); r.Status != http.StatusOK {
			t.Errorf("the old session's token still works until it expires: %d", r.Status)
		}
	})
}

// TestRegistrationsPerAddress registers past REGISTRATIONS_PER_HOUR from
// one address, at once: exactly the limit succeed, and another address
// still registers.
func TestRegistrationsPerAddress(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := apitest.New(t, tb, map[string]string{"REGISTRATIONS_PER_HOUR": "3"})
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				name := "spam_" + string(rune('a'+i))
				statuses[i] = from(t, env, "198.51.100.7", "POST", "/api/auth/register", "", map[string]string{"email": name + "@example.com", "username": name, "password": "12345678"}).Status
			})
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusTooManyRequests:
			default:
				t.Errorf("status %d", s)
			}
		}
		if created != 3 {
			t.Fatalf("statuses %v: %d created, want 3", statuses, created)
		}
		throttled := emfproof.Values(env.Metrics(t), "RegistrationThrottled", map[string]string{"service": metrics.DefaultService})
		sum := 0.0
		for _, v := range throttled {
			sum += v
		}
		if len(throttled) != n || sum != n-3 {
			t.Errorf("RegistrationThrottled = %v: want one a registration, %d refused", throttled, n-3)
		}
		if r := from(t, env, "203.0.113.30", "POST", "/api/auth/register", "", map[string]string{"email": "elsewhere@example.com", "username": "elsewhere", "password": "12345678"}); r.Status != http.StatusCreated {
			t.Errorf("another address: %d %s", r.Status, r.Body)
		}
	})
}

// TestRegistrationsPerIPv6Prefix registers from five addresses of one IPv6
// /64, as API Gateway and as a peer give them, with a limit of 2: the third
// is refused, since a client holds at least a /64; another /64 registers.
func TestRegistrationsPerIPv6Prefix(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := apitest.New(t, tb, map[string]string{"REGISTRATIONS_PER_HOUR": "2"})
		tests := []struct {
			addr       string
			wantStatus int
		}{
			{"2001:db8::1", http.StatusCreated},
			{"[2001:db8::2]:40000", http.StatusCreated},
			{"2001:db8::3", http.StatusTooManyRequests},
			{"[2001:db8::4]:40001", http.StatusTooManyRequests},
			{"2001:db8::5", http.StatusTooManyRequests},
			{"2001:db8:0:1::1", http.StatusCreated},
		}
		for i, tt := range tests {
			name := "six_" + string(rune('a'+i))
			r := from(t, env, tt.addr, "POST", "/api/auth/register", "", map[string]string{"email": name + "@example.com", "username": name, "password": "12345678"})
			if r.Status != tt.wantStatus {
				t.Errorf("registration %d from %s: %d %s, want %d", i+1, tt.addr, r.Status, r.Body, tt.wantStatus)
			}
		}
	})
}

// TestLoginThrottlePerIPv6Prefix guesses an account's password from as many
// addresses of one /64 as the limit allows: its owner is refused from
// another address of that /64, and signs in from another /64.
func TestLoginThrottlePerIPv6Prefix(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		for i := range auth.DefaultThrottle.PerEmailAddress {
			addr := fmt.Sprintf("2001:db8:1::%x", i+1)
			if r := from(t, env, addr, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "a wrong guess"}); r.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d from %s: %d %s", i+1, addr, r.Status, r.Body)
			}
		}
		same := from(t, env, "[2001:db8:1::ffff]:40000", "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password})
		if same.Status != http.StatusTooManyRequests {
			t.Errorf("from the guesses' /64: %d %s, want 429", same.Status, same.Body)
		}
		other := from(t, env, "2001:db8:2::1", "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password})
		if other.Status != http.StatusOK {
			t.Errorf("from another /64: %d %s", other.Status, other.Body)
		}
	})
}

// TestTokenWithoutIssuedAt signs, with the service's own secret, tokens of
// an existing user that lack iat (and auth_time): every route that requires
// a user, and both preview routes for a preview token, refuse them with 401
// unauthorized. They used to panic where the session's start was read.
func TestTokenWithoutIssuedAt(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		const artifact = "0190a000-0000-7000-8000-0000000000cc"
		sign := func(aud, art string) string {
			t.Helper()
			claims := jwt.MapClaims{"sub": u.ID, "iss": auth.Issuer, "aud": aud, "exp": time.Now().Add(time.Hour).Unix()}
			if art != "" {
				claims["art"] = art
			}
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(apitest.Secret))
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		assertRefusedEverywhere(t, env, sign(auth.UserAudience, ""))
		preview := sign(auth.PreviewAudience, artifact)
		for _, route := range []string{"preview", "project-preview"} {
			path := "/api/artifacts/" + artifact + "/" + route + "?token=" + preview
			if resp := env.Do(t, "GET", path, "", nil); resp.Status != http.StatusUnauthorized || resp.Err(t).Code != "unauthorized" {
				t.Errorf("GET %s with a preview token without iat: %d %s, want 401 unauthorized", route, resp.Status, resp.Body)
			}
		}
	})
}
