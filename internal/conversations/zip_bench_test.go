package conversations

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/build/esbuild"
	"github.com/zocket/agent/internal/settings"
)

// s3Sink answers a multipart upload as S3 does and keeps nothing, so that a
// benchmark measures the export's memory, not the stand-in's.
type s3Sink struct{ received atomic.Int64 }

func (s *s3Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.Method == "POST" && q.Has("uploads"):
		fmt.Fprint(w, `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`)
	case r.Method == "PUT" && q.Has("partNumber"):
		n, _ := io.Copy(io.Discard, r.Body)
		s.received.Add(n)
		w.Header().Set("ETag", `"etag"`)
	case r.Method == "POST" && q.Has("uploadId"):
		fmt.Fprint(w, `<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"etag"</ETag></CompleteMultipartUploadResult>`)
	case r.Method == "DELETE":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
	}
}

// pageCopies makes each page a fresh copy of one built page, as reading it
// from S3 would.
type pageCopies []byte

func (p pageCopies) StandalonePage(context.Context, agent.Artifact) ([]byte, error) {
	return bytes.Clone(p), nil
}

// heapPeak samples the bytes of live and not yet swept heap objects every
// millisecond until stop is called, which returns the largest sample.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-ended
		return peak.Load()
	}
}

// BenchmarkZipExport writes the ZIP of a conversation whose artifacts are
// React + lucide + Tailwind components (a 0.5 MB page each) into a multipart
// upload to a sink, and reports the ZIP's size, the heap's peak above what
// was live before, and the pages' bytes deflated per second. "in memory" is
// the same ZIP in a bytes.Buffer, for comparison.
//
//	go test -run '^$' -bench ZipExport -benchtime 3x ./internal/conversations/
func BenchmarkZipExport(b *testing.B) {
	// apitest.RequirePackages, which this package's internal tests cannot
	// import (apitest imports this package).
	dir := "../../web/node_modules"
	if _, err := os.Stat(dir + "/.package-lock.json"); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("the preview packages are not installed (%v): run `npm ci --prefix web`", err)
		}
		b.Skip("the preview packages are not installed: run `npm ci --prefix web`")
	}
	cache := &esbuild.MemoryCache{}
	res, err := esbuild.NewLocal(esbuild.Options{PackagesDir: dir, Cache: cache}).Build(context.Background(), build.Request{
		Language: "tsx", Title: "Counter",
		Code: "import { useState } from \"react\";\nimport { Plus } from \"lucide-react\";\n" +
			"export default function Counter() {\n  const [n, setN] = useState(0);\n" +
			"  return <button className=\"rounded bg-blue-500 px-4 py-2 text-white\" onClick={() => setN(n + 1)}><Plus /> {n}</button>;\n}\n",
	})
	if err != nil {
		b.Fatal(err)
	}
	page, _, _ := cache.Get(context.Background(), build.PageKey(res.Key))

	sink := &s3Sink{}
	srv := httptest.NewServer(sink)
	b.Cleanup(srv.Close)
	cfg, err := settings.LoadAWS(context.Background(), "us-east-1", settings.Endpoints{S3: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	store := blob.New(settings.S3Client(cfg, srv.URL), "sink")

	for _, n := range []int{8, 64, 256} {
		doc, arts := Export{}, make([]zipArtifact, n)
		for i := range arts {
			title := fmt.Sprintf("Counter %d", i)
			arts[i] = zipArtifact{
				doc: ExportArtifact{Title: title, Language: "tsx", Type: agent.TypeReact, Code: "export default function Counter() {}"},
				art: agent.Artifact{ID: title, Type: agent.TypeReact},
			}
			doc.Messages = append(doc.Messages, ExportMessage{Role: agent.RoleAssistant, Artifacts: []ExportArtifact{arts[i].doc}})
		}
		s := &Service{Pages: pageCopies(page), Zip: DefaultZipLimits, Now: time.Now}
		for _, into := range []string{"multipart", "in memory"} {
			b.Run(fmt.Sprintf("pages=%d/%s", n, into), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n * len(page)))
				var peak, size uint64
				for b.Loop() {
					runtime.GC()
					base := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
					metrics.Read(base)
					stop := heapPeak()
					if into == "in memory" {
						var buf bytes.Buffer
						if err := s.writeZip(context.Background(), &buf, doc, arts); err != nil {
							b.Fatal(err)
						}
						size = uint64(buf.Len())
					} else {
						spool := store.NewSpool(context.Background(), "exports/bench.zip", "application/zip", blob.SpoolOptions{Keep: s.Zip.Inline, PartSize: s.Zip.PartSize})
						if err := s.writeZip(context.Background(), spool, doc, arts); err != nil {
							b.Fatal(err)
						}
						out, err := spool.Finish()
						if err != nil {
							b.Fatal(err)
						}
						size = uint64(out.Size)
					}
					top := stop()
					peak = max(peak, top-min(top, base[0].Value.Uint64()))
				}
				b.ReportMetric(float64(size)/1e6, "zip-MB")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			})
		}
	}
}
