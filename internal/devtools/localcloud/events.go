package localcloud

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// httpEvent is an HTTP request as API Gateway's HTTP API (payload format
// 2.0) and Lambda Function URLs send it to a function: the fields and their
// order as in the events of events/.
type httpEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        eventContext      `json:"requestContext"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type eventContext struct {
	AccountID    string    `json:"accountId"`
	APIID        string    `json:"apiId"`
	DomainName   string    `json:"domainName"`
	DomainPrefix string    `json:"domainPrefix"`
	HTTP         eventHTTP `json:"http"`
	RequestID    string    `json:"requestId"`
	RouteKey     string    `json:"routeKey"`
	Stage        string    `json:"stage"`
	Time         string    `json:"time"`
	TimeEpoch    int64     `json:"timeEpoch"`
}

type eventHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventKind is what differs between the two services' events.
type eventKind struct {
	accountID, apiID string
	routeKey, stage  string
	// decodedPath: API Gateway's HTTP API sends the path decoded (rawPath
	// included), Function URLs as the client encoded it.
	decodedPath bool
	requestID   func() string
}

// newEvent is r, with body, as the service of kind sends it to a function.
// The event's domainName is the host the client used, with its port (a
// local address has one; AWS domains never do).
func newEvent(r *http.Request, body []byte, kind eventKind, now time.Time) httpEvent {
	p := r.URL.EscapedPath()
	if kind.decodedPath {
		p = r.URL.Path
	}
	ev := httpEvent{
		Version: "2.0", RouteKey: kind.routeKey, RawPath: p, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{},
		RequestContext: eventContext{
			AccountID: kind.accountID, APIID: kind.apiID,
			DomainName: r.Host, DomainPrefix: strings.SplitN(hostOnly(r.Host), ".", 2)[0],
			HTTP: eventHTTP{
				Method: r.Method, Path: p, Protocol: r.Proto,
				SourceIP: hostOnly(r.RemoteAddr), UserAgent: r.UserAgent(),
			},
			RequestID: kind.requestID(), RouteKey: kind.routeKey, Stage: kind.stage,
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
		},
	}
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[k] = strings.Join(vs, ",")
	}
	ev.Headers["host"] = r.Host
	// What the service adds: the client's address, the port and protocol it
	// used (http: the local stack has no TLS), a trace id.
	client := hostOnly(r.RemoteAddr)
	if prior := ev.Headers["x-forwarded-for"]; prior != "" {
		ev.Headers["x-forwarded-for"] = prior + ", " + client
	} else {
		ev.Headers["x-forwarded-for"] = client
	}
	ev.Headers["x-forwarded-port"] = portOf(r)
	ev.Headers["x-forwarded-proto"] = "http"
	ev.Headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), randomHex(12))
	if len(body) > 0 {
		ev.Headers["content-length"] = strconv.Itoa(len(body))
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// isText reports whether a body is sent as text rather than base64: valid
// UTF-8 of a textual media type (or of none).
func isText(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded", mt == "application/graphql":
		return true
	}
	return false
}

// apiRequestID is an id shaped like API Gateway's ("JKJaXmPLvHcESHA=").
func apiRequestID() string {
	b := make([]byte, 10)
	rand.Read(b) // never fails since Go 1.24
	return base64.StdEncoding.EncodeToString(b)
}

func urlRequestID() string { return uuid.NewString() }

// hostOnly is the host of a host[:port].
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// portOf is the port the client reached r's server on.
func portOf(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			return p
		}
	}
	return "80"
}

// httpResponse is a function's answer to an HTTP event.
type httpResponse struct {
	status int
	header http.Header
	body   []byte
}

// decodeResponse reads a function's buffered answer as API Gateway (payload
// format 2.0) and buffered Function URLs do: a JSON object with statusCode
// is a structured response; any other JSON is a 200 application/json body.
// Format 2.0 has no multiValueHeaders: a response that sets them loses
// them, in AWS as here.
func decodeResponse(payload []byte) (httpResponse, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) == nil {
		if _, ok := probe["statusCode"]; ok {
			var out struct {
				StatusCode      int               `json:"statusCode"`
				Headers         map[string]string `json:"headers"`
				Cookies         []string          `json:"cookies"`
				Body            string            `json:"body"`
				IsBase64Encoded bool              `json:"isBase64Encoded"`
			}
			if err := json.Unmarshal(payload, &out); err != nil {
				return httpResponse{}, fmt.Errorf("malformed response: %w", err)
			}
			if out.StatusCode < 100 || out.StatusCode > 599 {
				return httpResponse{}, fmt.Errorf("malformed response: statusCode %d", out.StatusCode)
			}
			res := httpResponse{status: out.StatusCode, header: http.Header{}, body: []byte(out.Body)}
			for k, v := range out.Headers {
				res.header.Set(k, v)
			}
			for _, c := range out.Cookies {
				res.header.Add("Set-Cookie", c)
			}
			if out.IsBase64Encoded {
				var err error
				if res.body, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
					return httpResponse{}, fmt.Errorf("malformed response: body: %w", err)
				}
			}
			return res, nil
		}
	}
	if !json.Valid(bytes.TrimSpace(payload)) {
		return httpResponse{}, fmt.Errorf("malformed response: neither JSON nor a structured response: %.200q", payload)
	}
	return httpResponse{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: payload}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
