package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/timing"
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
	if len(delays) == 0 {
		b.Fatal("the reader got nothing")
	}
	b.ReportMetric(float64(timing.Percentile(delays, 50).Milliseconds()), "event-ms-p50")
	b.ReportMetric(float64(timing.Percentile(delays, 95).Milliseconds()), "event-ms-p95")
	b.ReportMetric(writes/(seconds/60), "writes/min")
	b.ReportMetric(reads/seconds, "tail-reads/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTimeToFirstToken measures what a turn adds before and around the
// model, with every DynamoDB and S3 call delayed by 10 ms (apitest.Latency:
// the stand-ins answer in microseconds, AWS in a few milliseconds). Each
// iteration streams a reply of 50 chunks, one every 2 ms, in a new
// conversation or in one of 20 or 100 messages it continues, on minidyn.
// It reports medians over the iterations:
//   - model-ms: from the request to the model request's arrival at the fake
//     model; model-rt: the sequential DynamoDB round trips before it (goal:
//     2); model-own-ms: model-ms less the time those round trips took (goal:
//     2 ms);
//   - metadata-ms, metadata-rt (goal: 1) and metadata-own-ms (goal: 1 ms):
//     the same to the metadata event at the client;
//   - first-chunk-ms: to the first chunk at the client, less the fake
//     model's own time between the request and its first chunk;
//   - chunk-ms-p50, chunk-ms-p99: how long after the fake model flushed a
//     chunk the client had it, over every chunk (goal at p99: 1 ms): the
//     genai SDK's decoding and two loopback hops included, so an upper
//     bound of what the turn adds.
//
// Run it with: go test -run '^$' -bench TimeToFirstToken -benchtime 20x ./internal/chat/
func BenchmarkTimeToFirstToken(b *testing.B) {
	const rt = 10 * time.Millisecond
	latency := &apitest.Latency{Delay: rt}
	env := apitest.NewWithLatency(b, dynamotest.NewTable(b, dynamotest.Backends(b)[0]), map[string]string{"DEFAULT_CREDITS": "-1"}, latency)
	u := env.Register(b)
	for _, bc := range []struct {
		name     string
		messages int // 0: a new conversation
	}{{"new", 0}, {"continued-20", 20}, {"continued-100", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			var toModel, toMeta, toFirst, perChunk, ownModel, ownMeta []time.Duration
			var rtModel, rtMeta []time.Duration
			chunks := make([]string, 50)
			for i := range chunks {
				chunks[i] = "word "
			}
			for range b.N {
				sent := make(chan time.Time, len(chunks))
				env.Gemini.Enqueue(geminitest.Reply{Chunks: chunks, Delay: 2 * time.Millisecond, Sent: sent})
				body := map[string]any{"message": "And the footer?", "stream": true}
				if bc.messages > 0 {
					body["conversationId"] = seedConversation(b, env, u.ID, bc.messages, 7).ID
				}
				latency.Take()
				start := time.Now()
				resp := postStream(b, env, u.Token, body)
				rd := apitest.NewSSEReader(resp.Body)
				var got []time.Time
				for {
					e, err := rd.Next()
					if err != nil {
						b.Fatal(err)
					}
					now := time.Now()
					if e.Done {
						break
					}
					switch {
					case e.Type == "metadata":
						toMeta = append(toMeta, now.Sub(start))
					case e.Text() != "":
						got = append(got, now)
					}
				}
				resp.Body.Close()
				close(sent)
				var flushed []time.Time
				for t := range sent {
					flushed = append(flushed, t)
				}
				reqs := env.Gemini.Requests()
				var at time.Time
				for _, r := range reqs {
					if r.Stream && !r.At.Before(start) {
						at = r.At
					}
				}
				if len(got) != len(flushed) || at.IsZero() {
					b.Fatalf("%d chunks read, %d sent; model request at %v", len(got), len(flushed), at)
				}
				toModel = append(toModel, at.Sub(start))
				toFirst = append(toFirst, got[0].Sub(start)-flushed[0].Sub(at))
				for i := range got {
					perChunk = append(perChunk, got[i].Sub(flushed[i]))
				}
				calls := latency.Take().Of("DynamoDB")
				beforeModel, beforeMeta := calls.StartedBefore(at), calls.AnsweredBy(start.Add(toMeta[len(toMeta)-1]))
				ownModel = append(ownModel, at.Sub(start)-beforeModel.Waited())
				ownMeta = append(ownMeta, toMeta[len(toMeta)-1]-beforeMeta.Waited())
				rtModel = append(rtModel, time.Duration(beforeModel.Sequential()))
				rtMeta = append(rtMeta, time.Duration(beforeMeta.Sequential()))
			}
			ms, p := timing.Milliseconds, timing.Percentile
			b.ReportMetric(ms(p(toModel, 50)), "model-ms")
			b.ReportMetric(float64(p(rtModel, 50)), "model-rt")
			b.ReportMetric(ms(p(ownModel, 50)), "model-own-ms")
			b.ReportMetric(ms(p(toMeta, 50)), "metadata-ms")
			b.ReportMetric(float64(p(rtMeta, 50)), "metadata-rt")
			b.ReportMetric(ms(p(ownMeta, 50)), "metadata-own-ms")
			b.ReportMetric(ms(p(toFirst, 50)), "first-chunk-ms")
			b.ReportMetric(ms(p(perChunk, 50)), "chunk-ms-p50")
			b.ReportMetric(ms(p(perChunk, 99)), "chunk-ms-p99")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func postStream(b *testing.B, env *apitest.Env, token string, body map[string]any) *http.Response {
	b.Helper()
	resp, _ := open(b, env, "POST", "/api/chat/send", token, body, "")
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("send: %d", resp.StatusCode)
	}
	return resp
}
