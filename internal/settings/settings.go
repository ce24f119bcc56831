// Package settings provides the service's configuration: every setting read
// from the environment with its documented default (unsafe values, such as a
// short JWT secret, rejected at start-up rather than at the first request),
// and the AWS clients built from it.
package settings

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the handlers and adapters need.
type Config struct {
	Port           string        // PORT: the devserver's port
	Region         string        // AWS_REGION
	TableName      string        // TABLE_NAME: the single DynamoDB table
	BucketName     string        // S3_BUCKET_NAME: code and build outputs
	CodePrefix     string        // S3_CODE_PREFIX: where artifact code lives
	DynamoEndpoint string        // DYNAMODB_ENDPOINT: a DynamoDB-compatible endpoint; empty means AWS
	S3Endpoint     string        // S3_ENDPOINT: an S3-compatible endpoint (path-style); empty means AWS
	JWTSecret      []byte        // JWT_SECRET: at least 32 bytes
	JWTTTL         time.Duration // JWT_TTL: token lifetime
	CORSOrigins    []string      // CORS_ORIGINS: comma separated
	DefaultCredits int           // DEFAULT_CREDITS: a new user's credits; negative means unlimited
	TurnTimeout    time.Duration // TURN_TIMEOUT: how long the model may answer one message
	GeminiAPIKey   string        // GEMINI_API_KEY
	GeminiModel    string        // GEMINI_MODEL
	GeminiBaseURL  string        // GEMINI_BASE_URL: another Gemini-compatible endpoint
	DevDataDir     string        // DEV_DATA_DIR: the devserver's persistent data
	LogLevel       slog.Level    // LOG_LEVEL: debug, info, warn, error
	Version        string        // VERSION: reported by /health
	PublicURL      string        // PUBLIC_URL: the API's base URL as clients reach it (preview links); empty means the request's host
	APIURL         string        // API_URL: the HTTP API's URL, for links from a host that serves only streams (the chat Function URL)
	BuildFunction  string        // BUILD_FUNCTION_NAME: the build Lambda; empty builds in process
	LambdaEndpoint string        // LAMBDA_ENDPOINT: a Lambda-compatible Invoke endpoint (tests, RIE); empty means AWS
	SSMEndpoint    string        // SSM_ENDPOINT: an SSM-compatible endpoint for the *_PARAM secrets; empty means AWS
	PackagesDir    string        // BUILD_PACKAGES_DIR: the preview package set (node_modules) for in-process builds

	OriginVerify    string        // ORIGIN_VERIFY: the value CloudFront sends its origins; with it, the client address and host it forwards are trusted (Lambda: ORIGIN_VERIFY_PARAM names an SSM parameter)
	SessionMaxAge   time.Duration // SESSION_MAX_AGE: how long after signing in a token can still be refreshed
	SessionCacheTTL time.Duration // SESSION_CACHE_TTL: how long an instance trusts a user's token version it read (the delay of a revocation): 0 by default, a minute in Lambda

	// Abuse limits; 0 disables one.
	MaxConcurrentTurns   int // MAX_CONCURRENT_TURNS: a user's turns in flight
	TurnsPerMinute       int // TURNS_PER_MINUTE: a user's turns started per minute
	RegistrationsPerHour int // REGISTRATIONS_PER_HOUR: accounts created per client address (IPv4, or IPv6 /64)
}

// MinSecretBytes is the shortest JWT secret accepted.
const MinSecretBytes = 32

// Defaults for unset variables.
const (
	DefaultPort        = "3001"
	DefaultTable       = "ai-coding-agent"
	DefaultBucket      = "ai-coding-agent-artifacts"
	DefaultCodePrefix  = "code-artifacts/"
	DefaultRegion      = "us-east-1"
	DefaultModel       = "gemini-2.5-flash"
	DefaultCORSOrigins = "http://localhost:3000,http://localhost:5173"
	DefaultTTL         = 7 * 24 * time.Hour
	DefaultCreditCount = 20
	DefaultSessionAge  = 30 * 24 * time.Hour
	DefaultTurnTimeout = 5 * time.Minute

	DefaultMaxConcurrentTurns   = 3
	DefaultTurnsPerMinute       = 20
	DefaultRegistrationsPerHour = 20
)

