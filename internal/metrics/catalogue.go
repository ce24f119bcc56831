package metrics

// Unit is a CloudWatch unit (MetricDatum's list).
type Unit string

// The units of the catalogue.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Dimension is the name of a dimension: a member of a record whose value
// is part of a metric's identity.
type Dimension string

// The dimensions. Function is the routes table's name of the function
// that served the request (chat-stream for a stream through the Function
// URL), Route its pattern ("POST /api/chat/send", never a path with ids),
// Outcome how a turn or a build ended; Service is the stack's service name
// (Powertools' convention), on every metric.
const (
	Service  Dimension = "service"
	Function Dimension = "function"
	Route    Dimension = "route"
	Outcome  Dimension = "outcome"
)

// Kind is a kind of record: what it is about, and so which dimensions it
// has values for.
type Kind uint8

// The kinds of record.
const (
	// Request is one HTTP request, of any route: function and route.
	Request Kind = iota
	// Turn is one chat turn (a reply written): function, route, outcome.
	Turn
	// Build is one build of a preview: function ("build") and outcome.
	Build
	kinds
)

// dimensions are the dimensions each kind has values for, beside Service.
var dimensions = [kinds][]Dimension{
	Request: {Function, Route},
	Turn:    {Function, Route, Outcome},
	Build:   {Function, Outcome},
}

// String is the kind's name.
func (k Kind) String() string {
	return [kinds]string{Request: "request", Turn: "turn", Build: "build"}[k]
}

// Dimensions are the dimensions a record of kind k has values for, Service
// first.
func (k Kind) Dimensions() []Dimension { return append([]Dimension{Service}, dimensions[k]...) }

// ID names a metric of the catalogue.
type ID uint8

// The catalogue, by kind of record.
const (
	// Every request.
	Requests ID = iota
	Latency
	HTTP4xx
	HTTP5xx
	Unavailable
	// Requests that start a turn (send, regenerate, fix): refused before
	// the model for want of credits, or by a limit.
	CreditsRefused
	TurnsLimited
	// Sign-in and registration requests refused by their throttles.
	LoginThrottled
	RegistrationThrottled
	// Requests that took a turn's slot: its release failed.
	SlotReleaseFailed
	// A resumed stream's lag behind the stream it follows.
	ResumeLag

	// Every turn.
	Turns
	TurnFailed
	TimeToFirstToken
	TimeToModelRequest
	TurnDuration
	TokensIn
	TokensOut
	JournalWriteFailures

	// Every build.
	Builds
	BuildFailed
	BuildDuration

	numMetrics
)

// Metric is one metric of the catalogue.
type Metric struct {
	Name string
	Unit Unit
	// Kind is the record that carries it.
	Kind Kind
	// Dimensions are the dimension sets it is published under, each a
	// metric of its own in CloudWatch (and one per combination of values).
	Dimensions [][]Dimension
	// Statistics are those that mean something for it: what an alarm or a
	// dashboard may ask of it.
	Statistics []string
	// Samples: a record carries up to MaxSamples values of it, not one.
	Samples bool
	// About says what it counts or measures, for docs/operating.md.
	About string
}

// Statistics that fit each shape of metric.
var (
	// A count: how many in a period.
	sums = []string{"Sum"}
	// A 0/1 flag on every record: Sum is how many, SampleCount of how
	// many, Average the rate.
	flags = []string{"Sum", "SampleCount", "Average"}
	// A time: its distribution.
	times = []string{"p50", "p90", "p99", "Average", "Maximum", "SampleCount"}
)

// Dimension sets.
var (
	service      = [][]Dimension{{Service}}
	everyRoute   = [][]Dimension{{Service}, {Service, Function, Route}}
	byOutcome    = [][]Dimension{{Service, Outcome}}
	serviceRoute = [][]Dimension{{Service}, {Service, Route}}
)

