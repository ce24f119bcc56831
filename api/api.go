// Package api holds the API's OpenAPI 3.1 document, openapi.json, as `make
// openapi` wrote it from the routes table and the handlers' types (package
// internal/devtools/openapi; a test fails while the file is stale), and
// serves it.
package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document, JSON. The caller must not change
// it.
func Document() []byte { return document }

// CacheControl lets browsers and CDNs keep the document for five minutes
// and then revalidate it (its ETag answers 304 while it is unchanged).
const CacheControl = "public, max-age=300"

// Handler serves the document (GET /api/openapi.json) with a strong ETag,
// a hash of its bytes, so If-None-Match answers 304; gzipped for a client
// that accepts it (a representation of its own, with an ETag of its own).
func Handler() http.Handler {
	plain := sync.OnceValue(func() variant { return newVariant(document, "") })
	gzipped := sync.OnceValue(func() variant { return newVariant(compress(document), "gzip") })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := plain()
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			v = gzipped()
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", CacheControl)
		h.Set("ETag", v.etag)
		h.Add("Vary", "Accept-Encoding")
		if v.encoding != "" {
			h.Set("Content-Encoding", v.encoding)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v.body))
	})
}

// variant is one representation of the document.
type variant struct {
	body           []byte
	etag, encoding string
}

func newVariant(body []byte, encoding string) variant {
	sum := sha256.Sum256(body)
	return variant{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, encoding: encoding}
}

func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(b)                                       // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}
