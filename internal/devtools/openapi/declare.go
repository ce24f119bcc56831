package openapi

import (
	"net/http"

	"github.com/zocket/agent"
)

// Operation is what the routes table cannot say of a route: what it reads
// beyond its path, and how it answers. Its types are the handlers' own, and
// its limits their constants.
type Operation struct {
	Summary     string
	Description string
	// Body is the type of the request body, nil for none; a BodyOptional
	// body may be left out.
	Body         any
	BodyOptional bool
	// Params are the query parameters and headers the route reads, and
	// its path parameters that are not UUIDs (a path parameter not listed
	// is a UUID: anything else is a 404).
	Params []Field
	// OK are the answers that are not errors.
	OK []Answer
	// Errors are the codes the route answers with beyond those every route
	// of its kind has (see errorCodes).
	Errors []agent.Code
	// ErrorFields is a type of the fields the handler adds to the envelope
	// of the errors it writes (httpapi.ErrorWith).
	ErrorFields any
	// PreviewToken: the route also takes a preview token in ?token=.
	PreviewToken bool
}

// Answer is an answer that is not an error.
type Answer struct {
	Status      int
	Description string
	// JSON are the types of a JSON body (several: one of them).
	JSON []any
	// Events: the body may be a stream of server-sent chat events.
	Events bool
	// Media are other media types the body may be, with what each holds.
	Media map[string]string
	// Headers are names of components/headers the answer carries.
	Headers []string
}

// Field refines a field of a type (a limit of a request body's field, the
// constant of a response's) or declares a parameter (In set).
type Field struct {
	Name        string
	In          string // "query", "header" or "path" for a parameter
	Type        string // a parameter's: "string" unless said
	Description string
	Required    bool
	// MinLength and MaxLength count characters; 0 is no limit.
	MinLength, MaxLength int
	Range                *Range
	Pattern              string
	Enum                 []string
	Const                string
	Format               string
	Default              any
	// Examples are values the handler accepts (one is needed where a
	// pattern is: the limits test sends it).
	Examples []string
}

// Range bounds an integer, both ends included.
type Range struct{ Min, Max *int }

// atLeast is the range from n up.
func atLeast(n int) *Range { return &Range{Min: &n} }

// between is the range from lo to hi.
func between(lo, hi int) *Range { return &Range{Min: &lo, Max: &hi} }

// TypeFields are the refinements of one type's fields.
type TypeFields struct {
	Type   any
	Fields []Field
}

// ok is an answer of status with a JSON body of the types.
func ok(status int, types ...any) Answer {
	return Answer{Status: status, Description: http.StatusText(status), JSON: types}
}
