// Package faults puts the failures AWS really has in front of the local
// stand-ins: a request throttled, a request failed with a 500, a request
// delayed, a write applied whose answer is then lost (the SDK sends it
// again), and a Lambda invocation that timed out. An Injector
// wraps each local service's handler (the Wrap hook of localaws and
// localcloud, or a proxy of its own in a test), asks its Policy what to do
// with each request, and counts what it injected, by service, operation
// and fault, for the run's report.
package faults

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault is what happens to one request.
type Fault string

// The faults an Injector knows.
const (
	// None passes the request on.
	None Fault = ""
	// Throttle refuses the request as the service does when it sheds load
	// (DynamoDB: 400 ThrottlingException; S3: 503 SlowDown).
	Throttle Fault = "throttle"
	// ServerError refuses the request with a 500, applying nothing.
	ServerError Fault = "500"
	// LoseAnswer applies the request, then answers 500 instead: the
	// caller cannot tell it from ServerError, and its retry finds the
	// write done.
	LoseAnswer Fault = "lost answer"
	// Delay holds the request for the Injector's Delay, then passes it
	// on: a slow call.
	Delay Fault = "delay"
	// Timeout answers an invocation as Lambda does when its function ran
	// out of time (a function error, Sandbox.Timedout), after the
	// Injector's Delay; to other services it is a Delay, then a 500.
	Timeout Fault = "timeout"
)

// DefaultDelay is the Delay of an Injector that does not set one.
const DefaultDelay = 200 * time.Millisecond

// Request is what a Policy decides on.
type Request struct {
	Service   string // as localaws names it: "dynamodb", "s3", "ssm", "lambda"
	Operation string // the API's name, e.g. "PutItem", "TransactWriteItems", "GetObject"
}

// Policy decides the fault of one request.
type Policy func(Request) Fault

// Injector injects its Policy's faults and counts them.
type Injector struct {
	Policy Policy
	// Delay is how long Delay and Timeout hold a request (default
	// DefaultDelay).
	Delay time.Duration

	mu     sync.Mutex
	counts map[Count]int
}

// Count names a fault injected into one operation of a service.
type Count struct {
	Service, Operation string
	Fault              Fault
}

// Wrap puts the injector in front of h, the handler of service.
func (in *Injector) Wrap(service string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Service: service, Operation: Operation(service, r)}
		f := None
		if in.Policy != nil {
			f = in.Policy(req)
		}
		if f == None {
			h.ServeHTTP(w, r)
			return
		}
		in.count(Count{req.Service, req.Operation, f})
		switch f {
		case LoseAnswer:
			h.ServeHTTP(httptest.NewRecorder(), r)
			refuse(w, service, ServerError)
		case Delay:
			in.wait(r)
			h.ServeHTTP(w, r)
		case Timeout:
			in.wait(r)
			if service != "lambda" {
				refuse(w, service, ServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			fmt.Fprint(w, `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 60.00 seconds"}`)
		default:
			refuse(w, service, f)
		}
	})
}

// wait holds r for the Injector's Delay, or until its client is gone.
func (in *Injector) wait(r *http.Request) {
	d := cmp.Or(in.Delay, DefaultDelay)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func (in *Injector) count(c Count) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.counts == nil {
		in.counts = map[Count]int{}
	}
	in.counts[c]++
}

// Counts returns what was injected so far.
func (in *Injector) Counts() map[Count]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return maps.Clone(in.counts)
}

// Report is the injected counts as lines, "service operation fault: n",
// sorted.
func (in *Injector) Report() []string {
	var out []string
	for c, n := range in.Counts() {
		out = append(out, fmt.Sprintf("%s %s %s: %d", c.Service, c.Operation, c.Fault, n))
	}
	slices.Sort(out)
	return out
}

// refuse answers as service does for fault f.
func refuse(w http.ResponseWriter, service string, f Fault) {
	switch service {
	case "dynamodb":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if f == Throttle {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`)
	case "s3":
		w.Header().Set("Content-Type", "application/xml")
		if f == Throttle {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
	default:
		w.Header().Set("Content-Type", "application/json")
		if f == Throttle {
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Rate exceeded"}`)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"message":"Service error"}`)
	}
}

// Operation names the API operation of r, a request to service: DynamoDB's
// and SSM's from X-Amz-Target, Lambda's Invoke by its path, S3's from the
// method, the key and the query.
func Operation(service string, r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return op
	}
	switch service {
	case "lambda":
		if strings.HasSuffix(r.URL.Path, "/invocations") {
			return "Invoke"
		}
	case "s3":
		return s3Operation(r)
	}
	return r.Method
}

func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	key := strings.Count(strings.Trim(r.URL.Path, "/"), "/") > 0
	switch {
	case q.Has("uploads"):
		return "CreateMultipartUpload"
	case q.Has("uploadId") && r.Method == http.MethodPut:
		return "UploadPart"
	case q.Has("uploadId") && r.Method == http.MethodPost:
		return "CompleteMultipartUpload"
	case q.Has("uploadId") && r.Method == http.MethodDelete:
		return "AbortMultipartUpload"
	case q.Has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodPut && key:
		return "PutObject"
	case r.Method == http.MethodGet && key:
		return "GetObject"
	case r.Method == http.MethodHead && key:
		return "HeadObject"
	case r.Method == http.MethodDelete && key:
		return "DeleteObject"
	case r.Method == http.MethodGet:
		return "ListObjectsV2"
	}
	return r.Method
}

// Writes are the DynamoDB operations that change the table.
var Writes = []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

// Random injects faults at random, reproducibly from seed: each request of
// an operation that only accepts (nil: every one) gets fault f with
// probability rates[f], the rates taken in a fixed order.
func Random(seed uint64, rates map[Fault]float64, only func(Request) bool) Policy {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	order := slices.Sorted(maps.Keys(rates))
	return func(r Request) Fault {
		if only != nil && !only(r) {
			return None
		}
		mu.Lock()
		x := rng.Float64()
		mu.Unlock()
		for _, f := range order {
			if x < rates[f] {
				return f
			}
			x -= rates[f]
		}
		return None
	}
}
