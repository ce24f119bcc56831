package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/settings"
)

// front stands before the local S3 (gofakes3, in memory): it records the
// operation of each request, with a part's size, and refuses the part
// numbered refusePart as S3 refuses a bad request (400, not retried).
type front struct {
	next       http.Handler
	mu         sync.Mutex
	ops        []string
	refusePart string
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var op string
	switch {
	case r.Method == "POST" && q.Has("uploads"):
		op = "CreateMultipartUpload"
	case r.Method == "PUT" && q.Has("partNumber"):
		op = fmt.Sprintf("UploadPart %s %d", q.Get("partNumber"), r.ContentLength)
	case r.Method == "POST" && q.Has("uploadId"):
		op = "CompleteMultipartUpload"
	case r.Method == "DELETE" && q.Has("uploadId"):
		op = "AbortMultipartUpload"
	case r.Method == "GET" && q.Has("uploads"):
		op = "ListMultipartUploads"
	default:
		op = r.Method
	}
	f.mu.Lock()
	f.ops = append(f.ops, op)
	refuse := f.refusePart != "" && q.Get("partNumber") == f.refusePart && r.Method == "PUT"
	f.mu.Unlock()
	if refuse {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>refused by the test</Message></Error>`)
		return
	}
	f.next.ServeHTTP(w, r)
}

// take returns the operations recorded since the last take.
func (f *front) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ops := f.ops
	f.ops = nil
	return ops
}

type bucket struct {
	store  *blob.Store
	client *s3.Client
	front  *front
}

func newBucket(t *testing.T) bucket {
	t.Helper()
	f := &front{next: gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true), gofakes3.WithoutVersioning()).Server()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg, err := settings.LoadAWS(context.Background(), "us-east-1", settings.Endpoints{S3: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	client := settings.S3Client(cfg, srv.URL)
	st := blob.New(client, "spool-test")
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.take()
	return bucket{store: st, client: client, front: f}
}

// uploadsInProgress lists the bucket's multipart uploads not yet completed
// or aborted.
func (b bucket) uploadsInProgress(t *testing.T) int {
	t.Helper()
	out, err := b.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(b.store.Bucket())})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func random(t testing.TB, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// write writes p to w in chunks of an odd size, so that chunks straddle
// part boundaries.
func write(t *testing.T, w *blob.Spool, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n := min(len(p), 7919)
		if got, err := w.Write(p[:n]); err != nil || got != n {
			t.Fatalf("write: %d, %v", got, err)
		}
		p = p[n:]
	}
}

func TestSpool(t *testing.T) {
	const kib = 1 << 10
	tests := []struct {
		name     string
		size     int
		opts     blob.SpoolOptions
		wantPart []int // the parts' sizes; none: the stream stays in memory
	}{
		{"empty", 0, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib}, nil},
		{"within keep", 3 * kib, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib}, nil},
		{"exactly keep", 4 * kib, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib}, nil},
		{"keep as long as a part", 16 * kib, blob.SpoolOptions{Keep: 16 * kib, PartSize: 16 * kib}, nil},
		{"one byte past keep", 4*kib + 1, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib}, []int{4*kib + 1}},
		{"one byte past a part", 16*kib + 1, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib}, []int{16 * kib, 1}},
		{"many parts", 10*16*kib + 3, blob.SpoolOptions{Keep: 4 * kib, PartSize: 16 * kib},
			[]int{16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 16 * kib, 3}},
		// S3's own minimum, which gofakes3 does not enforce: every part but
		// the last is 5 MiB.
		{"S3's part size", 11 << 20, blob.SpoolOptions{Keep: 4_000_000}, []int{blob.MinPartSize, blob.MinPartSize, 1 << 20}},
		{"keep capped at a part", 2*16*kib + 1, blob.SpoolOptions{Keep: 64 * kib, PartSize: 16 * kib}, []int{16 * kib, 16 * kib, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(t)
			data := random(t, tt.size)
			key := "exports/" + strings.ReplaceAll(tt.name, " ", "-") + ".zip"
			w := b.store.NewSpool(context.Background(), key, "application/zip", tt.opts)
			write(t, w, data)
			res, err := w.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("abort after finish: %v", err)
			}
			ops := b.front.take()
			if res.Size != int64(tt.size) {
				t.Errorf("size %d, want %d", res.Size, tt.size)
			}
			if len(tt.wantPart) == 0 {
				if res.Uploaded || !bytes.Equal(res.Data, data) || len(ops) != 0 {
					t.Fatalf("uploaded %v, %d bytes kept, calls %v: want the stream kept in memory and no call", res.Uploaded, len(res.Data), ops)
				}
				return
			}
			want := []string{"CreateMultipartUpload"}
			for i, n := range tt.wantPart {
				want = append(want, fmt.Sprintf("UploadPart %d %d", i+1, n))
			}
			want = append(want, "CompleteMultipartUpload")
			if !res.Uploaded || res.Parts != len(tt.wantPart) || res.Data != nil || !slices.Equal(ops, want) {
				t.Fatalf("uploaded %v in %d parts (%d bytes kept), calls\n  %v\nwant\n  %v", res.Uploaded, res.Parts, len(res.Data), ops, want)
			}
			got, err := b.store.Get(context.Background(), key)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("object: %d bytes, %v; want the %d bytes written", len(got), err, len(data))
			}
		})
	}
}

func TestSpoolAbort(t *testing.T) {
	const part = 16 << 10
	t.Run("a refused part", func(t *testing.T) {
		b := newBucket(t)
		b.front.refusePart = "2"
		w := b.store.NewSpool(context.Background(), "exports/refused.zip", "application/zip", blob.SpoolOptions{Keep: 1024, PartSize: part})
		if _, err := w.Write(random(t, 2*part)); err != nil {
			t.Fatalf("the first part failed: %v", err)
		}
		_, err := w.Write([]byte("x"))
		if err == nil || !strings.Contains(err.Error(), "upload part 2") {
			t.Fatalf("write = %v, want the refused part's error", err)
		}
		if _, err := w.Write([]byte("y")); err == nil {
			t.Error("a write after a failure succeeded")
		}
		if _, err := w.Finish(); err == nil {
			t.Error("finish after a failure succeeded")
		}
		if b.uploadsInProgress(t) != 1 {
			t.Fatal("no upload in progress before the abort (the test would prove nothing)")
		}
		for range 2 {
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
		}
		if n := b.uploadsInProgress(t); n != 0 {
			t.Errorf("%d uploads left in progress", n)
		}
		if _, err := b.store.Get(context.Background(), "exports/refused.zip"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("get = %v, want no object", err)
		}
	})
	t.Run("the caller's context ended", func(t *testing.T) {
		b := newBucket(t)
		ctx, cancel := context.WithCancel(context.Background())
		w := b.store.NewSpool(ctx, "exports/cancelled.zip", "application/zip", blob.SpoolOptions{PartSize: part})
		write(t, w, random(t, part+1))
		cancel()
		if _, err := w.Write(random(t, part)); !errors.Is(err, context.Canceled) {
			t.Fatalf("write = %v, want the context's error", err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("abort on a context of its own: %v", err)
		}
		if n := b.uploadsInProgress(t); n != 0 {
			t.Errorf("%d uploads left in progress", n)
		}
	})
}

func TestPresignAttachment(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	if err := b.store.Put(ctx, "exports/u/c/x.zip", []byte("PK zip bytes"), "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	u, err := b.store.PresignAttachment(ctx, "exports/u/c/x.zip", "conversation-1.zip", "application/zip", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "X-Amz-Expires=900") {
		t.Errorf("url %s does not expire in 15 minutes", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=conversation-1.zip` {
		t.Errorf("presigned GET = %d %v", resp.StatusCode, resp.Header)
	}
}
