package artifactview_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/httpapi"
)

type fakePresign struct{}

func (fakePresign) PresignDownload(_ context.Context, key, _ string, _ time.Duration) (string, error) {
	return "https://bucket.example/" + key, nil
}

type fakeTokens struct{}

func (fakeTokens) IssuePreview(agent.Session, string, time.Duration) (string, error) {
	return "tok", nil
}

// TestLinkBase checks where previewUrl points: the host the client used
// at CloudFront, else PUBLIC_URL, else (on the chat Function URL) the HTTP
// API, else the request's own host. A forwarded host without the origin's
// secret is not trusted.
func TestLinkBase(t *testing.T) {
	const secret = "origin-secret-origin-secret-origin-secret"
	tests := []struct {
		name              string
		publicURL, apiURL string
		headers           map[string]string
		want              string
	}{
		{"the request's host", "", "", nil, "http://origin.example"},
		{"PUBLIC_URL", "https://api.example.com", "", nil, "https://api.example.com"},
		{"the HTTP API from the Function URL", "", "https://abc.execute-api.us-east-1.amazonaws.com", nil, "https://abc.execute-api.us-east-1.amazonaws.com"},
		{"PUBLIC_URL before the HTTP API", "https://api.example.com", "https://abc.execute-api.us-east-1.amazonaws.com", nil, "https://api.example.com"},
		{"the host used at CloudFront", "https://api.example.com", "https://abc.execute-api.us-east-1.amazonaws.com",
			map[string]string{httpapi.HeaderOriginVerify: secret, httpapi.HeaderForwardedHost: "d111.cloudfront.net", "X-Forwarded-Proto": "https"}, "https://d111.cloudfront.net"},
		{"a forwarded host without the secret", "", "https://abc.execute-api.us-east-1.amazonaws.com",
			map[string]string{httpapi.HeaderForwardedHost: "evil.example"}, "https://abc.execute-api.us-east-1.amazonaws.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &artifactview.Presenter{Blob: fakePresign{}, Tokens: fakeTokens{}, PublicURL: tc.publicURL, APIURL: tc.apiURL}
			var got string
			h := httpapi.Forwarded{Secret: secret}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r = r.WithContext(httpapi.WithSession(r.Context(), agent.Session{UserID: "u"}))
				v, err := p.View(r.Context(), p.ViewerOf(r), agent.Artifact{ID: "a", UserID: "u", Type: agent.TypeReact, Title: "A", Language: "tsx"})
				if err != nil {
					t.Fatal(err)
				}
				got = v.PreviewURL
			}))
			req := httptest.NewRequest("GET", "http://origin.example/api/artifacts/a", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if !strings.HasPrefix(got, tc.want+"/api/artifacts/a/preview?token=") {
				t.Errorf("previewUrl %q, want it under %s", got, tc.want)
			}
		})
	}
}
