package localcloud

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// corsConfig is an HttpApi's CorsConfiguration or a Function URL's Cors,
// applied the way API Gateway and Lambda apply them: the service answers
// preflights itself, without invoking the function, and sets the CORS
// headers of every response, ignoring those the function returned.
type corsConfig struct {
	AllowOrigins, AllowHeaders, AllowMethods, ExposeHeaders []string
	MaxAge                                                  int
	AllowCredentials                                        bool
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// allowOrigin is the Access-Control-Allow-Origin to answer origin with, if
// it is allowed: "*" allows any origin, "https://*" any origin of that
// scheme.
func (c *corsConfig) allowOrigin(origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*" && !c.AllowCredentials:
			return "*", true
		case o == "*", o == origin, strings.HasSuffix(o, "://*") && strings.HasPrefix(origin, strings.TrimSuffix(o, "*")):
			return origin, true
		}
	}
	return "", false
}

// preflight answers a preflight request: 204, with the configured headers
// when the origin is allowed and none when it is not.
func (c *corsConfig) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if allow, ok := c.allowOrigin(r.Header.Get("Origin")); ok {
		h.Set("Access-Control-Allow-Origin", allow)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			allowed := c.AllowHeaders
			if slices.Contains(allowed, "*") {
				// "*" allows what the browser asks for.
				allowed = []string{r.Header.Get("Access-Control-Request-Headers")}
			}
			h.Set("Access-Control-Allow-Headers", strings.ToLower(strings.Join(allowed, ",")))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if allow != "*" {
			h.Add("Vary", "Origin")
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// decorate replaces the CORS headers of a response to a request from
// origin with the configured ones.
func (c *corsConfig) decorate(h http.Header, origin string) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			delete(h, k)
		}
	}
	allow, ok := c.allowOrigin(origin)
	if !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if allow != "*" && !slices.Contains(h.Values("Vary"), "Origin") {
		h.Add("Vary", "Origin")
	}
}
