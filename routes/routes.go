// Package routes is the service's deployment table: every Lambda function,
// the HTTP route it serves, its size and the AWS permissions it is granted.
// It is plain data with no dependencies, so the API (which attaches a
// handler to each function), the SAM template check, the CDK app in infra/
// (a separate module) and the README all read the same list.
package routes

import "slices"

// Resource names what a grant applies to, independent of how a template
// spells its ARN.
type Resource string

// The resources functions are granted access to.
const (
	Table        Resource = "table"         // the DynamoDB table
	TableIndexes Resource = "table-indexes" // the table's GSIs
	Bucket       Resource = "bucket"        // the bucket itself (ListBucket)
	CodeObjects  Resource = "code-objects"  // objects under S3_CODE_PREFIX
	BuildObjects Resource = "build-objects" // objects under builds/
	// ExportObjects are the objects under exports/: conversation exports too
	// large to answer inline, which the bucket expires after a day.
	ExportObjects Resource = "export-objects"
	JWTSecret     Resource = "jwt-secret" // the SSM parameter holding the JWT secret
	BuildFunc     Resource = "build-function"
	GeminiKey     Resource = "gemini-key" // the SSM parameter holding the Gemini API key
	// OriginVerify is the SSM parameter holding the value CloudFront sends
	// its origins: a function that has it trusts the client address and
	// host CloudFront forwards.
	OriginVerify Resource = "origin-verify"
)

// Grant allows actions on a resource.
type Grant struct {
	Resource Resource
	Actions  []string
}

// Function is one Lambda function.
type Function struct {
	Name string // directory under functions/
	// Method and Path are its API Gateway HTTP API route; empty for a
	// function reached otherwise (the build function, the stream URL).
	Method, Path string
	// Auth requires a user token; Tokens means the function issues or
	// verifies tokens without requiring one (login). Either needs the secret,
	// and verifying one reads the user's token version (dynamodb:GetItem).
	Auth, Tokens bool
	// SessionInTurn: the function's turn reservation checks that the
	// session is current, in its conditional write on the user, so the
	// route only verifies the token: no read of the user before the turn.
	SessionInTurn bool
	// StreamURL serves the routes of the functions named in Streams from a
	// Function URL in RESPONSE_STREAM mode: the same handlers as theirs
	// behind API Gateway, streamed.
	StreamURL bool
	Streams   []string
	MemoryMB  int // 0 means DefaultMemoryMB
	TimeoutS  int // 0 means DefaultTimeoutS
	Grants    []Grant
	// Settings are environment variables the function reads beyond what its
	// grants imply (see Environment).
	Settings []string
	// ReservedConcurrency names the template parameter that reserves the
	// function's concurrency; the parameter is empty by default, reserving
	// none (a new account has 10 concurrent executions and no room to
	// reserve any). Empty: the function has no such parameter.
	ReservedConcurrency string
}

// Defaults for functions that do not say. Memory sizes come from `make
// bench-memory` (docs/performance.md, "Memory size"): at 256 MB a request of these
// functions takes as long as at 1,769 MB, and a cold start a fraction of
// what it takes at 128 MB, for a cent more per million.
const (
	DefaultMemoryMB = 256
	DefaultTimeoutS = 10
)

// argon2MemoryMB is the size of the functions that hash or verify a
// password: argon2id is CPU-bound, so its cost per call stays about the same
// up to one vCPU while a login at 256 MB takes four times as long; its 19 MiB
// per hash puts their peak RSS near 95 MiB, too close to 128 MB.
const argon2MemoryMB = 1024

// APITimeoutS is the longest timeout of a function behind the HTTP API:
// API Gateway gives up after 30 s, counted from the request's arrival (a
// cold start included), so a function allowed 30 s or more could still be
// working, and saving, after its client got a 503.
const APITimeoutS = 29

// NeedsSecret reports whether the function needs the JWT secret.
func (f Function) NeedsSecret() bool { return f.Auth || f.Tokens }

