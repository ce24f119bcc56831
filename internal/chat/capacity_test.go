package chat_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/store"
)

// BenchmarkTurnCapacity measures the DynamoDB read and write units of a
// turn, as real DynamoDB (on demand) would charge them, computed from the
// sizes of the items each call reads and writes (dynamotest.Capacity: the
// local stand-ins do not report consumed capacity). Each iteration is a
// conversation of two turns, the reply of each 60 chunks of 60 bytes
// (3.6 KB, about 900 tokens) over 3 s with a tsx fence (one artifact), the
// first turn opening the conversation (and naming it). It reports per turn:
// rcu, wcu, and the journal's share of the writes per second of streaming
// (it grows with the reply's duration, the rest does not).
//
// Run it with: go test -run '^$' -bench TurnCapacity -benchtime 2x -v ./internal/chat/
func BenchmarkTurnCapacity(b *testing.B) {
	backend := dynamotest.Backends(b)[0]
	env := apitest.New(b, dynamotest.NewTable(b, backend), nil)
	u := env.Register(b)
	var rcu, wcu, journal, seconds float64
	turns := 0
	byOp := map[string][2]float64{}
	for range b.N {
		conv := ""
		for turn := range 2 {
			env.Gemini.Enqueue(geminitest.Reply{Chunks: reply(turn), Delay: 50 * time.Millisecond})
			env.Capacity.Take(nil)
			start := time.Now()
			body := map[string]any{"message": "Create a React counter component", "stream": true}
			if conv != "" {
				body["conversationId"] = conv
			}
			resp := env.Do(b, http.MethodPost, "/api/chat/send", u.Token, body)
			if resp.Status != http.StatusOK {
				b.Fatalf("send: %d %s", resp.Status, resp.Body)
			}
			events, err := apitest.NewSSEReader(strings.NewReader(string(resp.Body))).All()
			if err != nil || len(events) == 0 || !events[len(events)-1].Done {
				b.Fatalf("stream: %v %d events", err, len(events))
			}
			if conv == "" {
				conv = events[0].Data["conversationId"].(string)
			}
			seconds += time.Since(start).Seconds()
			time.Sleep(300 * time.Millisecond) // the title, after [DONE]
			units := env.Capacity.Take(itemSizes(b, env.Table))
			rcu += units.Read
			wcu += units.Write
			for op, v := range units.ByOperation {
				t := byOp[op]
				byOp[op] = [2]float64{t[0] + v[0], t[1] + v[1]}
			}
			journal += units.WriteByKind["EV"]
			turns++
		}
	}
	n := float64(turns)
	b.ReportMetric(rcu/n, "rcu/turn")
	b.ReportMetric(wcu/n, "wcu/turn")
	b.ReportMetric(journal/seconds, "journal-wcu/s")
	b.ReportMetric(seconds/n, "stream-s/turn")
	b.ReportMetric(0, "ns/op")
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		b.Logf("%-20s %6.1f rcu/turn %6.1f wcu/turn", op, byOp[op][0]/n, byOp[op][1]/n)
	}
}

// reply is a model reply of 60 chunks with a tsx fence in the middle.
func reply(turn int) []string {
	chunks := make([]string, 0, 60)
	for i := range 20 {
		chunks = append(chunks, fit(fmt.Sprintf("Prose of turn %d, part %02d, here to fill a chunk of sixty bytes.", turn, i), 60))
	}
	chunks = append(chunks, "\n```tsx\nimport { useState } from 'react';\nexport default function Counter() {\n")
	for i := range 18 {
		chunks = append(chunks, fit(fmt.Sprintf("  const [v%02d, setV%02d] = useState(%d); // sixty bytes", i, i, i), 59)+"\n")
	}
	chunks = append(chunks, "  return <button onClick={() => setV00(v00 + 1)}>{v00}</button>;\n}\n```\n")
	for i := range 20 {
		chunks = append(chunks, fit(fmt.Sprintf("More prose after the code, part %02d, to fill sixty bytes.", i), 60))
	}
	return chunks
}

// itemSizes is the size of every item of the table, by dynamotest.ItemKey.
func itemSizes(tb testing.TB, t dynamotest.Table) map[string]int {
	tb.Helper()
	sizes := map[string]int{}
	p := dynamodb.NewScanPaginator(t.Client, &dynamodb.ScanInput{TableName: &t.Name})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		for _, it := range page.Items {
			sizes[dynamotest.ItemKey(it)] = store.ItemSize(it)
		}
	}
	return sizes
}

// fit is s cut or padded with spaces to n bytes.
func fit(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}
