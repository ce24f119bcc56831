// Package contract checks what the API answers against its OpenAPI
// document (api/openapi.json) as the answers go by: Checker.Handler wraps
// any HTTP handler (the API itself, a proxy in front of a devserver, the
// local API Gateway and CloudFront of the deployed shape) and checks every
// response it passes on, unchanged and unbuffered for the client (flushes go
// through): its operation is the route its method and path match (the
// operationId is the function's name); its status must be documented for
// that operation, its media type documented for that status, its headers
// and JSON body must match their schemas (libopenapi-validator, formats
// asserted), and each event of a text/event-stream must be framed as the
// document says (id, event, one data line, `: ping`, `data: [DONE]`) and
// match the operation's event schema (ChatEvent, by its type). A request no
// route matches must be the router's 404 envelope.
//
// Every check is counted, process-wide (Totals): the test suites report how
// many responses and events they validated (WriteTally, `make test`).
//
// It is tooling: no function links it.
package contract

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/responses"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/zocket/agent/api"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/routes"
)

// Checker checks responses against one document.
type Checker struct {
	responses responses.ResponseBodyValidator
	heads     responses.ResponseBodyValidator // status and headers only, for HEAD
	schemas   schema_validation.SchemaValidator
	mux       *http.ServeMux
	ops       map[string]*operation // by ServeMux pattern
	envelope  *base.Schema          // the error envelope, of a request no route matches
	eventID   *regexp.Regexp
}

// operation is one operation of the document.
type operation struct {
	id, method, path string
	item             *v3.PathItem
	// events is the schema of each event of its text/event-stream answer,
	// nil without one; kinds are the schemas its discriminator maps each
	// type to, which say more precisely what is wrong with an event.
	events *base.Schema
	kinds  map[string]*base.Schema
}

// Default is the checker of the API's document (package api's).
var Default = sync.OnceValues(func() (*Checker, error) { return New(api.Document()) })

// New reads an OpenAPI 3.1 document.
func New(document []byte) (*Checker, error) {
	doc, err := libopenapi.NewDocument(document)
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	m := &model.Model
	opts := []config.Option{config.WithFormatAssertions()}
	v := validator.NewValidatorFromV3Model(m, opts...)
	c := &Checker{
		responses: v.GetResponseBodyValidator(),
		heads:     responses.NewResponseBodyValidator(m, append(opts, config.WithoutResponseBodyValidation())...),
		schemas:   schema_validation.NewSchemaValidator(opts...),
		mux:       http.NewServeMux(),
		ops:       map[string]*operation{},
	}
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			o := &operation{id: op.OperationId, method: strings.ToUpper(method), path: path, item: item}
			pattern := app.Pattern(routes.Function{Method: o.method, Path: path}) // as the app mounts it
			c.mux.Handle(pattern, http.NotFoundHandler())                         // only its pattern is used
			c.ops[pattern] = o
			for _, resp := range op.Responses.Codes.FromOldest() {
				if resp.Content == nil {
					continue
				}
				if mt, ok := resp.Content.Get("text/event-stream"); ok && mt.Schema != nil {
					o.events = mt.Schema.Schema()
					o.kinds = map[string]*base.Schema{}
					if d := o.events.Discriminator; d != nil && d.Mapping != nil {
						for kind, ref := range d.Mapping.FromOldest() {
							if s, ok := m.Components.Schemas.Get(strings.TrimPrefix(ref, "#/components/schemas/")); ok {
								o.kinds[kind] = s.Schema()
							}
						}
					}
				}
			}
			for _, p := range op.Parameters {
				if p.Name == "Last-Event-ID" && p.Schema != nil && p.Schema.Schema().Pattern != "" {
					if c.eventID, err = regexp.Compile(p.Schema.Schema().Pattern); err != nil {
						return nil, fmt.Errorf("the pattern of Last-Event-ID: %w", err)
					}
				}
			}
		}
	}
	env, ok := m.Components.Schemas.Get("httpapi.ErrorResponse")
	if !ok {
		return nil, fmt.Errorf("the document has no httpapi.ErrorResponse")
	}
	c.envelope = env.Schema()
	if c.eventID == nil {
		return nil, fmt.Errorf("the document has no pattern of Last-Event-ID: event ids cannot be checked")
	}
	return c, nil
}

