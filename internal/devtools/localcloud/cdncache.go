package localcloud

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cdnCache is what the local distribution keeps for a behavior with the
// CachingOptimized policy: a 200 answer to a GET whose Cache-Control allows
// a shared cache for max-age seconds (no no-store, no-cache or private),
// keyed as the policy keys it, by path (no query string, no cookie) and
// whether the viewer accepts gzip. Hits say so in X-Cache and Age, as
// CloudFront's do.
type cdnCache struct {
	mu      sync.Mutex
	entries map[string]*cdnEntry
}

type cdnEntry struct {
	header  http.Header
	body    []byte
	stored  time.Time
	expires time.Time
}

var maxAge = regexp.MustCompile(`(?:^|,)\s*(?:s-maxage|max-age)=(\d+)`)

func (c *cdnCache) serve(w http.ResponseWriter, r *http.Request, origin http.Handler) {
	key := r.URL.Path
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		key += " gzip"
	}
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && time.Now().Before(e.expires) {
		for k, v := range e.header {
			w.Header()[k] = v
		}
		w.Header().Set("X-Cache", "Hit from cloudfront")
		w.Header().Set("Age", strconv.Itoa(int(time.Since(e.stored).Seconds())))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(e.body)
		}
		return
	}
	rec := httptest.NewRecorder()
	origin.ServeHTTP(rec, r)
	res := rec.Result()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	body := rec.Body.Bytes()
	w.Write(body)
	cc := strings.ToLower(res.Header.Get("Cache-Control"))
	m := maxAge.FindStringSubmatch(cc)
	if r.Method != http.MethodGet || res.StatusCode != http.StatusOK || m == nil ||
		strings.Contains(cc, "no-store") || strings.Contains(cc, "no-cache") || strings.Contains(cc, "private") {
		return
	}
	secs, _ := strconv.Atoi(m[1])
	if secs <= 0 {
		return
	}
	now := time.Now()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cdnEntry{}
	}
	c.entries[key] = &cdnEntry{header: res.Header.Clone(), body: bytes.Clone(body), stored: now, expires: now.Add(time.Duration(secs) * time.Second)}
	c.mu.Unlock()
}