// NeedsModel reports whether the function calls the language model (and so
// needs its API key).
func (f Function) NeedsModel() bool { return f.grants(GeminiKey) }

func (f Function) grants(r Resource) bool {
	for _, g := range f.Grants {
		if g.Resource == r {
			return true
		}
	}
	return false
}

// Served are the functions whose routes f serves: f itself, or for a
// Function URL the functions it streams.
func (f Function) Served() []Function {
	if !f.StreamURL {
		return []Function{f}
	}
	var out []Function
	for _, name := range f.Streams {
		if g, ok := ByName(name); ok {
			out = append(out, g)
		}
	}
	return out
}

// InvokesBuild reports whether the function calls the build function.
func (f Function) InvokesBuild() bool { return f.grants(BuildFunc) }

// GCPercent is every function's GOGC. A cold start allocates a few MiB in
// package initialisation alone (the AWS SDK's operation schemas), which the
// default (100) collects before the first request is served; a function's
// live heap is small beside its memory, and settings.LimitMemory keeps the
// heap within it whatever this allows.
const GCPercent = "400"

// Environment lists the variables a deployment sets for the function, beyond
// those every function gets (TABLE_NAME, CORS_ORIGINS, VERSION, GOGC, and the
// metrics' POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME): what
// its grants imply, then its Settings.
func (f Function) Environment() []string {
	var env []string
	if f.NeedsSecret() {
		env = append(env, "JWT_SECRET_PARAM")
	}
	if f.NeedsModel() {
		env = append(env, "GEMINI_API_KEY_PARAM", "GEMINI_MODEL")
	}
	if f.grants(Bucket) || f.grants(CodeObjects) || f.grants(BuildObjects) || f.grants(ExportObjects) {
		env = append(env, "S3_BUCKET_NAME")
	}
	if f.InvokesBuild() {
		env = append(env, "BUILD_FUNCTION_NAME")
	}
	if f.grants(OriginVerify) {
		env = append(env, "ORIGIN_VERIFY_PARAM")
	}
	return append(env, f.Settings...)
}

// Memory is the function's memory size in MB.
func (f Function) Memory() int {
	if f.MemoryMB == 0 {
		return DefaultMemoryMB
	}
	return f.MemoryMB
}

// Timeout is the function's timeout in seconds.
func (f Function) Timeout() int {
	if f.TimeoutS == 0 {
		return DefaultTimeoutS
	}
	return f.TimeoutS
}

// LogicalID is the function's name in templates: auth-me → AuthMeFunction.
func (f Function) LogicalID() string {
	out := make([]byte, 0, len(f.Name)+8)
	upper := true
	for i := 0; i < len(f.Name); i++ {
		c := f.Name[i]
		if c == '-' {
			upper = true
			continue
		}
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		out = append(out, c)
	}
	return string(out) + "Function"
}

func dynamo(actions ...string) Grant {
	return Grant{Resource: Table, Actions: prefix("dynamodb:", actions)}
}

func s3(r Resource, actions ...string) Grant {
	return Grant{Resource: r, Actions: prefix("s3:", actions)}
}

var secret = Grant{Resource: JWTSecret, Actions: []string{"ssm:GetParameter"}}

// forwarded is the grant of functions that read the client's address (the
// per-address limits) or build links (from the host the client used): behind
// CloudFront both arrive in headers, trusted only with the origin's value.
var forwarded = Grant{Resource: OriginVerify, Actions: []string{"ssm:GetParameter"}}

// links are the settings of functions that return links to the API.
var links = []string{"PUBLIC_URL"}

