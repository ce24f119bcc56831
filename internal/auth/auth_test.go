package auth_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/auth"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/emfproof"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/internal/store"
)

// each starts the API on each backend that has transactions (registration
// is one TransactWriteItems).
func each(t *testing.T, fn func(t *testing.T, env *apitest.Env)) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		fn(t, apitest.New(t, tb, nil))
	})
}

type authBody struct {
	Message string `json:"message"`
	Token   string `json:"token"`
	User    struct {
		ID                string `json:"id"`
		Email             string `json:"email"`
		Username          string `json:"username"`
		Credits           int    `json:"credits"`
		CreatedAt         string `json:"createdAt"`
		UpdatedAt         string `json:"updatedAt"`
		ConversationCount *int   `json:"conversationCount"`
	} `json:"user"`
}

func TestRegisterAndMe(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		env.Calls.Take()
		resp := env.Do(t, "POST", "/api/auth/register", "", map[string]string{
			"email": "  Ada@Example.COM ", "username": "ada_l", "password": "analytical engine",
		})
		if resp.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		if got, want := env.Calls.Take(), map[string]int{"TransactWriteItems": 1}; !equalCounts(got, want) {
			t.Errorf("register calls = %v, want %v", got, want)
		}
		var reg authBody
		resp.Decode(t, &reg)
		if reg.User.Email != "ada@example.com" || reg.User.Username != "ada_l" || reg.User.Credits != 20 || reg.Token == "" {
			t.Errorf("register body = %+v", reg)
		}
		for _, ts := range []string{reg.User.CreatedAt, reg.User.UpdatedAt} {
			if _, err := time.Parse(agent.TimeFormat, ts); err != nil || len(ts) != 24 {
				t.Errorf("timestamp %q is not ISO 8601 with milliseconds", ts)
			}
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}

		resp = env.Do(t, "GET", "/api/auth/me", reg.Token, nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("me: %d %s", resp.Status, resp.Body)
		}
		// One GetItem checks the token's version (at most once a minute per
		// Lambda instance; every request here, where revocations apply at
		// once), one reads the profile.
		if got, want := env.Calls.Take(), map[string]int{"GetItem": 2}; !equalCounts(got, want) {
			t.Errorf("me calls = %v, want %v", got, want)
		}
		var me authBody
		resp.Decode(t, &me)
		if me.User.ID != reg.User.ID || me.User.ConversationCount == nil || *me.User.ConversationCount != 0 {
			t.Errorf("me = %s", resp.Body)
		}

		resp = env.Do(t, "POST", "/api/auth/refresh", reg.Token, nil)
		var ref authBody
		resp.Decode(t, &ref)
		if resp.Status != http.StatusOK || ref.Token == "" || ref.Message == "" {
			t.Fatalf("refresh: %d %s", resp.Status, resp.Body)
		}
		if resp := env.Do(t, "GET", "/api/auth/me", ref.Token, nil); resp.Status != http.StatusOK {
			t.Errorf("refreshed token rejected: %d", resp.Status)
		}
	})
}

func TestRegisterValidation(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		big := `{"email":"a@b.co","username":"abc","password":"` + strings.Repeat("x", 2<<20) + `"}`
		tests := []struct {
			name       string
			body       any
			wantStatus int
			wantCode   string
			wantField  string
		}{
			{"bad json", `{"email":`, 400, "invalid_json", ""},
			{"invalid UTF-8", "{\"email\":\"\xff\xfe@x.io\",\"username\":\"abc\",\"password\":\"12345678\"}", 400, "invalid_json", ""},
			{"not an object", `[1,2]`, 400, "invalid_json", ""},
			{"empty body", ``, 400, "invalid_json", ""},
			{"trailing data", `{"email":"a@b.co","username":"abc","password":"12345678"} {}`, 400, "invalid_json", ""},
			{"unknown field", map[string]string{"email": "a@b.co", "username": "abc", "password": "12345678", "role": "admin"}, 400, "validation_error", "role"},
			{"wrong type", `{"email":"a@b.co","username":"abc","password":12345678}`, 400, "validation_error", "password"},
			{"missing email", map[string]string{"username": "abc", "password": "12345678"}, 400, "validation_error", "email"},
			{"missing password", map[string]string{"email": "a@b.co", "username": "abc"}, 400, "validation_error", "password"},
			{"bad email", map[string]string{"email": "not-an-email", "username": "abc", "password": "12345678"}, 400, "validation_error", "email"},
			{"email with name", map[string]string{"email": "Bob <bob@b.co>", "username": "abc", "password": "12345678"}, 400, "validation_error", "email"},
			{"short username", map[string]string{"email": "a@b.co", "username": "ab", "password": "12345678"}, 400, "validation_error", "username"},
			{"long username", map[string]string{"email": "a@b.co", "username": strings.Repeat("a", 33), "password": "12345678"}, 400, "validation_error", "username"},
			{"username chars", map[string]string{"email": "a@b.co", "username": "a b!", "password": "12345678"}, 400, "validation_error", "username"},
			{"short password", map[string]string{"email": "a@b.co", "username": "abc", "password": "1234567"}, 400, "validation_error", "password"},
			{"long password", map[string]string{"email": "a@b.co", "username": "abc", "password": strings.Repeat("p", 257)}, 400, "validation_error", "password"},
			{"2 MiB body", big, 413, "payload_too_large", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := env.Do(t, "POST", "/api/auth/register", "", tt.body)
				if resp.Status != tt.wantStatus {
					t.Fatalf("status = %d, want %d: %s", resp.Status, tt.wantStatus, resp.Body)
				}
				e := resp.Err(t)
				if e.Code != tt.wantCode {
					t.Errorf("code = %q, want %q", e.Code, tt.wantCode)
				}
				if tt.wantField != "" && (len(e.Details) == 0 || e.Details[0].Field != tt.wantField) {
					t.Errorf("details = %+v, want field %q", e.Details, tt.wantField)
				}
			})
		}
	})
}

