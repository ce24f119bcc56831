package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// integrationTimeout is the longest an HTTP API waits for a Lambda
// integration (30 s, the maximum): a function that runs longer keeps
// running, and the client gets a 503.
const integrationTimeout = 30 * time.Second

// maxAPIBody is the HTTP API's limit on a request body.
const maxAPIBody = 10 << 20

// apiFront is the HTTP API: the template's HttpApi routes, each to its
// function, with payload format 2.0 events and the API's CORS configuration.
type apiFront struct {
	spec    *apiSpec
	account string
	routes  []apiRoute
	timeout time.Duration
	logf    func(format string, args ...any)
	now     func() time.Time
}

type apiRoute struct {
	route
	segs []string
	pool *pool
}

func newAPIFront(spec *apiSpec, account string, pools map[string]*pool, fns []*function, logf func(string, ...any)) (*apiFront, error) {
	a := &apiFront{spec: spec, account: account, timeout: integrationTimeout, logf: logf, now: time.Now}
	seen := map[string]string{}
	for _, fn := range fns {
		for _, rt := range fn.routes {
			if other, ok := seen[rt.key()]; ok {
				return nil, fmt.Errorf("route %s: functions %s and %s both serve it", rt.key(), other, fn.logicalID)
			}
			seen[rt.key()] = fn.logicalID
			if rt.path != "$default" && !strings.HasPrefix(rt.path, "/") {
				return nil, fmt.Errorf("route %s of %s: a path starts with /", rt.key(), fn.logicalID)
			}
			a.routes = append(a.routes, apiRoute{route: rt, segs: strings.Split(rt.path, "/")[1:], pool: pools[fn.logicalID]})
		}
	}
	return a, nil
}

// match finds the route of a request the way API Gateway does: the most
// specific match wins (literal segments before {param} before {greedy+},
// one method before ANY), then $default; path parameters are decoded.
func (a *apiFront) match(method, path string) (*apiRoute, map[string]string, bool) {
	var best *apiRoute
	var bestRank []int
	var bestParams map[string]string
	segs := strings.Split(path, "/")[1:]
	for i := range a.routes {
		rt := &a.routes[i]
		if rt.method != method && rt.method != "ANY" {
			continue
		}
		var rank []int
		var params map[string]string
		if rt.path == "$default" {
			rank = []int{4}
		} else {
			var ok bool
			if rank, params, ok = matchSegments(rt.segs, segs); !ok {
				continue
			}
		}
		if rt.method == "ANY" {
			rank = append(rank, 1)
		} else {
			rank = append(rank, 0)
		}
		if best == nil || slices.Compare(rank, bestRank) < 0 {
			best, bestRank, bestParams = rt, rank, params
		}
	}
	return best, bestParams, best != nil
}

// matchSegments matches a route's path segments against a request's; the
// rank says how specific each segment's match was (0 literal, 1 {param},
// 2 {greedy+}).
func matchSegments(route, req []string) (rank []int, params map[string]string, ok bool) {
	for i, rs := range route {
		name, isParam := strings.CutPrefix(rs, "{")
		name, _ = strings.CutSuffix(name, "}")
		switch {
		case isParam && strings.HasSuffix(name, "+"):
			rest := req[i:]
			if len(rest) == 0 || strings.Join(rest, "/") == "" {
				return nil, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "+")] = strings.Join(rest, "/")
			return append(rank, 2), params, true
		case i >= len(req):
			return nil, nil, false
		case isParam:
			if req[i] == "" {
				return nil, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[name] = req[i]
			rank = append(rank, 1)
		case rs != req[i]:
			return nil, nil, false
		default:
			rank = append(rank, 0)
		}
	}
	return rank, params, len(route) == len(req)
}

func (a *apiFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := apiRequestID()
	w.Header().Set("Apigw-Requestid", reqID)
	if a.spec.cors != nil && isPreflight(r) {
		a.spec.cors.preflight(w, r)
		return
	}
	path := r.URL.Path
	if a.spec.stage != "$default" {
		rest, ok := strings.CutPrefix(path, "/"+a.spec.stage)
		if !ok || rest != "" && !strings.HasPrefix(rest, "/") {
			apiMessage(w, http.StatusNotFound, "Not Found")
			return
		}
		path = rest
	}
	rt, params, ok := a.match(r.Method, path)
	if !ok {
		apiMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		return
	}
	if len(body) > maxAPIBody {
		apiMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := newEvent(r, body, eventKind{
		accountID: a.account, apiID: a.spec.id, routeKey: rt.key(), stage: a.spec.stage,
		decodedPath: true, requestID: func() string { return reqID },
	}, a.now())
	ev.PathParameters = params
	payload, err := json.Marshal(ev)
	if err != nil {
		apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	res, err := a.call(ctx, rt.pool, payload)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			a.logf("%s %s: %s: no answer within the integration timeout (%s)", r.Method, r.URL.Path, rt.pool.fn.logicalID, a.timeout)
			apiMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
		case errors.Is(err, errThrottled):
			a.logf("%s %s: %v", r.Method, r.URL.Path, err)
			apiMessage(w, http.StatusTooManyRequests, "Too Many Requests")
		case errors.Is(err, errPayloadTooLarge):
			apiMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		case r.Context().Err() != nil:
		default:
			a.logf("%s %s: %v", r.Method, r.URL.Path, err)
			apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
		}
		return
	}
	h := w.Header()
	for k, vs := range res.header {
		h[k] = vs
	}
	if a.spec.cors != nil {
		a.spec.cors.decorate(h, r.Header.Get("Origin"))
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// call invokes the function and reads its whole answer within ctx.
func (a *apiFront) call(ctx context.Context, p *pool, payload []byte) (httpResponse, error) {
	resp, err := p.invoke(ctx, payload)
	if err != nil {
		return httpResponse{}, err
	}
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	out, err := resp.Payload()
	if err != nil {
		if ctx.Err() != nil {
			return httpResponse{}, ctx.Err()
		}
		return httpResponse{}, err
	}
	res, err := decodeResponse(out)
	if err != nil {
		return httpResponse{}, fmt.Errorf("function %s: %w", p.fn.name, err)
	}
	return res, nil
}

// apiMessage answers the way API Gateway does when it answers itself.
func apiMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
