package localcloud

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorded is what the test reads of an event of events/ (real API Gateway
// v2 and Function URL events).
type recorded struct {
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Headers               map[string]string `json:"headers"`
	Cookies               []string          `json:"cookies"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	PathParameters        map[string]string `json:"pathParameters"`
	Body                  string            `json:"body"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
	RequestContext        struct {
		Stage string `json:"stage"`
		HTTP  struct {
			Method, Path, Protocol, SourceIP, UserAgent string
		} `json:"http"`
	} `json:"requestContext"`
}

// TestEventsLikeRecorded sends each request of events/ through the route
// matching and event building of the local HTTP API (or Function URL) and
// compares what comes out with the recorded event: the same fields, the
// same route and path parameters, the same values where they do not depend
// on the connection.
func TestEventsLikeRecorded(t *testing.T) {
	st, err := readStack(readTemplate(t), testConfig(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	api, err := newAPIFront(st.api, st.account, map[string]*pool{}, st.functions, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("events: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		if raw["version"] != "2.0" {
			continue // the build function's payload
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			var rec recorded
			if err := json.Unmarshal(data, &rec); err != nil {
				t.Fatal(err)
			}
			r := requestOf(t, rec)
			kind := eventKind{accountID: "123456789012", apiID: "abc123", routeKey: "$default", stage: "$default", requestID: urlRequestID}
			var params map[string]string
			if rec.RouteKey != "$default" {
				// A named stage is the path's first segment.
				path := r.URL.Path
				if stage := rec.RequestContext.Stage; stage != "$default" {
					path = strings.TrimPrefix(path, "/"+stage)
				}
				rt, p, ok := api.match(r.Method, path)
				if !ok {
					t.Fatalf("no route for %s %s", r.Method, path)
				}
				kind = eventKind{accountID: "123456789012", apiID: "abc123", routeKey: rt.key(), stage: rec.RequestContext.Stage, decodedPath: true, requestID: apiRequestID}
				params = p
			}
			ev := newEvent(r, bodyOf(t, rec), kind, time.Now())
			ev.PathParameters = params
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if diff := sameShape("", raw, got); diff != "" {
				t.Errorf("fields differ from the recorded event:\n%s", diff)
			}
			var built recorded
			if err := json.Unmarshal(out, &built); err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"routeKey", built.RouteKey, rec.RouteKey},
				{"rawPath", built.RawPath, rec.RawPath},
				{"rawQueryString", built.RawQueryString, rec.RawQueryString},
				{"pathParameters", fmt.Sprint(built.PathParameters), fmt.Sprint(rec.PathParameters)},
				{"queryStringParameters", fmt.Sprint(built.QueryStringParameters), fmt.Sprint(rec.QueryStringParameters)},
				{"cookies", fmt.Sprint(built.Cookies), fmt.Sprint(rec.Cookies)},
				{"body", built.Body, rec.Body},
				{"isBase64Encoded", built.IsBase64Encoded, rec.IsBase64Encoded},
				{"http", fmt.Sprint(built.RequestContext.HTTP), fmt.Sprint(rec.RequestContext.HTTP)},
				{"requestContext", fmt.Sprint(got["requestContext"].(map[string]any)["domainName"]), rec.Headers["host"]},
			}
			for _, c := range checks {
				if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			for k, v := range rec.Headers {
				if k == "x-forwarded-port" || k == "x-forwarded-proto" {
					continue // the local stack is plain http on a port of its own
				}
				if built.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, built.Headers[k], v)
				}
			}
			for k := range built.Headers {
				if _, ok := rec.Headers[k]; !ok && k != "x-amzn-trace-id" && k != "content-length" {
					t.Errorf("header %s is not in the recorded event", k)
				}
			}
		})
	}
}

// requestOf is the HTTP request an event records.
func requestOf(t *testing.T, rec recorded) *http.Request {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: rec.Headers["host"], Path: rec.RequestContext.HTTP.Path, RawQuery: rec.RawQueryString}
	r, err := http.NewRequest(rec.RequestContext.HTTP.Method, u.String(), bytes.NewReader(bodyOf(t, rec)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rec.Headers {
		switch k {
		case "host", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto":
		default:
			r.Header.Set(k, v)
		}
	}
	if len(rec.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(rec.Cookies, "; "))
	}
	r.Host = rec.Headers["host"]
	r.RemoteAddr = rec.RequestContext.HTTP.SourceIP + ":54321"
	r.Proto = rec.RequestContext.HTTP.Protocol
	return r
}

func bodyOf(t *testing.T, rec recorded) []byte {
	t.Helper()
	if !rec.IsBase64Encoded {
		return []byte(rec.Body)
	}
	b, err := base64.StdEncoding.DecodeString(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameShape reports the fields one of want and got has and the other does
// not, recursively through objects (headers and parameters excepted: their
// keys are data).
func sameShape(path string, want, got any) string {
	wm, ok1 := want.(map[string]any)
	gm, ok2 := got.(map[string]any)
	if !ok1 || !ok2 {
		if ok1 != ok2 {
			return fmt.Sprintf("%s: %T, want %T\n", path, got, want)
		}
		return ""
	}
	switch path {
	case ".headers", ".pathParameters", ".queryStringParameters":
		return ""
	}
	var keys []string
	for k := range wm {
		keys = append(keys, k)
	}
	for k := range gm {
		if _, ok := wm[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diff strings.Builder
	for _, k := range keys {
		w, inW := wm[k]
		g, inG := gm[k]
		switch {
		case !inG:
			fmt.Fprintf(&diff, "%s.%s: missing\n", path, k)
		case !inW:
			fmt.Fprintf(&diff, "%s.%s: not in the recorded event\n", path, k)
		default:
			diff.WriteString(sameShape(path+"."+k, w, g))
		}
	}
	return diff.String()
}
