package build

import "strings"

// sandbox is the sandbox directive of the preview policy. allow-scripts runs
// the artifact in an opaque origin that can reach neither the API's origin
// nor its storage; allow-forms lets a form fire its submit event (React's
// onSubmit) while form-action 'none' still stops any submission.
const sandbox = "sandbox allow-scripts allow-forms"

// contentPolicy is what a preview may load: its own inline code and styles,
// images and fonts from data: and blob: URLs, and nothing from the network.
const contentPolicy = "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; " +
	"connect-src 'none'; base-uri 'none'; form-action 'none'"

// pagePolicy is the policy a generated page declares in its own meta element,
// so that it holds even when the page is opened without the route's header
// (a presigned URL, a download): only the listed inline scripts run.
func pagePolicy(scriptHashes []string) string {
	return "default-src 'none'; script-src " + strings.Join(scriptHashes, " ") + "; " + contentPolicy
}

// ContentSecurityPolicy returns the Content-Security-Policy header for a
// preview page. frameAncestors are the origins that may frame it (the
// CORS_ORIGINS); with none, no page may. scriptHashes are the page's
// Result.ScriptHashes; without them (an HTML artifact, whose inline code runs
// as written, or a caller that did not keep them) the policy allows inline
// scripts, and a generated page still allows only its own by its meta policy.
func ContentSecurityPolicy(frameAncestors, scriptHashes []string) string {
	scripts := "'unsafe-inline'"
	if len(scriptHashes) > 0 {
		scripts = strings.Join(scriptHashes, " ")
	}
	ancestors := make([]string, 0, len(frameAncestors))
	for _, o := range frameAncestors {
		o = strings.TrimSpace(o)
		if o != "" && !strings.ContainsAny(o, " ;,'\"\r\n") {
			ancestors = append(ancestors, o)
		}
	}
	if len(ancestors) == 0 {
		ancestors = []string{"'none'"}
	}
	return sandbox + "; default-src 'none'; script-src " + scripts + "; " + contentPolicy +
		"; frame-ancestors " + strings.Join(ancestors, " ")
}
