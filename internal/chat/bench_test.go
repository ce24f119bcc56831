package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/apitest"
	"github.com/zocket/agent/internal/dynamotest"
	"github.com/zocket/agent/internal/llm/geminitest"
)

// BenchmarkResumeTail measures what a reader following a live turn costs
// and how far behind it is. Each iteration streams a reply of 40 chunks, one
// every 50 ms (2 s of text), then 2 s of silence, then 10 more chunks, to
// the sender and, at the same time, to a reader tailing it from another
// connection on the table (minidyn). It reports:
//   - event-ms-p50/p95: how long after the sender got a chunk the reader got
//     it (goal: at most one batch interval plus one read);
//   - writes/min: the turn's journal writes (TransactWriteItems) per minute
//     of streaming;
//   - tail-reads/s: the reader's Queries per second, over the whole turn.
//
// Run it with: go test -run '^$' -bench ResumeTail -benchtime 3x ./internal/chat/
func BenchmarkResumeTail(b *testing.B) {
	backend := dynamotest.Backends(b)[0]
	env := apitest.New(b, dynamotest.NewTable(b, backend), nil)
	u := env.Register(b)
	var delays []time.Duration
	var writes, reads, seconds float64
	for range b.N {
		chunks := make([]string, 50)
		for i := range chunks {
			chunks[i] = strings.Repeat("x", 30) + " "
		}
		hold := make(chan struct{})
		env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Delay: 50 * time.Millisecond, Hold: hold, HoldAfter: 40})
		time.AfterFunc(2*time.Second+40*50*time.Millisecond, func() { close(hold) })
		env.Calls.Take()
		start := time.Now()

		data, _ := json.Marshal(map[string]any{"message": "go", "stream": true})
		req, _ := http.NewRequest("POST", env.URL+"/api/chat/send", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		sender := apitest.NewSSEReader(resp.Body)
		meta, err := sender.Next()
		if err != nil {
			b.Fatal(err)
		}
		sent := map[string]time.Time{}
		got := map[string]time.Time{}
		tailDone := make(chan error, 1)
		rctx, cancel := context.WithCancel(context.Background())
		treq, _ := http.NewRequestWithContext(rctx, "GET", env.URL+"/api/chat/stream/"+meta.Data["messageId"].(string), nil)
		treq.Header.Set("Authorization", "Bearer "+u.Token)
		treq.Header.Set("Last-Event-ID", meta.ID)
		tresp, err := http.DefaultClient.Do(treq)
		if err != nil {
			b.Fatal(err)
		}
		arrived := make(chan [2]any, 256)
		go func() {
			rd := apitest.NewSSEReader(tresp.Body)
			for {
				e, err := rd.Next()
				if err != nil || e.Done {
					tailDone <- err
					return
				}
				arrived <- [2]any{e.ID, time.Now()}
			}
		}()
		for {
			e, err := sender.Next()
			if err != nil {
				b.Fatal(err)
			}
			if e.Done {
				break
			}
			sent[e.ID] = time.Now()
		}
		resp.Body.Close()
		if err := <-tailDone; err != nil {
			b.Fatal(err)
		}
		cancel()
		tresp.Body.Close()
		close(arrived)
		for a := range arrived {
			got[a[0].(string)] = a[1].(time.Time)
		}
		for id, at := range sent {
			if g, ok := got[id]; ok {
				delays = append(delays, g.Sub(at))
			}
		}
		elapsed := time.Since(start).Seconds()
		calls := env.Calls.Take()
		writes += float64(calls["TransactWriteItems"])
		reads += float64(calls["Query"])
		seconds += elapsed
	}
	slices.Sort(delays)
	if len(delays) == 0 {
		b.Fatal("the reader got nothing")
	}
	b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "event-ms-p50")
	b.ReportMetric(float64(delays[len(delays)*95/100].Milliseconds()), "event-ms-p95")
	b.ReportMetric(writes/(seconds/60), "writes/min")
	b.ReportMetric(reads/seconds, "tail-reads/s")
	b.ReportMetric(0, "ns/op")
}