func TestRegisterConflicts(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		tests := []struct{ name, email, username string }{
			{"same email other case", strings.ToUpper(u.Email), "fresh_name"},
			{"same username other case", "fresh@example.com", strings.ToUpper(u.Username)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := env.Do(t, "POST", "/api/auth/register", "", map[string]string{"email": tt.email, "username": tt.username, "password": "12345678"})
				if resp.Status != http.StatusConflict || resp.Err(t).Code != "conflict" {
					t.Fatalf("got %d %s, want 409 conflict", resp.Status, resp.Body)
				}
			})
		}
		// A failed registration leaves no half-written record: the fresh
		// email and username are still free.
		resp := env.Do(t, "POST", "/api/auth/register", "", map[string]string{"email": "fresh@example.com", "username": "fresh_name", "password": "12345678"})
		if resp.Status != http.StatusCreated {
			t.Fatalf("fresh registration after conflicts: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestConcurrentDuplicateRegistrations(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		const n = 24
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp := env.Do(t, "POST", "/api/auth/register", "", map[string]string{
					"email": "race@example.com", "username": "racer_" + string(rune('a'+i)), "password": "12345678",
				})
				statuses[i] = resp.Status
			})
		}
		wg.Wait()
		created, conflicts := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				conflicts++
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Fatalf("statuses = %v: %d created, %d conflicts; want exactly 1 created and %d conflicts", statuses, created, conflicts, n-1)
		}
	})
}

func TestLogin(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		env.Calls.Take()
		resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": " " + strings.ToUpper(u.Email), "password": u.Password})
		var body authBody
		resp.Decode(t, &body)
		if resp.Status != http.StatusOK || body.Message != "Login successful" || body.User.ID != u.ID || body.Token == "" {
			t.Fatalf("login: %d %s", resp.Status, resp.Body)
		}
		// The attempt counted (one transaction over both counters) while the
		// credentials are read; then the profile read while the pair counter
		// is cleared.
		if got, want := env.Calls.Take(), map[string]int{"TransactWriteItems": 1, "GetItem": 2, "DeleteItem": 1}; !equalCounts(got, want) {
			t.Errorf("login calls = %v, want %v", got, want)
		}

		wrong := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "wrong password"})
		if got, want := env.Calls.Take(), map[string]int{"GetItem": 1, "TransactWriteItems": 1}; !equalCounts(got, want) {
			t.Errorf("failed login calls = %v, want %v", got, want)
		}
		unknown := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "wrong password"})
		if got, want := env.Calls.Take(), map[string]int{"GetItem": 1, "TransactWriteItems": 1}; !equalCounts(got, want) {
			t.Errorf("unknown-email login calls = %v, want %v", got, want)
		}
		for _, r := range []*apitest.Response{wrong, unknown} {
			e := r.Err(t)
			if r.Status != http.StatusUnauthorized || e.Message != "Invalid email or password" || e.Code != "unauthorized" {
				t.Errorf("failed login = %d %s", r.Status, r.Body)
			}
		}

		// The 8-character rule is for new passwords only: login validates presence.
		short := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email})
		if short.Status != http.StatusBadRequest || short.Err(t).Details[0].Field != "password" {
			t.Errorf("login without password = %d %s", short.Status, short.Body)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		for i := range 10 {
			if resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "guess"}); resp.Status != 401 {
				t.Fatalf("attempt %d: %d", i, resp.Status)
			}
		}
		resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password})
		if resp.Status != http.StatusTooManyRequests || resp.Err(t).Code != "rate_limited" {
			t.Fatalf("after 10 failures: %d %s", resp.Status, resp.Body)
		}
		if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		throttled := emfproof.Values(env.Metrics(t), "LoginThrottled", map[string]string{"service": metrics.DefaultService})
		if len(throttled) != 11 || throttled[9] != 0 || throttled[10] != 1 {
			t.Errorf("LoginThrottled = %v: want a value a sign-in, 1 for the refused one", throttled)
		}
		// Another account from the same address is not locked by it.
		other := env.Register(t)
		if resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": other.Email, "password": other.Password}); resp.Status != 200 {
			t.Errorf("other account: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestBcryptUserIsUpgraded(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		hash, err := bcrypt.GenerateFromPassword([]byte("demo123"), 12)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		u := agent.User{ID: "0190a000-0000-7000-8000-000000000001", Email: "legacy@example.com", Username: "legacy", Credits: 5, CreatedAt: now, UpdatedAt: now}
		if err := env.Deps.Store.CreateUser(ctx, u, string(hash), store.Attempts{}); err != nil {
			t.Fatal(err)
		}
		for i := range 2 { // first login upgrades, second verifies the new hash
			resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "demo123"})
			if resp.Status != http.StatusOK {
				t.Fatalf("login %d: %d %s", i, resp.Status, resp.Body)
			}
			_, stored, err := env.Deps.Store.Credentials(ctx, u.Email)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("after login %d the stored hash is %.12s..., want argon2id", i, stored)
			}
		}
		if resp := env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "demo124"}); resp.Status != 401 {
			t.Errorf("wrong password after upgrade: %d", resp.Status)
		}
	})
}

