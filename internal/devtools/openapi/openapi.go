// Package openapi generates the API's OpenAPI 3.1 document (api/openapi.json,
// `make openapi`) from one source: the routes table gives every operation
// (its operationId is the function's name; its method, path, path
// parameters and whether it needs a token), the handlers' own request and
// response types give every schema (reflected by invopop/jsonschema, one
// component per Go type, named after it), and Operations and Fields, beside
// the generator, declare once what neither holds, referring to the
// handlers' constants: query parameters and headers with their limits, the
// answers per status, the error codes a route adds to those of its kind
// (httpapi.Status groups them by status), the limits of request fields.
// Chat events are named schemas of their own (ChatEvent, one of
// MetadataEvent, ChunkEvent, CompleteEvent and ErrorEvent by type).
//
// It is tooling: no Lambda links it; package api embeds what it wrote.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/chat"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/routes"
)

// Version is the document's info.version: the contract's, moved on by a
// change clients must know of.
const Version = "1.0.0"

const description = `The backend of an AI coding agent: chat with a model whose replies stream as server-sent events, code in replies kept as versioned artifacts, built into sandboxed previews.

Every request and response body is JSON (UTF-8, camelCase) unless an operation says otherwise; request bodies are at most 1 MiB, and fields a body does not list are refused with 400. Every error is the envelope httpapi.ErrorResponse: message is always there and is the sentence to show; code is machine-readable, and each status lists the codes it stands for. Every response carries X-Request-Id. Browsers may call from CORS_ORIGINS (preflight answered).

Authentication: Authorization: Bearer <JWT> (the user token that register and login answer). The preview routes also take a token in ?token=, as an iframe cannot send a header.

The chat routes stream from a Function URL behind the same URL (CloudFront sends /api/chat/* and /api/artifacts/*/fix there); behind API Gateway alone they answer the same events in one buffered body.`

