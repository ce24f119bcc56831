package livemetrics

import (
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zocket/agent/internal/metrics"
)

// Handler serves GET /metrics: the snapshot as JSON to a client whose
// Accept asks for application/json, else a page of tables (every value
// escaped).
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		snap := s.Snapshot()
		w.Header().Set("Cache-Control", "no-store")
		if wantsJSON(r.Header.Get("Accept")) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(snap)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if err := page.Execute(w, newView(snap)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}

// wantsJSON reports whether an Accept header asks for JSON.
func wantsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == "application/json" {
			return true
		}
	}
	return false
}

// view is the page's content.
type view struct {
	Since         string
	Routes        []routeRow
	Times         []Series // chat's and resume's times, by service
	Turns, Builds []Series // by outcome
	Counters      []Series // by service
	All           []Series
	BuildTimes    map[string]Series
}

type routeRow struct {
	Function, Route          string
	Requests, Client, Server float64
	Latency                  Series
}

func newView(snap Snapshot) view {
	v := view{Since: snap.Since.Format(time.RFC3339), All: snap.Series, BuildTimes: map[string]Series{}}
	rows := map[string]*routeRow{}
	row := func(s Series) *routeRow {
		k := s.Dimensions["function"] + "\x00" + s.Dimensions["route"]
		if rows[k] == nil {
			rows[k] = &routeRow{Function: s.Dimensions["function"], Route: s.Dimensions["route"]}
		}
		return rows[k]
	}
	for _, s := range snap.Series {
		_, byRoute := s.Dimensions["route"]
		_, byFunction := s.Dimensions["function"]
		_, byOutcome := s.Dimensions["outcome"]
		switch {
		case byRoute && byFunction && s.Metric == metrics.Requests.Name():
			row(s).Requests = s.Sum
		case byRoute && byFunction && s.Metric == metrics.HTTP4xx.Name():
			row(s).Client = s.Sum
		case byRoute && byFunction && s.Metric == metrics.HTTP5xx.Name():
			row(s).Server = s.Sum
		case byRoute && byFunction && s.Metric == metrics.Latency.Name():
			row(s).Latency = s
		case byOutcome && s.Metric == metrics.Turns.Name():
			v.Turns = append(v.Turns, s)
		case byOutcome && s.Metric == metrics.Builds.Name():
			v.Builds = append(v.Builds, s)
		case byOutcome && s.Metric == metrics.BuildDuration.Name():
			v.BuildTimes[s.Dimensions["outcome"]] = s
		case len(s.Dimensions) == 1 && s.Unit == metrics.Milliseconds && s.Metric != metrics.Latency.Name():
			v.Times = append(v.Times, s)
		case len(s.Dimensions) == 1 && s.Unit == metrics.Count:
			v.Counters = append(v.Counters, s)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(rows)) {
		v.Routes = append(v.Routes, *rows[k])
	}
	return v
}

// ms formats a percentile (— when there is none).
func ms(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", *p)
}

// number formats a count or a sum.
func number(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

// dims formats a series' dimensions, the service's apart.
func dims(d map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if k != string(metrics.Service) {
			parts = append(parts, k+"="+d[k])
		}
	}
	return strings.Join(parts, " ")
}

var page = template.Must(template.New("metrics").Funcs(template.FuncMap{"ms": ms, "number": number, "dims": dims}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Devserver metrics</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border-bottom:1px solid #ddd;padding:.25em .75em;text-align:right}td:first-child,th:first-child,td.l{text-align:left}</style></head>
<body><h1>Devserver metrics</h1>
<p>Since {{.Since}}: the records the functions write in Lambda as EMF, kept here in memory (<code>Accept: application/json</code> for JSON).</p>
<h2>Routes</h2>
<table><tr><th>function</th><th>route</th><th>requests</th><th>4xx</th><th>5xx</th><th>p50</th><th>p90</th><th>p99</th></tr>
{{range .Routes}}<tr><td>{{.Function}}</td><td class="l">{{.Route}}</td><td>{{number .Requests}}</td><td>{{number .Client}}</td><td>{{number .Server}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P90}}</td><td>{{ms .Latency.P99}}</td></tr>
{{else}}<tr><td colspan="8">no request yet</td></tr>{{end}}</table>
<h2>Chat and resumed streams</h2>
<table><tr><th>time</th><th>count</th><th>p50</th><th>p90</th><th>p99</th></tr>
{{range .Times}}<tr><td>{{.Metric}}</td><td>{{.Count}}</td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P99}}</td></tr>
{{else}}<tr><td colspan="5">no turn yet</td></tr>{{end}}</table>
<table><tr><th>turns by outcome</th><th>turns</th></tr>
{{range .Turns}}<tr><td>{{index .Dimensions "outcome"}}</td><td>{{number .Sum}}</td></tr>{{end}}</table>
<h2>Previews</h2>
<table><tr><th>builds by outcome</th><th>builds</th><th>p50</th><th>p90</th><th>p99</th></tr>
{{$times := .BuildTimes}}{{range .Builds}}{{$t := index $times (index .Dimensions "outcome")}}<tr><td>{{index .Dimensions "outcome"}}</td><td>{{number .Sum}}</td><td>{{ms $t.P50}}</td><td>{{ms $t.P90}}</td><td>{{ms $t.P99}}</td></tr>{{end}}</table>
<h2>Counters</h2>
<table><tr><th>metric</th><th>values</th><th>sum</th></tr>
{{range .Counters}}<tr><td>{{.Metric}}</td><td>{{.Count}}</td><td>{{number .Sum}}</td></tr>{{end}}</table>
<h2>Every series</h2>
<table><tr><th>metric</th><th>dimensions</th><th>values</th><th>sum</th><th>p50</th><th>p90</th><th>p99</th></tr>
{{range .All}}<tr><td>{{.Metric}}</td><td class="l">{{dims .Dimensions}}</td><td>{{.Count}}</td><td>{{number .Sum}}</td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P99}}</td></tr>{{end}}</table>
</body></html>
`))
