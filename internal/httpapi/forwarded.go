package httpapi

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// Headers a CDN in front of the service sets. CloudFront sets
// CloudFront-Viewer-Address itself; the origin's value and the client's host
// come from the distribution's configuration and its viewer-request function.
const (
	HeaderOriginVerify  = "X-Origin-Verify"
	HeaderViewerAddress = "CloudFront-Viewer-Address"
	HeaderForwardedHost = "X-Forwarded-Host"
)

// Forwarded trusts what CloudFront forwards on requests that carry its
// secret: the client's address (CloudFront-Viewer-Address, where the source
// address is an edge's) becomes the request's RemoteAddr, for per-address
// limits, and the host the client used (X-Forwarded-Host) becomes its Host,
// for links. From any other request (one sent to an origin directly) those
// headers are removed, so a client cannot choose its own address. Without a
// secret nothing is trusted.
type Forwarded struct {
	Secret string
}

// Handler wraps next with Forwarded.
func (f Forwarded) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header
		verified := f.Secret != "" && subtle.ConstantTimeCompare([]byte(h.Get(HeaderOriginVerify)), []byte(f.Secret)) == 1
		viewer, host := h.Get(HeaderViewerAddress), h.Get(HeaderForwardedHost)
		h.Del(HeaderOriginVerify)
		h.Del(HeaderViewerAddress)
		h.Del(HeaderForwardedHost)
		if verified {
			r = r.Clone(r.Context())
			if addr := viewerAddress(viewer); addr != "" {
				r.RemoteAddr = addr
			}
			if validHost(host) {
				r.Host = host
				r = r.WithContext(context.WithValue(r.Context(), edgeHostKey{}, true))
			}
		}
		state(r.Context()).client = ClientAddress(r)
		next.ServeHTTP(w, r)
	})
}

// viewerAddress reads CloudFront-Viewer-Address ("203.0.113.7:443",
// "2001:db8::1:443") into a host:port RemoteAddr, or "".
func viewerAddress(v string) string {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return ""
	}
	ip := net.ParseIP(v[:i])
	if ip == nil {
		return ""
	}
	return net.JoinHostPort(ip.String(), v[i+1:])
}

// validHost reports whether h is a plain host[:port], nothing that could
// smuggle a path or a scheme into a link.
func validHost(h string) bool {
	return h != "" && len(h) <= 253 && !strings.ContainsAny(h, "/\\@?#, \t\r\n")
}

type edgeHostKey struct{}

// ViaEdge reports whether the request's Host is the one its client used at
// the edge (CloudFront's X-Forwarded-Host, trusted): links built from it
// reach the client's own URL.
func ViaEdge(ctx context.Context) bool {
	v, _ := ctx.Value(edgeHostKey{}).(bool)
	return v
}