var catalogue = [numMetrics]Metric{
	Requests: {Name: "Requests", Unit: Count, Kind: Request, Dimensions: everyRoute, Statistics: sums,
		About: "requests answered, per route and in all (1 per request)"},
	Latency: {Name: "Latency", Unit: Milliseconds, Kind: Request, Dimensions: everyRoute, Statistics: times,
		About: "from the request's arrival at the function to its answer's end (a stream: its whole length)"},
	HTTP4xx: {Name: "Http4xx", Unit: Count, Kind: Request, Dimensions: everyRoute, Statistics: flags,
		About: "1 when the answer was a 4xx, else 0: Average is the rate"},
	HTTP5xx: {Name: "Http5xx", Unit: Count, Kind: Request, Dimensions: everyRoute, Statistics: flags,
		About: "1 when the answer was a 5xx, else 0: Average is the rate"},
	Unavailable: {Name: "Unavailable", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "1 when the answer was a 503 unavailable (DynamoDB, S3 or Lambda still failing after the SDK's retries), else 0 (counted in Http5xx too, which has the routes)"},
	CreditsRefused: {Name: "CreditsRefused", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "on every request that asks for a turn: 1 when it was refused for want of credits (403)"},
	TurnsLimited: {Name: "TurnsLimited", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "on every request that asks for a turn: 1 when MAX_CONCURRENT_TURNS or TURNS_PER_MINUTE refused it (429)"},
	LoginThrottled: {Name: "LoginThrottled", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "on every sign-in that is checked: 1 when the sign-in throttle refused it (429)"},
	RegistrationThrottled: {Name: "RegistrationThrottled", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "on every registration that is checked: 1 when REGISTRATIONS_PER_HOUR refused it (429)"},
	SlotReleaseFailed: {Name: "SlotReleaseFailed", Unit: Count, Kind: Request, Dimensions: service, Statistics: flags,
		About: "on every request that took a turn's slot: 1 when freeing it failed after its retries (the slot then holds until it expires, a charge is not taken)"},
	ResumeLag: {Name: "ResumeLag", Unit: Milliseconds, Kind: Request, Dimensions: service, Statistics: times, Samples: true,
		About: "for each batch of a running turn a resumed stream read: how long after its first event went to the sender's client it reached this one"},

	Turns: {Name: "Turns", Unit: Count, Kind: Turn, Dimensions: byOutcome, Statistics: sums,
		About: "turns answered (a slot taken and the answer begun; a request refused before is none), by how they ended"},
	TurnFailed: {Name: "TurnFailed", Unit: Count, Kind: Turn, Dimensions: service, Statistics: flags,
		About: "1 when the turn ended in an error of ours or the model's (see the outcomes), else 0: Average is the chat's failure rate"},
	TimeToFirstToken: {Name: "TimeToFirstToken", Unit: Milliseconds, Kind: Turn, Dimensions: serviceRoute, Statistics: times,
		About: "from the request's arrival to the reply's first text written to the client (none when no text came)"},
	TimeToModelRequest: {Name: "TimeToModelRequest", Unit: Milliseconds, Kind: Turn, Dimensions: service, Statistics: times,
		About: "from the request's arrival to the model request leaving: the turn's own part of the wait"},
	TurnDuration: {Name: "TurnDuration", Unit: Milliseconds, Kind: Turn, Dimensions: service, Statistics: times,
		About: "from the request's arrival to the turn's end (reply saved, slot released)"},
	TokensIn: {Name: "TokensIn", Unit: Count, Kind: Turn, Dimensions: service, Statistics: sums,
		About: "the prompt tokens the model reported for the reply"},
	TokensOut: {Name: "TokensOut", Unit: Count, Kind: Turn, Dimensions: service, Statistics: sums,
		About: "the output tokens the model reported for the reply"},
	JournalWriteFailures: {Name: "JournalWriteFailures", Unit: Count, Kind: Turn, Dimensions: service, Statistics: sums,
		About: "journal writes of the turn that failed (a batch is retried with the next; readers wait meanwhile)"},

	Builds: {Name: "Builds", Unit: Count, Kind: Build, Dimensions: byOutcome, Statistics: sums,
		About: "builds asked of the builder, by outcome: built (a cache miss), cache_hit, or a failure by kind"},
	BuildFailed: {Name: "BuildFailed", Unit: Count, Kind: Build, Dimensions: service, Statistics: flags,
		About: "1 when the build failed for a reason of ours (not the code's), else 0: Average is the build failure rate"},
	BuildDuration: {Name: "BuildDuration", Unit: Milliseconds, Kind: Build, Dimensions: byOutcome, Statistics: times,
		About: "how long the builder took, by outcome"},
}

