package esbuild

import (
	"strings"

	"github.com/zocket/agent/internal/build"
)

// pagePolicy is the policy a generated page declares in its own meta element,
// so that it holds even when the page is opened without the route's header
// (a presigned URL, a download): only the listed inline scripts run.
func pagePolicy(scriptHashes []string) string {
	return "default-src 'none'; script-src " + strings.Join(scriptHashes, " ") + "; " + build.ContentPolicy
}
