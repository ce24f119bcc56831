package localcloud

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCORSOfTheTemplate answers preflights and decorates responses with the
// CORS configuration of template.yaml's HTTP API and of the chat stream's
// Function URL.
func TestCORSOfTheTemplate(t *testing.T) {
	st, err := readStack(readTemplate(t), testConfig(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	var urlCORS *corsConfig
	for _, fn := range st.functions {
		if fn.url != nil {
			urlCORS = fn.url.cors
		}
	}
	if st.api.cors == nil || urlCORS == nil {
		t.Fatal("the template's CORS configurations are missing")
	}
	const app = "http://localhost:3000"
	tests := []struct {
		name                               string
		cors                               *corsConfig
		origin                             string
		wantOrigin, wantMethods, wantHeads string
		wantMaxAge                         string
	}{
		{"API, the frontend's origin", st.api.cors, app, app, "GET,POST,PUT,DELETE,OPTIONS", "authorization,content-type,last-event-id", "600"},
		{"API, Vite's origin", st.api.cors, "http://localhost:5173", "http://localhost:5173", "GET,POST,PUT,DELETE,OPTIONS", "authorization,content-type,last-event-id", "600"},
		{"API, another origin", st.api.cors, "https://evil.example", "", "", "", ""},
		{"stream URL, the frontend's origin", urlCORS, app, app, "GET,POST", "authorization,content-type,last-event-id", "600"},
		{"stream URL, another origin", urlCORS, "https://evil.example", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodOptions, "/api/chat/send", nil)
			r.Header.Set("Origin", tt.origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			if !isPreflight(r) {
				t.Fatal("not seen as a preflight")
			}
			w := httptest.NewRecorder()
			tt.cors.preflight(w, r)
			h := w.Header()
			got := []string{h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Max-Age")}
			want := []string{tt.wantOrigin, tt.wantMethods, tt.wantHeads, tt.wantMaxAge}
			if w.Code != http.StatusNoContent || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
				t.Errorf("preflight %d %q, want 204 %q", w.Code, got, want)
			}

			// A response: the function's own CORS headers give way to the
			// configuration's.
			fn := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"X-Secret"}, "Content-Type": {"application/json"}}
			tt.cors.decorate(fn, tt.origin)
			wantExpose := ""
			if tt.wantOrigin != "" {
				wantExpose = "X-Request-Id,Retry-After,Content-Disposition"
			}
			if fn.Get("Access-Control-Allow-Origin") != tt.wantOrigin || fn.Get("Access-Control-Expose-Headers") != wantExpose || fn.Get("Content-Type") != "application/json" {
				t.Errorf("response headers %v", fn)
			}
		})
	}
}
