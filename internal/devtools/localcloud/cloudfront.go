package localcloud

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// cdnFront is the CloudFront distribution: each request goes to the origin
// of the first cache behavior whose path pattern matches (the default
// behavior last), after the behavior's viewer-request function, with the
// origin's custom headers and the CloudFront headers the origin request
// policy adds; responses stream through. Nothing is cached (the template's
// behaviors use CachingDisabled), but for a behavior with CachingOptimized,
// whose answers it keeps as cdnCache says.
type cdnFront struct {
	spec      *distSpec
	behaviors []cdnBehavior
	cache     cdnCache
	logf      func(format string, args ...any)
	errorLog  io.Writer // the proxies' own messages
}

type cdnBehavior struct {
	behaviorSpec
	proxy *httputil.ReverseProxy
}

// newCDNFront builds the distribution; addrs maps each origin's domain to
// the local address that serves it.
func newCDNFront(spec *distSpec, addrs map[string]string, logf func(string, ...any), errorLog io.Writer) (*cdnFront, error) {
	c := &cdnFront{spec: spec, logf: logf, errorLog: errorLog}
	proxies := map[string]map[bool]*httputil.ReverseProxy{}
	for _, b := range spec.behaviors {
		o := spec.origins[b.origin]
		addr, ok := addrs[o.domain]
		if !ok {
			return nil, fmt.Errorf("origin %s: %s is none of the stack's domains: the local distribution reaches only the stack's own API and Function URLs", o.id, o.domain)
		}
		if proxies[o.id] == nil {
			proxies[o.id] = map[bool]*httputil.ReverseProxy{}
		}
		p := proxies[o.id][b.dropHost]
		if p == nil {
			p = c.proxy(o, addr, b.dropHost)
			proxies[o.id][b.dropHost] = p
		}
		c.behaviors = append(c.behaviors, cdnBehavior{behaviorSpec: b, proxy: p})
	}
	return c, nil
}

func (c *cdnFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := c.behavior(r.URL.Path)
	if !slices.Contains(b.methods, r.Method) {
		cdnError(w, http.StatusForbidden, "This distribution is not configured to allow the HTTP request method that was used for this request.")
		return
	}
	if b.viewerRequest != nil {
		r = r.Clone(r.Context())
		b.viewerRequest(r)
	}
	if b.cache && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		c.cache.serve(w, r, b.proxy)
		return
	}
	b.proxy.ServeHTTP(w, r)
}

// behavior is the cache behavior of path.
func (c *cdnFront) behavior(path string) *cdnBehavior {
	for i := range c.behaviors {
		if matchPathPattern(c.behaviors[i].pattern, path) {
			return &c.behaviors[i]
		}
	}
	return &c.behaviors[len(c.behaviors)-1]
}

// matchPathPattern reports whether path matches a CloudFront path pattern:
// * matches any characters (slashes included), ? exactly one; the leading
// slash of a pattern is optional; matching is case-sensitive.
func matchPathPattern(pattern, path string) bool {
	if !strings.HasPrefix(pattern, "/") && !strings.HasPrefix(pattern, "*") {
		pattern = "/" + pattern
	}
	// Classic glob matching with backtracking on the last *.
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == path[s]):
			p++
			s++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// proxy forwards to an origin the way the distribution does.
func (c *cdnFront) proxy(o *originSpec, addr string, dropHost bool) *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: addr, Path: o.path}
	transport := &http.Transport{
		ResponseHeaderTimeout: o.readTimeout,
		DisableCompression:    true,
		MaxIdleConnsPerHost:   16,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			if !dropHost {
				pr.Out.Host = pr.In.Host
			}
			// Rewrite starts without X-Forwarded-*: put back what passes.
			if v := pr.In.Header.Get("X-Forwarded-Host"); v != "" {
				pr.Out.Header.Set("X-Forwarded-Host", v)
			}
			client, port, _ := net.SplitHostPort(pr.In.RemoteAddr)
			if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
				pr.Out.Header.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+client)
			} else {
				pr.Out.Header.Set("X-Forwarded-For", client)
			}
			if dropHost {
				// AllViewerExceptHostHeader also sends CloudFront's own
				// headers, among them the viewer's address.
				pr.Out.Header.Set("CloudFront-Viewer-Address", net.JoinHostPort(client, port))
				pr.Out.Header.Set("CloudFront-Forwarded-Proto", "http")
			}
			pr.Out.Header.Add("Via", fmt.Sprintf("%d.%d %s (CloudFront)", pr.In.ProtoMajor, pr.In.ProtoMinor, c.spec.domain))
			pr.Out.Header.Set("X-Amz-Cf-Id", cfID())
			for _, h := range o.headers {
				pr.Out.Header.Set(h[0], h[1])
			}
		},
		Transport:     transport,
		ErrorLog:      log.New(c.errorLog, "", 0),
		FlushInterval: -1, // stream: each write reaches the viewer as it arrives
		ModifyResponse: func(resp *http.Response) error {
			resp.Body = newIdleBody(resp.Body, o.readTimeout)
			resp.Header.Add("Via", fmt.Sprintf("1.1 %s (CloudFront)", c.spec.domain))
			resp.Header.Set("X-Cache", "Miss from cloudfront")
			resp.Header.Set("X-Amz-Cf-Pop", "LOCAL1-C1")
			resp.Header.Set("X-Amz-Cf-Id", cfID())
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the viewer has gone
			}
			c.logf("%s %s: origin %s: %v", r.Method, r.URL.Path, o.id, err)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				cdnError(w, http.StatusGatewayTimeout, "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.")
				return
			}
			cdnError(w, http.StatusBadGateway, "CloudFront wasn't able to connect to the origin.")
		},
	}
}

// idleBody ends a response whose origin sends nothing for the origin's
// read timeout, as CloudFront does.
type idleBody struct {
	io.ReadCloser
	timer   *time.Timer
	d       time.Duration
	mu      sync.Mutex
	expired bool
}

func newIdleBody(body io.ReadCloser, d time.Duration) *idleBody {
	b := &idleBody{ReadCloser: body, d: d}
	b.timer = time.AfterFunc(d, func() {
		b.mu.Lock()
		b.expired = true
		b.mu.Unlock()
		body.Close()
	})
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	expired := b.expired
	b.mu.Unlock()
	if expired {
		return n, fmt.Errorf("origin read timeout (%s) passed", b.d)
	}
	b.timer.Reset(b.d)
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}

func cfID() string {
	b := make([]byte, 42)
	rand.Read(b) // never fails since Go 1.24
	return base64.URLEncoding.EncodeToString(b)
}

// cdnError answers the way CloudFront does when it answers itself.
func cdnError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("X-Cache", "Error from cloudfront")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>\n<H1>%d ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n%s\n</BODY></HTML>\n", status, msg)
}