// Mismatch is a response, or one event of a stream, that the document does
// not describe.
type Mismatch struct {
	Method, Path string // the request's
	// Operation is the operationId of the route the request matched, ""
	// when none did.
	Operation string
	Status    int
	Event     string // the event, when the mismatch is an event's
	Problems  []string
}

func (m Mismatch) String() string {
	op := m.Operation
	if op == "" {
		op = "no operation"
	}
	s := fmt.Sprintf("%s %s (%s) answered %d", m.Method, m.Path, op, m.Status)
	if m.Event != "" {
		s += fmt.Sprintf(", an event the document does not describe:\n\t%s", strings.ReplaceAll(strings.TrimSpace(m.Event), "\n", "\n\t"))
	} else {
		s += ", which the document does not describe:"
	}
	for _, p := range m.Problems {
		s += "\n\t- " + p
	}
	return s
}

// operation is the operation of r's method and path, nil for none.
func (c *Checker) operation(r *http.Request) *operation {
	probe := &http.Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: http.Header{}}
	if r.Method == http.MethodHead {
		probe.Method = http.MethodGet
	}
	_, pattern := c.mux.Handler(probe)
	return c.ops[pattern]
}

// Check checks one complete response to r (not a stream's events: see
// Handler): body is what was written, as sent (gzipped when its
// Content-Encoding says so). It returns nil when the document describes
// the response. It counts the response, unless it is the answer of a
// gateway in front of the API (see Gateway) or a CORS preflight, which the
// document does not describe and are not counted.
func (c *Checker) Check(r *http.Request, status int, header http.Header, body []byte) *Mismatch {
	return c.check(r, status, header, body, false)
}

func (c *Checker) check(r *http.Request, status int, header http.Header, body []byte, streamed bool) *Mismatch {
	if status == 0 {
		status = http.StatusOK
	}
	m := &Mismatch{Method: r.Method, Path: r.URL.Path, Status: status}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		return nil // a CORS preflight: the document describes none
	}
	if header.Get("X-Request-Id") == "" {
		if Gateway(header) {
			count(func(t *Tally) { t.Gateway++ })
			return nil
		}
		m.Problems = append(m.Problems, "no X-Request-Id: every response of the API has one")
	}
	op := c.operation(r)
	if op != nil {
		m.Operation = op.id
	}
	if header.Get("Content-Encoding") == "gzip" && len(body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			m.Problems = append(m.Problems, "Content-Encoding gzip, but the body does not gunzip: "+err.Error())
		}
	}
	switch {
	case op == nil:
		m.Problems = append(m.Problems, c.unrouted(status, header, body)...)
	default:
		resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body))}
		if streamed { // its events are checked one by one
			resp.Body = http.NoBody
		}
		v := c.responses
		if r.Method == http.MethodHead { // a GET's answer without its body
			v = c.heads
		}
		req := &http.Request{Method: op.method, URL: r.URL, Header: r.Header, Host: r.Host}
		req = req.WithContext(r.Context())
		if _, errs := v.ValidateResponseBodyWithPathItem(req, resp, op.item, op.path); len(errs) > 0 {
			m.Problems = append(m.Problems, describe(errs)...)
		}
	}
	count(func(t *Tally) {
		t.Responses++
		if m.Operation != "" {
			t.seen(m.Operation, status)
		}
		if len(m.Problems) > 0 {
			t.Mismatches++
		}
	})
	if len(m.Problems) == 0 {
		return nil
	}
	return m
}