func TestBadTokens(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		signer := auth.NewSigner([]byte(apitest.Secret), time.Hour)
		sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(method, claims).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		now := time.Now()
		valid := jwt.MapClaims{"sub": u.ID, "iss": auth.Issuer, "aud": auth.UserAudience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		with := func(k string, v any) jwt.MapClaims {
			c := jwt.MapClaims{}
			for key, val := range valid {
				c[key] = val
			}
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
			return c
		}
		preview, err := signer.IssuePreview(agent.Session{UserID: u.ID, Start: now}, "some-artifact", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		secret := []byte(apitest.Secret)
		tampered := u.Token[:len(u.Token)-4] + "AAAA"
		parts := strings.Split(u.Token, ".")
		tests := []struct{ name, header string }{
			{"no header", ""},
			{"lowercase scheme", "bearer " + u.Token},
			{"basic scheme", "Basic " + u.Token},
			{"tampered signature", "Bearer " + tampered},
			{"tampered payload", "Bearer " + parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2]},
			{"expired", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Hour).Unix()))},
			{"no expiry", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("exp", nil))},
			{"issued in the future", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("iat", now.Add(time.Hour).Unix()))},
			{"alg none", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
			{"HS512", "Bearer " + sign(jwt.SigningMethodHS512, secret, valid)},
			{"wrong audience", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("aud", "someone-else"))},
			{"wrong issuer", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("iss", "evil"))},
			{"wrong secret", "Bearer " + sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456"), valid)},
			{"preview token", "Bearer " + preview},
			{"garbage", "Bearer not.a.jwt"},
			{"deleted user", "Bearer " + sign(jwt.SigningMethodHS256, secret, with("sub", "0190a000-0000-7000-8000-00000000dead"))},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, path := range []string{"/api/auth/me", "/api/auth/refresh"} {
					method := "GET"
					if strings.HasSuffix(path, "refresh") {
						method = "POST"
					}
					resp := doWithHeader(t, env, method, path, tt.header)
					if resp.Status != http.StatusUnauthorized || resp.Err(t).Code != "unauthorized" {
						t.Errorf("%s %s = %d %s, want 401", method, path, resp.Status, resp.Body)
					}
				}
			})
		}
	})
}

func doWithHeader(t *testing.T, env *apitest.Env, method, path, auth string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return apitest.Send(t, req)
}

func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestNoSecretsInResponsesOrLogs(t *testing.T) {
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		var bodies []string
		for _, resp := range []*apitest.Response{
			env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": u.Password}),
			env.Do(t, "POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": "not " + u.Password}),
			env.Do(t, "GET", "/api/auth/me", u.Token, nil),
			env.Do(t, "POST", "/api/auth/refresh", u.Token, nil),
			env.Do(t, "POST", "/api/auth/register", "", map[string]string{"email": u.Email, "username": "x" + u.Username, "password": u.Password}),
		} {
			bodies = append(bodies, string(resp.Body))
		}
		for _, b := range bodies {
			for _, secret := range []string{"$argon2id$", "$2a$", "passwordHash", u.Password} {
				if strings.Contains(b, secret) {
					t.Errorf("response contains %q: %s", secret, b)
				}
			}
		}
		logs := env.Logs()
		if !strings.Contains(logs, `"path":"/api/auth/login"`) {
			t.Fatalf("access log missing: %s", logs)
		}
		for _, secret := range []string{u.Password, u.Token, "$argon2id$", "Bearer"} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
	})
}