func prefix(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

// All is every function of the service.
func All() []Function {
	return []Function{
		{Name: "health", Method: "GET", Path: "/health",
			Grants: []Grant{dynamo("DescribeTable"), s3(Bucket, "ListBucket")}},
		// The OpenAPI document, embedded in the binary: nothing to read, no
		// grant; its memory is a fraction of the default's.
		{Name: "openapi", Method: "GET", Path: "/api/openapi.json", MemoryMB: 128},
		// The API reference (package webapp): Swagger UI rendering the
		// document above; its script and stylesheet are the web app's
		// assets. No grants.
		{Name: "openapi-docs", Method: "GET", Path: "/api/docs", MemoryMB: 128},
		{Name: "auth-register", Method: "POST", Path: "/api/auth/register", Tokens: true, MemoryMB: argon2MemoryMB,
			Grants: []Grant{dynamo("PutItem", "UpdateItem"), secret, forwarded}, Settings: []string{"DEFAULT_CREDITS", "REGISTRATIONS_PER_HOUR"}},
		{Name: "auth-login", Method: "POST", Path: "/api/auth/login", Tokens: true, MemoryMB: argon2MemoryMB,
			Grants: []Grant{dynamo("GetItem", "UpdateItem", "DeleteItem"), secret, forwarded}},
		{Name: "auth-me", Method: "GET", Path: "/api/auth/me", Auth: true,
			Grants: []Grant{dynamo("GetItem"), secret}},
		{Name: "auth-refresh", Method: "POST", Path: "/api/auth/refresh", Auth: true,
			Grants: []Grant{dynamo("GetItem"), secret}},
		{Name: "auth-logout", Method: "POST", Path: "/api/auth/logout", Auth: true,
			Grants: []Grant{dynamo("GetItem", "UpdateItem"), secret}},
		{Name: "auth-password", Method: "PUT", Path: "/api/auth/password", Auth: true, MemoryMB: argon2MemoryMB,
			Grants: []Grant{dynamo("GetItem", "UpdateItem", "DeleteItem"), secret, forwarded}},
		{Name: "conversations-list", Method: "GET", Path: "/api/conversations", Auth: true,
			Grants: []Grant{dynamo("GetItem"), {Resource: TableIndexes, Actions: []string{"dynamodb:Query"}}, secret}},
		{Name: "conversations-get", Method: "GET", Path: "/api/conversations/{id}", Auth: true,
			Grants: []Grant{dynamo("Query", "GetItem"), s3(CodeObjects, "GetObject"), secret, forwarded}, Settings: links},
		{Name: "conversations-update", Method: "PUT", Path: "/api/conversations/{id}", Auth: true,
			Grants: []Grant{dynamo("GetItem", "UpdateItem"), secret}},
		{Name: "conversations-delete", Method: "DELETE", Path: "/api/conversations/{id}", Auth: true, TimeoutS: APITimeoutS,
			Grants: []Grant{dynamo("GetItem", "UpdateItem", "Query", "BatchWriteItem", "DeleteItem"), s3(Bucket, "ListBucket"), s3(CodeObjects, "DeleteObject"), secret}},
		// The ZIP export reads (or builds) each artifact's page and streams
		// a large ZIP into a multipart upload under exports/ (s3:PutObject
		// covers its start, parts and completion), which it aborts on
		// failure and links to with a presigned GET. Its time is API
		// Gateway's (APITimeoutS); its memory buys CPU to deflate the pages.
		{Name: "conversations-export", Method: "GET", Path: "/api/conversations/{id}/export", Auth: true, MemoryMB: 1024, TimeoutS: APITimeoutS,
			Grants: []Grant{
				dynamo("Query", "GetItem"), s3(CodeObjects, "GetObject"), s3(BuildObjects, "GetObject"),
				s3(ExportObjects, "PutObject", "AbortMultipartUpload", "GetObject"),
				{Resource: BuildFunc, Actions: []string{"lambda:InvokeFunction"}}, secret,
			}},
		{Name: "usage", Method: "GET", Path: "/api/usage", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query"), secret}},
		{Name: "artifacts-get", Method: "GET", Path: "/api/artifacts/{id}", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query"), s3(CodeObjects, "GetObject"), secret, forwarded}, Settings: links},
		{Name: "artifacts-version", Method: "GET", Path: "/api/artifacts/{id}/versions/{n}", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query"), s3(CodeObjects, "GetObject"), secret, forwarded}, Settings: links},
		{Name: "artifacts-diff", Method: "GET", Path: "/api/artifacts/{id}/diff", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query"), s3(CodeObjects, "GetObject"), secret}},
		{Name: "artifacts-code", Method: "GET", Path: "/api/artifacts/{id}/code", Auth: true,
			Grants: []Grant{dynamo("GetItem"), s3(CodeObjects, "GetObject"), secret}},
		{Name: "artifacts-download", Method: "GET", Path: "/api/artifacts/{id}/download", Auth: true,
			Grants: []Grant{dynamo("GetItem"), s3(CodeObjects, "GetObject"), secret}},
		{Name: "artifacts-project", Method: "GET", Path: "/api/artifacts/{id}/project", Auth: true,
			Grants: []Grant{dynamo("GetItem"), secret}},
		{Name: "artifacts-delete", Method: "DELETE", Path: "/api/artifacts/{id}", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query", "BatchWriteItem"), s3(Bucket, "ListBucket"), s3(CodeObjects, "DeleteObject"), secret}},
		{Name: "artifacts-build", Method: "POST", Path: "/api/artifacts/{id}/build", Auth: true, TimeoutS: APITimeoutS, Grants: buildGrants},
		{Name: "artifacts-bundle", Method: "POST", Path: "/api/artifacts/{id}/bundle", Auth: true, TimeoutS: APITimeoutS,
			Grants: append(slices.Clone(buildGrants), forwarded), Settings: links},
		{Name: "artifacts-build-project", Method: "POST", Path: "/api/artifacts/{id}/build-project", Auth: true, TimeoutS: APITimeoutS, Grants: buildGrants},
		{Name: "artifacts-html-export", Method: "POST", Path: "/api/artifacts/{id}/html-export", Auth: true, MemoryMB: 512, TimeoutS: APITimeoutS, Grants: previewGrants},
		{Name: "artifacts-preview", Method: "GET", Path: "/api/artifacts/{id}/preview", Tokens: true, TimeoutS: APITimeoutS, Grants: previewGrants},
		{Name: "artifacts-project-preview", Method: "GET", Path: "/api/artifacts/{id}/project-preview", Tokens: true, MemoryMB: 512, TimeoutS: APITimeoutS, Grants: previewGrants},
		// The build function reads a page's manifest to find it built: on a
		// miss S3 answers NoSuchKey only to a role that may list the bucket
		// (403 AccessDenied otherwise, which would fail every first build).
		{Name: "build", MemoryMB: 1024, TimeoutS: 60,
			Grants: []Grant{s3(BuildObjects, "GetObject", "PutObject"), s3(Bucket, "ListBucket")}},
		{Name: "chat-send", Method: "POST", Path: "/api/chat/send", Auth: true, SessionInTurn: true, TimeoutS: APITimeoutS,
			Grants: chatGrants, Settings: chatSettings, ReservedConcurrency: ChatReservedConcurrency},
		{Name: "chat-resume", Method: "GET", Path: "/api/chat/stream/{messageId}", Auth: true, TimeoutS: APITimeoutS,
			Grants: []Grant{dynamo("GetItem", "Query"), s3(CodeObjects, "GetObject"), secret, forwarded}, Settings: links},
		{Name: "chat-stop", Method: "POST", Path: "/api/chat/stop/{messageId}", Auth: true,
			Grants: []Grant{dynamo("GetItem", "Query", "PutItem", "UpdateItem"), secret}},
		// Another answer never builds (a regenerate request has no
		// enableBuilding): no build function.
		{Name: "chat-regenerate", Method: "POST", Path: "/api/chat/regenerate/{messageId}", Auth: true, SessionInTurn: true, TimeoutS: APITimeoutS,
			Grants: withoutResource(chatGrants, BuildFunc), Settings: chatSettings, ReservedConcurrency: ChatReservedConcurrency},
		{Name: "artifacts-fix", Method: "POST", Path: "/api/artifacts/{id}/fix", Auth: true, TimeoutS: APITimeoutS,
			Grants: chatGrants, Settings: chatSettings, ReservedConcurrency: ChatReservedConcurrency},
		// The web app (package webapp): the page at / and its assets, embedded
		// in the binary; CloudFront caches the assets by their hashed names
		// (AssetPaths). No grants: it reads nothing but itself.
		{Name: "webapp", Method: "GET", Path: "/"},
		{Name: "webapp-assets", Method: "GET", Path: "/assets/{name}"},
		// One Function URL streams every route that streams (CloudFront sends
		// it /api/chat/* and /api/artifacts/*/fix): a reply, its
		// resumption, its stop, another answer, a fix.
		{Name: "chat-stream", Auth: true, StreamURL: true, TimeoutS: 300,
			Streams: []string{"chat-send", "chat-resume", "chat-stop", "chat-regenerate", "artifacts-fix"},
			Grants:  chatGrants, Settings: append(slices.Clone(chatSettings), "API_URL"), ReservedConcurrency: ChatReservedConcurrency},
	}
}

// buildGrants are the permissions of the routes that build previews: read
// the artifact and record its page, read its code, and invoke the build
// function (as the chat functions and the ZIP export also do).
var buildGrants = []Grant{
	dynamo("GetItem", "UpdateItem"),
	s3(CodeObjects, "GetObject"),
	invokeBuild,
	secret,
}

// previewGrants are those of the routes that serve previews: they build
// as the build routes do when no page is recorded, and read the page.
var previewGrants = []Grant{
	dynamo("GetItem", "UpdateItem"),
	s3(CodeObjects, "GetObject"),
	s3(BuildObjects, "GetObject"),
	invokeBuild,
	secret,
}

var invokeBuild = Grant{Resource: BuildFunc, Actions: []string{"lambda:InvokeFunction"}}

// withoutResource is grants without those on r.
func withoutResource(grants []Grant, r Resource) []Grant {
	return slices.DeleteFunc(slices.Clone(grants), func(g Grant) bool { return g.Resource == r })
}

// chatGrants are the permissions of a chat turn: read the user and the
// conversation, write messages, artifacts and the turn's journal
// (transactions of puts, updates and condition checks; the turn's start in
// a batch), store artifact code and presign its download, remove the code
// it wrote when it loses the race with a conversation delete (a prefix
// delete: list, then delete), and build a React artifact (enableBuilding).
var chatGrants = []Grant{
	dynamo("GetItem", "PutItem", "UpdateItem", "ConditionCheckItem", "Query", "BatchWriteItem"),
	s3(CodeObjects, "PutObject", "GetObject", "DeleteObject"),
	s3(Bucket, "ListBucket"),
	invokeBuild,
	secret,
	{Resource: GeminiKey, Actions: []string{"ssm:GetParameter"}},
	forwarded,
}

// chatSettings are the limits of a chat turn, and its links.
var chatSettings = []string{"MAX_CONCURRENT_TURNS", "TURNS_PER_MINUTE", "PUBLIC_URL"}

// StreamPaths are the CloudFront path patterns sent to the streaming
// Function URL (the rest goes to the HTTP API): every route it streams, and
// no other (a test checks both).
var StreamPaths = []string{"/api/chat/*", "/api/artifacts/*/fix"}

// AssetPaths are the CloudFront path patterns whose answers the
// distribution caches: the web app's assets, whose names change with their
// content (the rest of the API is never cached).
var AssetPaths = []string{"/assets/*"}

// ChatReservedConcurrency is the template parameter reserving each chat
// function's concurrency: the Function URL bypasses API Gateway's
// throttling, so this is the bound on what a burst of streams can hold.
const ChatReservedConcurrency = "ChatReservedConcurrency"

// ByName returns the function called name.
func ByName(name string) (Function, bool) {
	for _, f := range All() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