// Name is the metric's name.
func (id ID) Name() string { return catalogue[id].Name }

// Metric describes the metric.
func (id ID) Metric() Metric { return catalogue[id] }

// String is the metric's name.
func (id ID) String() string { return catalogue[id].Name }

// Catalogue lists every metric, in the order above.
func Catalogue() []ID {
	ids := make([]ID, numMetrics)
	for i := range ids {
		ids[i] = ID(i)
	}
	return ids
}

// ByName finds a metric by its name.
func ByName(name string) (ID, bool) {
	for i, m := range catalogue {
		if m.Name == name {
			return ID(i), true
		}
	}
	return 0, false
}

// How turns end: the Outcome of a Turn record. Failed marks those that are
// failures of ours or the model's (TurnFailed).
var TurnOutcomes = []Ending{
	{TurnComplete, false, "the reply was written and saved, its client there to the end"},
	{TurnStopped, false, "the user stopped it; what it wrote is saved"},
	{TurnClientGone, false, "its client left before the end; the reply was still written and saved"},
	{TurnConversationDeleted, false, "its conversation was deleted while it ran"},
	{TurnTimeout, true, "the model's time (TURN_TIMEOUT, or the function's deadline) ran out"},
	{TurnModelRateLimited, true, "the model refused it as rate limited, after its retries"},
	{TurnModelBlocked, true, "the model declined to answer"},
	{TurnModelError, true, "the model failed otherwise"},
	{TurnStoreError, true, "a read or a save of ours failed (the conversation, the message, the reply)"},
}

// The turn outcomes.
const (
	TurnComplete            = "complete"
	TurnStopped             = "stopped"
	TurnClientGone          = "client_gone"
	TurnConversationDeleted = "conversation_deleted"
	TurnTimeout             = "timeout"
	TurnModelRateLimited    = "model_rate_limited"
	TurnModelBlocked        = "model_blocked"
	TurnModelError          = "model_error"
	TurnStoreError          = "store_error"
)

// How builds end: the Outcome of a Build record. Failed marks a failure of
// ours (BuildFailed); code that does not build is the model's.
var BuildOutcomes = []Ending{
	{BuildBuilt, false, "built: the page was not in the cache"},
	{BuildCacheHit, false, "the page was in the cache: nothing compiled"},
	{BuildSourceError, false, "the code does not build (esbuild's errors go back to the client)"},
	{BuildNotPreviewable, false, "no browser runs the language"},
	{BuildCacheError, true, "the cache (S3) could not be read or written"},
	{BuildTimeout, true, "the build's time ran out"},
	{BuildInternal, true, "the builder failed otherwise"},
}

// The build outcomes.
const (
	BuildBuilt          = "built"
	BuildCacheHit       = "cache_hit"
	BuildSourceError    = "source_error"
	BuildNotPreviewable = "not_previewable"
	BuildCacheError     = "cache_error"
	BuildTimeout        = "timeout"
	BuildInternal       = "internal"
)

// Ending is a way a turn or a build ends: a value of the Outcome
// dimension.
type Ending struct {
	Name   string
	Failed bool
	About  string
}

// Failed reports whether a turn or build outcome (by name) is a failure.
func Failed(outcomes []Ending, name string) bool {
	for _, o := range outcomes {
		if o.Name == name {
			return o.Failed
		}
	}
	return true // an outcome the catalogue does not know is a bug: a failure
}
