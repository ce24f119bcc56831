package livemetrics_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/livemetrics"
	"github.com/zocket/agent/internal/metrics"
)

func get(t *testing.T, h http.Handler, accept string) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestMetricsOfTheAPI serves the API with a Store as its sink, as the
// devserver does: after a few requests and a chat turn, /metrics counts
// them per route with their percentiles, and has the turn's time to first
// token.
func TestMetricsOfTheAPI(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := apitest.New(t, tb, nil)
		store := livemetrics.New()
		deps := *env.Deps
		deps.Metrics = store
		h, err := app.Handler(&deps, app.HTTPFunctions(), chatapp.Constructors())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		env.URL = srv.URL

		u := env.Register(t)
		for range 3 {
			env.Do(t, "GET", "/api/auth/me", u.Token, nil)
		}
		env.Do(t, "GET", "/api/auth/me", "", nil) // 401
		if r := env.Do(t, "POST", "/api/chat/send", u.Token, map[string]any{"message": "hello", "stream": false}); r.Status != 200 {
			t.Fatalf("chat: %d %s", r.Status, r.Body)
		}

		resp, body := get(t, store.Handler(), "application/json")
		if resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type %s", resp.Header.Get("Content-Type"))
		}
		var snap livemetrics.Snapshot
		if err := json.Unmarshal([]byte(body), &snap); err != nil {
			t.Fatal(err)
		}
		find := func(metric string, dims map[string]string) *livemetrics.Series {
			for i, s := range snap.Series {
				if s.Metric != metric || len(s.Dimensions) != len(dims)+1 || s.Dimensions["service"] != metrics.DefaultService {
					continue
				}
				same := true
				for k, v := range dims {
					same = same && s.Dimensions[k] == v
				}
				if same {
					return &snap.Series[i]
				}
			}
			t.Fatalf("no %s %v in %s", metric, dims, body)
			return nil
		}
		me := map[string]string{"function": "auth-me", "route": "GET /api/auth/me"}
		if s := find("Requests", me); s.Sum != 4 {
			t.Errorf("auth-me requests %+v", s)
		}
		if s := find("Http4xx", me); s.Sum != 1 || s.Count != 4 {
			t.Errorf("auth-me 4xx %+v", s)
		}
		if s := find("Latency", me); s.P50 == nil || s.P99 == nil || *s.P50 > *s.P99 || s.Count != 4 {
			t.Errorf("auth-me latency %+v", s)
		}
		if s := find("TimeToFirstToken", nil); s.Count != 1 || s.P90 == nil || *s.P90 <= 0 {
			t.Errorf("time to first token %+v", s)
		}
		if s := find("Turns", map[string]string{"outcome": metrics.TurnComplete}); s.Sum != 1 {
			t.Errorf("turns %+v", s)
		}
		if s := find("Requests", nil); s.Sum != 6 { // register, 4 me, send
			t.Errorf("all requests %+v", s)
		}

		resp, page := get(t, store.Handler(), "text/html")
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("Content-Type %s", resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{"GET /api/auth/me", "TimeToFirstToken", ">complete<"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
	})
}

// TestPageEscapes: whatever a record carries is text on the page.
func TestPageEscapes(t *testing.T) {
	store := livemetrics.New()
	r := metrics.New(metrics.Request, store, time.Now().Add(-time.Millisecond))
	r.Function, r.Route = `<script>alert(1)</script>`, `GET /"><img src=x onerror=alert(2)>`
	r.Set(metrics.Requests, 1)
	r.Since(metrics.Latency, time.Now())
	r.Emit()
	resp, page := get(t, store.Handler(), "")
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") || !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("not escaped:\n%s", page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

// TestPercentilesFromASample: past MaxSamples values a series keeps a
// uniform sample, and its count and sum stay exact.
func TestPercentilesFromASample(t *testing.T) {
	store := livemetrics.New()
	const n = 3 * livemetrics.MaxSamples
	for i := range n {
		r := metrics.New(metrics.Build, store, time.Now())
		r.Function, r.Outcome = "build", metrics.BuildBuilt
		r.Set(metrics.BuildDuration, float64(i%100)) // uniform over 0..99
		r.Emit()
	}
	for _, s := range store.Snapshot().Series {
		if s.Metric != "BuildDuration" {
			continue
		}
		if s.Count != n || s.Sum != float64(n/100)*4950 {
			t.Errorf("count %d, sum %v", s.Count, s.Sum)
		}
		if *s.P50 < 45 || *s.P50 > 55 || *s.P90 < 85 || *s.P90 > 95 {
			t.Errorf("p50 %v, p90 %v of a uniform 0..99", *s.P50, *s.P90)
		}
	}
}