// Generate returns the document, indented, with a final newline.
func Generate() (out []byte, err error) {
	defer func() {
		// The reflector's callbacks report a misdeclared type by panicking.
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	g := &generator{schemas: newSchemas()}
	doc, err := g.document()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type generator struct {
	schemas *schemas
	tags    []string
}

func (g *generator) document() (*document, error) {
	doc := &document{
		OpenAPI:           "3.1.0",
		Info:              info{Title: "AI coding agent API", Version: Version, Description: description},
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Paths:             orderedmap.New[string, *pathItem](),
	}
	seen := map[string]bool{}
	for _, f := range routes.All() {
		if f.Path == "" {
			continue
		}
		seen[f.Name] = true
		op, err := g.operation(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		p, ok := doc.Paths.Get(f.Path)
		if !ok {
			p = &pathItem{}
			doc.Paths.Set(f.Path, p)
		}
		slot := map[string]**operation{http.MethodGet: &p.Get, http.MethodPut: &p.Put, http.MethodPost: &p.Post, http.MethodDelete: &p.Delete}[f.Method]
		if slot == nil || *slot != nil {
			return nil, fmt.Errorf("%s: method %s of %s taken or not written", f.Name, f.Method, f.Path)
		}
		*slot = op
	}
	for name := range Operations {
		if !seen[name] {
			return nil, fmt.Errorf("operation %s: the routes table has no route of that name", name)
		}
	}
	if err := g.refine(); err != nil {
		return nil, err
	}
	for _, t := range g.tags {
		doc.Tags = append(doc.Tags, tag{Name: t})
	}
	doc.Components = components{Schemas: g.schemas.components, Headers: headers, SecuritySchemes: securitySchemes}
	return doc, nil
}

// refine applies Fields to the components of their types.
func (g *generator) refine() error {
	for _, tf := range Fields {
		c, err := g.schemas.Component(tf.Type)
		if err != nil {
			return err
		}
		for _, f := range tf.Fields {
			p, err := g.schemas.Property(tf.Type, f.Name)
			if err != nil {
				return err
			}
			if err := constrain(p, f); err != nil {
				return fmt.Errorf("%T.%s: %w", tf.Type, f.Name, err)
			}
			if f.Required {
				c.Required = append(c.Required, f.Name)
			}
		}
	}
	return nil
}

// constrain puts f's limits on s.
func constrain(s *jsonschema.Schema, f Field) error {
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return err
		}
	}
	if (f.MinLength > 0 || f.MaxLength > 0 || f.Pattern != "" || f.Format != "") && s.Type != "string" {
		return fmt.Errorf("a length, pattern or format on a %q", s.Type)
	}
	if f.Range != nil && s.Type != "integer" {
		return fmt.Errorf("a range on a %q", s.Type)
	}
	if f.MinLength > 0 {
		n := uint64(f.MinLength)
		s.MinLength = &n
	}
	if f.MaxLength > 0 {
		n := uint64(f.MaxLength)
		s.MaxLength = &n
	}
	if r := f.Range; r != nil {
		if r.Min != nil {
			s.Minimum = json.Number(strconv.Itoa(*r.Min))
		}
		if r.Max != nil {
			s.Maximum = json.Number(strconv.Itoa(*r.Max))
		}
	}
	s.Pattern, s.Format, s.Description, s.Default = f.Pattern, f.Format, f.Description, f.Default
	for _, v := range f.Enum {
		s.Enum = append(s.Enum, v)
	}
	if f.Const != "" {
		s.Const = f.Const
	}
	for _, v := range f.Examples {
		s.Examples = append(s.Examples, v)
	}
	return nil
}

// operation is f's operation.
func (g *generator) operation(f routes.Function) (*operation, error) {
	decl, ok := Operations[f.Name]
	if !ok {
		return nil, fmt.Errorf("no operation declared (add it to Operations)")
	}
	tagName, _, _ := strings.Cut(f.Name, "-")
	if !slices.Contains(g.tags, tagName) {
		g.tags = append(g.tags, tagName)
	}
	op := &operation{OperationID: f.Name, Summary: decl.Summary, Description: decl.Description, Tags: []string{tagName}, Responses: map[string]*response{}}
	if f.Auth {
		op.Security = []map[string][]string{{"bearerAuth": {}}}
	}
	if decl.PreviewToken {
		op.Security = []map[string][]string{{"bearerAuth": {}}, {"previewToken": {}}}
	}
	params, err := g.parameters(f, decl)
	if err != nil {
		return nil, err
	}
	op.Parameters = params
	if decl.Body != nil {
		op.RequestBody = &requestBody{Required: !decl.BodyOptional, Content: map[string]mediaType{
			"application/json": {Schema: g.schemas.Ref(decl.Body, true)},
		}}
	}
	for _, a := range decl.OK {
		op.Responses[strconv.Itoa(a.Status)] = g.answer(a)
	}
	for status, codes := range errorCodes(f, decl) {
		key := strconv.Itoa(status)
		if _, taken := op.Responses[key]; taken {
			return nil, fmt.Errorf("status %d is both an answer and an error", status)
		}
		op.Responses[key] = g.errorResponse(status, codes, decl)
	}
	return op, nil
}

// pathParam matches the parameters of a route's path.
var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func (g *generator) parameters(f routes.Function, decl Operation) ([]parameter, error) {
	var out []parameter
	declared := map[string]Field{}
	for _, p := range decl.Params {
		declared[p.In+" "+p.Name] = p
	}
	for _, m := range pathParam.FindAllStringSubmatch(f.Path, -1) {
		name := m[1]
		p, ok := declared["path "+name]
		if !ok {
			p = Field{Name: name, In: "path", Format: "uuid", Description: "A UUID; anything else is a 404."}
		}
		delete(declared, "path "+name)
		p.Required = true
		param, err := g.parameter(p)
		if err != nil {
			return nil, err
		}
		out = append(out, param)
	}
	for _, p := range decl.Params {
		if p.In == "path" {
			if _, left := declared["path "+p.Name]; left {
				return nil, fmt.Errorf("path parameter %s is not in %s", p.Name, f.Path)
			}
			continue
		}
		param, err := g.parameter(p)
		if err != nil {
			return nil, err
		}
		out = append(out, param)
	}
	return out, nil
}

func (g *generator) parameter(f Field) (parameter, error) {
	if f.In != "query" && f.In != "header" && f.In != "path" {
		return parameter{}, fmt.Errorf("parameter %s is in %q", f.Name, f.In)
	}
	s := &jsonschema.Schema{Type: f.Type}
	if s.Type == "" {
		s.Type = "string"
	}
	desc := f.Description
	f.Description = ""
	if err := constrain(s, f); err != nil {
		return parameter{}, fmt.Errorf("parameter %s: %w", f.Name, err)
	}
	return parameter{Name: f.Name, In: f.In, Description: desc, Required: f.Required, Schema: s}, nil
}

// answer is the response of a.
func (g *generator) answer(a Answer) *response {
	r := &response{Description: a.Description, Headers: headerRefs(a.Headers)}
	if len(a.JSON)+len(a.Media) > 0 || a.Events {
		r.Content = map[string]mediaType{}
	}
	switch len(a.JSON) {
	case 0:
	case 1:
		r.Content["application/json"] = mediaType{Schema: g.schemas.Ref(a.JSON[0], false)}
	default:
		one := &jsonschema.Schema{}
		for _, t := range a.JSON {
			one.OneOf = append(one.OneOf, g.schemas.Ref(t, false))
		}
		r.Content["application/json"] = mediaType{Schema: one}
	}
	for media, desc := range a.Media {
		s := &jsonschema.Schema{Type: "string", Description: desc}
		if media == "application/json" {
			s = &jsonschema.Schema{Type: "object", Description: desc}
		}
		r.Content[media] = mediaType{Schema: s}
	}
	if a.Events {
		r.Content["text/event-stream"] = mediaType{Schema: g.events()}
	}
	return r
}

// errorCodes are the codes f answers with, by status: those of every route
// (internal), of a route behind a token (unauthorized), of a route with a
// body (invalid_json, validation_error, payload_too_large), with
// parameters (validation_error), with a UUID in its path (not_found), of a
// function that calls AWS (unavailable), and the operation's own.
func errorCodes(f routes.Function, decl Operation) map[int][]agent.Code {
	codes := []agent.Code{agent.Internal}
	if f.Auth || decl.PreviewToken {
		codes = append(codes, agent.Unauthorized)
	}
	if decl.Body != nil {
		codes = append(codes, agent.InvalidJSON, agent.Invalid, agent.TooLarge)
	}
	for _, p := range decl.Params {
		if p.In != "path" && limited(p) {
			codes = append(codes, agent.Invalid)
		}
		if p.In == "path" {
			codes = append(codes, agent.Invalid)
		}
	}
	if strings.Contains(f.Path, "{") {
		codes = append(codes, agent.NotFound)
	}
	// A function that calls AWS (any grant) answers 503 when a call fails
	// after the SDK's retries (settings.LoadAWS's middleware), unless the
	// operation answers 503 itself (health, degraded).
	if len(f.Grants) > 0 && !slices.ContainsFunc(decl.OK, func(a Answer) bool { return a.Status == http.StatusServiceUnavailable }) {
		codes = append(codes, agent.Unavailable)
	}
	codes = append(codes, decl.Errors...)
	out := map[int][]agent.Code{}
	for _, c := range codes {
		s := httpapi.Status(c)
		if !slices.Contains(out[s], c) {
			out[s] = append(out[s], c)
		}
	}
	for _, cs := range out {
		slices.Sort(cs)
	}
	return out
}

// limited reports whether a parameter has a limit the handler checks.
func limited(f Field) bool {
	return f.MinLength > 0 || f.MaxLength > 0 || f.Range != nil || f.Pattern != "" || len(f.Enum) > 0 || f.Format != ""
}

// errorResponse is the error envelope of codes, which httpapi.Status maps
// to status.
func (g *generator) errorResponse(status int, codes []agent.Code, decl Operation) *response {
	names := make([]string, len(codes))
	enum := make([]any, len(codes))
	for i, c := range codes {
		names[i], enum[i] = string(c), string(c)
	}
	s := &jsonschema.Schema{AllOf: []*jsonschema.Schema{
		g.schemas.Ref(httpapi.ErrorResponse{}, false),
		{Properties: jsonschema.NewProperties()},
	}}
	s.AllOf[1].Properties.Set("code", &jsonschema.Schema{Enum: enum})
	// The route's own fields are on what its handler writes, not on the
	// 401 of the token check in front of it.
	if decl.ErrorFields != nil && status != http.StatusUnauthorized {
		s.AllOf = append(s.AllOf, g.schemas.Ref(decl.ErrorFields, false))
	}
	desc := http.StatusText(status) + ": " + strings.Join(names, ", ") + "."
	if slices.Contains(codes, agent.CreditsExhausted) {
		desc += " The message of credits_exhausted begins \"" + creditsSentence() + "\""
	}
	if slices.Contains(codes, agent.Unavailable) {
		desc += " An AWS call failed after the SDK's retries (a throttle, a 5xx, a connection error): try again after Retry-After."
	}
	r := &response{Description: desc, Content: map[string]mediaType{"application/json": {Schema: s}}}
	if decl.PreviewToken {
		r.Content["text/html"] = mediaType{Schema: &jsonschema.Schema{Type: "string", Description: "A small page saying what went wrong, to a client that accepts text/html (an iframe)."}}
	}
	var hs []string
	if slices.Contains(codes, agent.RateLimited) || slices.Contains(codes, agent.Unavailable) {
		hs = append(hs, "Retry-After")
	}
	r.Headers = headerRefs(hs)
	return r
}

// events is the schema of a chat stream's events, added once.
func (g *generator) events() *jsonschema.Schema {
	const name = "ChatEvent"
	if _, ok := g.schemas.components[name]; ok {
		return &jsonschema.Schema{Ref: componentPrefix + name}
	}
	kinds := []struct {
		event, component, desc string
		data                   []any
	}{
		{chat.EventMetadata, "MetadataEvent", "The first event: the conversation (keep its id for the next message), the reply's message id and the title.", []any{chat.Metadata{}}},
		{chat.EventChunk, "ChunkEvent", "Reply text as the model writes it (no type), or an artifact once saved, its build, or code that could not be saved (by type).", []any{chat.TextChunk{}, chat.ArtifactChunk{}, chat.BuildChunk{}, chat.ArtifactErrorChunk{}}},
		{chat.EventComplete, "CompleteEvent", "The last event of a reply that was saved: completed, or stopped.", []any{chat.Complete{}}},
		{chat.EventError, "ErrorEvent", "The last event of a reply that failed (what it wrote is saved), or of a stream whose session ended (that one has no id).", []any{chat.StreamError{}}},
	}
	all := &jsonschema.Schema{Extras: map[string]any{}}
	mapping := map[string]string{}
	for _, k := range kinds {
		data := g.schemas.Ref(k.data[0], false)
		if len(k.data) > 1 {
			data = &jsonschema.Schema{}
			for _, d := range k.data {
				data.OneOf = append(data.OneOf, g.schemas.Ref(d, false))
			}
		}
		props := jsonschema.NewProperties()
		props.Set("type", &jsonschema.Schema{Type: "string", Const: k.event})
		props.Set("data", data)
		r := g.schemas.Named(k.component, &jsonschema.Schema{Type: "object", Description: k.desc, Properties: props, Required: []string{"type", "data"}})
		all.OneOf = append(all.OneOf, r)
		mapping[k.event] = r.Ref
	}
	all.Extras["discriminator"] = map[string]any{"propertyName": "type", "mapping": mapping}
	all.Description = "One event of a chat stream. Each is written at once, flushed, as\n\n" +
		"    id: <offset.n>\n    event: <type>\n    data: <this object, compact JSON on one line>\n\n" +
		"then a blank line. The id (" + chat.EventIDPattern + ") is the event's place: offset is the bytes of reply text sent up to and including it, n its rank among the events since that text. " +
		"Ids grow with every event; send the last one seen as Last-Event-ID to GET /api/chat/stream/{messageId} to resume. " +
		"A comment `: ping` goes out every 15 s while the model is silent, and the stream ends with the line `data: [DONE]`."
	return g.schemas.Named(name, all)
}

// headers are the response headers the document names.
var headers = map[string]header{
	"X-Request-Id":        {Description: "The request's id, which the logs carry: quote it to support.", Schema: &jsonschema.Schema{Type: "string"}},
	"Retry-After":         {Description: "Seconds to wait before trying again.", Schema: &jsonschema.Schema{Type: "integer"}},
	"ETag":                {Description: "A strong validator of the body (a hash of it): send it back as If-None-Match.", Schema: &jsonschema.Schema{Type: "string"}},
	"Cache-Control":       {Description: "How long the body may be reused.", Schema: &jsonschema.Schema{Type: "string"}},
	"Location":            {Description: "Where the answer is.", Schema: &jsonschema.Schema{Type: "string"}},
	"Content-Disposition": {Description: "attachment, with the file's name.", Schema: &jsonschema.Schema{Type: "string"}},
}

// headerRefs refers to the headers named, and to X-Request-Id, which
// every response has.
func headerRefs(names []string) map[string]ref {
	out := map[string]ref{"X-Request-Id": {Ref: "#/components/headers/X-Request-Id"}}
	for _, n := range names {
		if _, ok := headers[n]; !ok {
			panic(fmt.Errorf("no header %s in the document", n))
		}
		out[n] = ref{Ref: "#/components/headers/" + n}
	}
	return out
}

var securitySchemes = map[string]securityScheme{
	"bearerAuth": {Type: "http", Scheme: "bearer", BearerFormat: "JWT",
		Description: "The user token (HS256) of register, login, refresh or a password change: `Authorization: Bearer <token>`."},
	"previewToken": {Type: "apiKey", In: "query", Name: "token",
		Description: "On the preview routes: the short-lived token of one artifact that previewUrl carries, or the user token (answered with 303 to a preview token)."},
}