// unrouted checks the answer to a request no route matches: the router's
// 404, in the envelope.
func (c *Checker) unrouted(status int, header http.Header, body []byte) []string {
	if status != http.StatusNotFound {
		return []string{fmt.Sprintf("no operation has this method and path, and the answer is a %d, not the router's 404", status)}
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		return []string{fmt.Sprintf("no operation has this method and path, and the answer is %q, not the JSON envelope", mt)}
	}
	var probs []string
	if ok, errs := c.schemas.ValidateSchemaBytesWithVersion(c.envelope, body, 3.1); !ok {
		probs = append(probs, describe(errs)...)
	}
	var env struct{ Code string }
	if json.Unmarshal(body, &env) == nil && env.Code != "not_found" {
		probs = append(probs, fmt.Sprintf("no operation has this method and path, and the code is %q, not not_found", env.Code))
	}
	return probs
}

// Gateway reports whether a response without X-Request-Id is the answer
// of a gateway in front of the API rather than the API's: API Gateway's
// own (its 404 of an unknown route, its 413, its 503 after 30 s), a
// Function URL's or CloudFront's. The document does not describe them.
func Gateway(h http.Header) bool {
	if h.Get("X-Request-Id") != "" {
		return false
	}
	return h.Get("Apigw-Requestid") != "" || h.Get("X-Amzn-Requestid") != "" || h.Get("X-Cache") == "Error from cloudfront"
}

// describe turns the validator's errors into one line each.
func describe(errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		line := e.Message
		if e.Reason != "" && e.Reason != e.Message {
			line += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = "/" + strings.Join(f.InstancePath, "/")
			}
			line += fmt.Sprintf("\n\t    at %s: %s (%s)", where, f.Reason, f.KeywordLocation)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Handler serves next, checking each response it writes as Check does and
// each event of an event stream as it is written; every mismatch goes to
// report (as it is found, from the request's goroutine). What next writes
// goes to the client unchanged, flushes included.
func (c *Checker) Handler(next http.Handler, report func(Mismatch)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, c: c, r: r, report: report}
		next.ServeHTTP(rec, r)
		rec.finish()
	})
}

// recorder passes a response on while keeping what the checks need: the
// status and headers as they went out, a JSON body whole, an event
// stream's events one by one.
type recorder struct {
	http.ResponseWriter
	c      *Checker
	r      *http.Request
	report func(Mismatch)

	status int
	header http.Header
	keep   bool // the body is kept for the check (JSON)
	body   bytes.Buffer
	events *events
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		w.header = w.Header().Clone()
		mt, _, _ := mime.ParseMediaType(w.header.Get("Content-Type"))
		switch {
		case mt == "text/event-stream":
			w.events = &events{c: w.c, op: w.c.operation(w.r)}
		case strings.Contains(mt, "json"):
			w.keep = true
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.events != nil:
		for _, bad := range w.events.write(p) {
			w.mismatch(bad.problems, bad.event)
		}
	case w.keep:
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// FlushError flushes, as http.ResponseController asks it to.
func (w *recorder) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush flushes, for a handler that asks for an http.Flusher.
func (w *recorder) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) mismatch(problems []string, event string) {
	m := Mismatch{Method: w.r.Method, Path: w.r.URL.Path, Status: w.status, Event: event, Problems: problems}
	if w.events != nil && w.events.op != nil {
		m.Operation = w.events.op.id
	}
	w.report(m)
}

// finish checks the response once the handler is done.
func (w *recorder) finish() {
	if w.status == 0 && w.r.Context().Err() != nil {
		return // the client left before any answer: there is none to check
	}
	header := w.header
	if header == nil {
		header = w.Header() // nothing written: the server sends a 200 with these
	}
	if m := w.c.check(w.r, w.status, header, w.body.Bytes(), w.events != nil); m != nil {
		w.report(*m)
	}
	if w.events != nil && w.r.Context().Err() == nil {
		if rest := w.events.end(); rest != nil {
			w.mismatch(rest, "")
		}
	}
}
