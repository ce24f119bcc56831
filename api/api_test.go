package api_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zocket/agent/api"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	get := func(t *testing.T, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req) // gzip only when asked
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	plain := get(t, nil)
	body, _ := io.ReadAll(plain.Body)
	if plain.StatusCode != 200 || plain.Header.Get("Content-Type") != "application/json; charset=utf-8" || string(body) != string(api.Document()) {
		t.Fatalf("plain: %d %v, %d bytes", plain.StatusCode, plain.Header, len(body))
	}
	var doc struct{ OpenAPI string }
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Errorf("document: %v %q", err, doc.OpenAPI)
	}
	etag := plain.Header.Get("ETag")
	if len(etag) < 10 || etag[0] != '"' || plain.Header.Get("Cache-Control") != api.CacheControl {
		t.Errorf("ETag %q, Cache-Control %q", etag, plain.Header.Get("Cache-Control"))
	}
	if r := get(t, map[string]string{"If-None-Match": etag}); r.StatusCode != 304 || r.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d, ETag %q", r.StatusCode, r.Header.Get("ETag"))
	}
	if r := get(t, map[string]string{"If-None-Match": `"other"`}); r.StatusCode != 200 {
		t.Errorf("another ETag: %d", r.StatusCode)
	}

	gz := get(t, map[string]string{"Accept-Encoding": "gzip"})
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("ETag") == etag {
		t.Fatalf("gzip: %v", gz.Header)
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != string(api.Document()) {
		t.Error("the gzipped document is not the document")
	}
	if r := get(t, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz.Header.Get("ETag")}); r.StatusCode != 304 {
		t.Errorf("gzip If-None-Match: %d", r.StatusCode)
	}
}
