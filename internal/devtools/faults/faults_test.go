package faults_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/faults"
)

func TestOperation(t *testing.T) {
	tests := []struct {
		service, method, target, amzTarget, want string
	}{
		{"dynamodb", "POST", "/", "DynamoDB_20120810.TransactWriteItems", "TransactWriteItems"},
		{"ssm", "POST", "/", "AmazonSSM.GetParameter", "GetParameter"},
		{"lambda", "POST", "/2015-03-31/functions/build/invocations", "", "Invoke"},
		{"s3", "PUT", "/bucket/a/b.tsx", "", "PutObject"},
		{"s3", "GET", "/bucket/a/b.tsx", "", "GetObject"},
		{"s3", "GET", "/bucket?list-type=2&prefix=a/", "", "ListObjectsV2"},
		{"s3", "POST", "/bucket/exports/x.zip?uploads", "", "CreateMultipartUpload"},
		{"s3", "PUT", "/bucket/exports/x.zip?partNumber=1&uploadId=u", "", "UploadPart"},
		{"s3", "POST", "/bucket/exports/x.zip?uploadId=u", "", "CompleteMultipartUpload"},
		{"s3", "DELETE", "/bucket/exports/x.zip?uploadId=u", "", "AbortMultipartUpload"},
		{"s3", "POST", "/bucket?delete", "", "DeleteObjects"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.amzTarget != "" {
			r.Header.Set("X-Amz-Target", tc.amzTarget)
		}
		if got := faults.Operation(tc.service, r); got != tc.want {
			t.Errorf("%s %s %s = %q, want %q", tc.service, tc.method, tc.target, got, tc.want)
		}
	}
}

// TestLoseAnswer applies the request and answers 500: the handler ran, the
// caller cannot tell.
func TestLoseAnswer(t *testing.T) {
	applied := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { applied++; io.WriteString(w, "{}") })
	in := &faults.Injector{Policy: func(faults.Request) faults.Fault { return faults.LoseAnswer }}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	in.Wrap("dynamodb", h).ServeHTTP(w, r)
	if applied != 1 || w.Code != 500 || !strings.Contains(w.Body.String(), "InternalServerError") {
		t.Errorf("applied %d times, answered %d %s", applied, w.Code, w.Body)
	}
	if got := in.Report(); len(got) != 1 || got[0] != "dynamodb PutItem lost answer: 1" {
		t.Errorf("report = %q", got)
	}
}

// TestRandomIsReproducible draws the same faults from the same seed.
func TestRandomIsReproducible(t *testing.T) {
	rates := map[faults.Fault]float64{faults.Throttle: 0.1, faults.ServerError: 0.05}
	draw := func() []faults.Fault {
		p := faults.Random(7, rates, nil)
		out := make([]faults.Fault, 1000)
		for i := range out {
			out[i] = p(faults.Request{Service: "dynamodb", Operation: "GetItem"})
		}
		return out
	}
	a, b := draw(), draw()
	n := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("draw %d differs: %q, %q", i, a[i], b[i])
		}
		if a[i] != faults.None {
			n++
		}
	}
	if n < 100 || n > 200 {
		t.Errorf("%d faults in 1000 draws at 15%%", n)
	}
}

// TestDelayAndTimeout: a delayed request is held, then served; an
// invocation timed out is held, then answered as Lambda answers a function
// that ran out of time, without running it.
func TestDelayAndTimeout(t *testing.T) {
	ran := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran++; io.WriteString(w, "{}") })
	for _, tc := range []struct {
		fault   faults.Fault
		ran     int
		wantErr string
	}{
		{faults.Delay, 1, ""},
		{faults.Timeout, 0, "Unhandled"},
	} {
		ran = 0
		in := &faults.Injector{Delay: 30 * time.Millisecond, Policy: func(faults.Request) faults.Fault { return tc.fault }}
		w := httptest.NewRecorder()
		start := time.Now()
		in.Wrap("lambda", h).ServeHTTP(w, httptest.NewRequest("POST", "/2015-03-31/functions/build/invocations", strings.NewReader("{}")))
		if took := time.Since(start); took < 30*time.Millisecond || ran != tc.ran || w.Code != 200 || w.Header().Get("X-Amz-Function-Error") != tc.wantErr {
			t.Errorf("%s: took %s, ran %d, answered %d %q %s", tc.fault, took, ran, w.Code, w.Header().Get("X-Amz-Function-Error"), w.Body)
		}
	}
}
