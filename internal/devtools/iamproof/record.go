package iamproof

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Call is one IAM authorization a request to AWS needs: an action on a
// resource, by a function. One request may need several (each item of a
// transaction, each key of a DeleteObjects).
type Call struct {
	Function  string // the caller's function; empty when the caller is unknown
	Operation string // the API operation that needs it, as the service names it
	Action    string // the IAM action, "dynamodb:PutItem"
	Resource  string // the ARN the action is on
	// Problem says why the call cannot be checked (an unknown caller, an
	// operation the recorder does not understand); empty when it can.
	Problem string
}

// Service is an AWS service the recorder understands.
type Service string

// The services a Recorder can stand in front of.
const (
	DynamoDB Service = "dynamodb" // JSON 1.0, X-Amz-Target DynamoDB_20120810.<Op>
	S3       Service = "s3"       // REST, path-style /<bucket>/<key>
	Lambda   Service = "lambda"   // REST, Invoke and InvokeWithResponseStream
	SSM      Service = "ssm"      // JSON 1.1, X-Amz-Target AmazonSSM.<Op>
)

// Recorder records the IAM authorizations that requests forwarded to local
// stand-ins of AWS would need in the deployed stack.
type Recorder struct {
	account Account
	callers map[string]string

	mu    sync.Mutex
	calls []Call
}

// NewRecorder returns a recorder naming resources in account and callers
// by callers, which maps each SigV4 access key ID to a function's logical
// ID (as Policies are keyed).
func NewRecorder(account Account, callers map[string]string) *Recorder {
	return &Recorder{account: account, callers: callers}
}

// Proxy returns a handler that records each request to service, then
// forwards it unchanged to target (its Host header included) and streams
// the response back as it arrives.
//
// An S3 read of a missing key is also recorded as needing s3:ListBucket on
// the bucket: S3 answers 404 only to a caller allowed to list it, and 403
// to others, so code that handles NoSuchKey needs that grant deployed.
func (r *Recorder) Proxy(service Service, target *url.URL) http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		// Event streams and answers of unknown length go through as they
		// come (ReverseProxy flushes them at once); others are sent whole,
		// in as few packets as the stand-in sent them.
		ModifyResponse: func(resp *http.Response) error {
			if read, ok := resp.Request.Context().Value(objectRead{}).(Call); ok && resp.StatusCode == http.StatusNotFound {
				r.add(read)
			}
			return nil
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		proxy.ServeHTTP(w, r.record(service, req))
	})
}

// objectRead is the context key of the s3:ListBucket call an S3 read needs
// when its key is missing.
type objectRead struct{}

// record records what req needs and returns it, carrying an objectRead
// when it reads an S3 object.
func (r *Recorder) record(service Service, req *http.Request) *http.Request {
	read, ok := readers[service]
	if !ok {
		read = func(Account, *http.Request) ([]authorization, string, error) {
			return nil, string(service), fmt.Errorf("service %q is not understood", service)
		}
	}
	auths, op, err := read(r.account, req)
	fn, problem := r.caller(req)
	if err != nil {
		auths = []authorization{{}}
		if problem != "" {
			problem += "; "
		}
		problem += err.Error()
	}
	for _, a := range auths {
		r.add(Call{Function: fn, Operation: op, Action: a.action, Resource: a.resource, Problem: problem})
	}
	if service == S3 && err == nil && auths[0].action == "s3:GetObject" {
		bucket, _, _ := strings.Cut(auths[0].resource, "/")
		list := Call{Function: fn, Operation: op + " of a missing key", Action: "s3:ListBucket", Resource: bucket, Problem: problem}
		req = req.WithContext(context.WithValue(req.Context(), objectRead{}, list))
	}
	return req
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// caller is the function whose access key signed req: from the
// Authorization header, or a presigned URL's X-Amz-Credential.
func (r *Recorder) caller(req *http.Request) (function, problem string) {
	cred := req.URL.Query().Get("X-Amz-Credential")
	if _, after, ok := strings.Cut(req.Header.Get("Authorization"), "Credential="); ok {
		cred = after
	}
	key, _, _ := strings.Cut(cred, "/")
	if key == "" {
		return "", "unsigned request"
	}
	if fn, ok := r.callers[key]; ok {
		return fn, ""
	}
	return "", fmt.Sprintf("unknown access key id %q", key)
}

// Calls returns the calls recorded so far, in the order they were recorded.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Take returns the calls recorded so far and forgets them.
func (r *Recorder) Take() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// authorization is an action on a resource.
type authorization struct{ action, resource string }

// readers read what a request to each service needs, and the name of its
// operation (or, when the request is not understood, what it looked like).
var readers = map[Service]func(Account, *http.Request) ([]authorization, string, error){
	DynamoDB: dynamoDB, S3: s3, Lambda: lambda, SSM: ssm,
}
