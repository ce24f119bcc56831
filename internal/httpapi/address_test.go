package httpapi_test

import (
	"net/http/httptest"
	"testing"

	"github.com/zocket/agent/internal/httpapi"
)

// TestClientAddress keys an address as the per-address throttles count it: an
// IPv4 address as itself, an IPv6 one as its /64, whichever way it arrives.
func TestClientAddress(t *testing.T) {
	tests := []struct{ remoteAddr, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"203.0.113.7:51234", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"[::ffff:203.0.113.7]:443", "203.0.113.7"},
		{"2001:db8::1", "2001:db8::/64"},
		{"2001:db8::ffff:1", "2001:db8::/64"},
		{"[2001:db8::5]:443", "2001:db8::/64"},
		{"2001:db8:0:1::1", "2001:db8:0:1::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.remoteAddr, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remoteAddr
			if got := httpapi.ClientAddress(r); got != tt.want {
				t.Errorf("ClientAddress(%q) = %q, want %q", tt.remoteAddr, got, tt.want)
			}
		})
	}
}