// ErrWeakSecret is returned when JWT_SECRET is shorter than MinSecretBytes.
var ErrWeakSecret = errors.New("JWT_SECRET must be at least 32 bytes")

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). A missing JWT secret is not an error here: Lambda hosts
// check it (RequireSecret), and the devserver generates one.
func Load(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Port:           get("PORT", DefaultPort),
		Region:         get("AWS_REGION", DefaultRegion),
		TableName:      get("TABLE_NAME", DefaultTable),
		BucketName:     get("S3_BUCKET_NAME", DefaultBucket),
		CodePrefix:     get("S3_CODE_PREFIX", DefaultCodePrefix),
		DynamoEndpoint: get("DYNAMODB_ENDPOINT", ""),
		S3Endpoint:     get("S3_ENDPOINT", ""),
		JWTSecret:      []byte(getenv("JWT_SECRET")),
		GeminiAPIKey:   get("GEMINI_API_KEY", ""),
		GeminiModel:    get("GEMINI_MODEL", DefaultModel),
		GeminiBaseURL:  get("GEMINI_BASE_URL", ""),
		DevDataDir:     get("DEV_DATA_DIR", ".devdata"),
		Version:        get("VERSION", "dev"),
		PublicURL:      strings.TrimRight(get("PUBLIC_URL", ""), "/"),
		APIURL:         strings.TrimRight(get("API_URL", ""), "/"),
		BuildFunction:  get("BUILD_FUNCTION_NAME", ""),
		LambdaEndpoint: get("LAMBDA_ENDPOINT", ""),
		SSMEndpoint:    get("SSM_ENDPOINT", ""),
		PackagesDir:    get("BUILD_PACKAGES_DIR", ""),
		OriginVerify:   get("ORIGIN_VERIFY", ""),
	}
	if !strings.HasSuffix(c.CodePrefix, "/") {
		c.CodePrefix += "/"
	}
	for _, o := range strings.Split(get("CORS_ORIGINS", DefaultCORSOrigins), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	var err error
	if c.JWTTTL, err = time.ParseDuration(get("JWT_TTL", DefaultTTL.String())); err != nil || c.JWTTTL <= 0 {
		return Config{}, fmt.Errorf("JWT_TTL %q: want a positive Go duration such as 168h", getenv("JWT_TTL"))
	}
	if c.TurnTimeout, err = time.ParseDuration(get("TURN_TIMEOUT", DefaultTurnTimeout.String())); err != nil || c.TurnTimeout <= 0 {
		return Config{}, fmt.Errorf("TURN_TIMEOUT %q: want a positive Go duration such as 5m", getenv("TURN_TIMEOUT"))
	}
	if c.DefaultCredits, err = strconv.Atoi(get("DEFAULT_CREDITS", strconv.Itoa(DefaultCreditCount))); err != nil {
		return Config{}, fmt.Errorf("DEFAULT_CREDITS %q: want an integer", getenv("DEFAULT_CREDITS"))
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
		def  time.Duration
	}{
		{&c.SessionMaxAge, "SESSION_MAX_AGE", DefaultSessionAge},
		{&c.SessionCacheTTL, "SESSION_CACHE_TTL", 0},
	} {
		if *d.dst, err = time.ParseDuration(get(d.name, d.def.String())); err != nil || *d.dst < 0 {
			return Config{}, fmt.Errorf("%s %q: want a Go duration such as 720h", d.name, getenv(d.name))
		}
	}
	for _, n := range []struct {
		dst  *int
		name string
		def  int
	}{
		{&c.MaxConcurrentTurns, "MAX_CONCURRENT_TURNS", DefaultMaxConcurrentTurns},
		{&c.TurnsPerMinute, "TURNS_PER_MINUTE", DefaultTurnsPerMinute},
		{&c.RegistrationsPerHour, "REGISTRATIONS_PER_HOUR", DefaultRegistrationsPerHour},
	} {
		if *n.dst, err = strconv.Atoi(get(n.name, strconv.Itoa(n.def))); err != nil || *n.dst < 0 {
			return Config{}, fmt.Errorf("%s %q: want a whole number, 0 to disable", n.name, getenv(n.name))
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		return Config{}, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if len(c.JWTSecret) > 0 {
		if err := c.RequireSecret(); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// RequireSecret reports ErrWeakSecret unless the JWT secret is long enough.
func (c Config) RequireSecret() error {
	if len(c.JWTSecret) < MinSecretBytes {
		return ErrWeakSecret
	}
	return nil
}
