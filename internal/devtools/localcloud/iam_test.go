package localcloud_test

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/iamproof"
	"github.com/zocket/agent/internal/devtools/localcloud"
	"github.com/zocket/agent/routes"
)

// The IAM proof of the deployed shape: every call a function's bootstrap
// makes to DynamoDB, S3, Lambda or SSM goes through an iamproof.Recorder,
// which knows the function by its access key, and is checked against the
// policies template.yaml and the CDK app give the function's role.

// cdkTemplateEnv names the CDK app's synthesized template (`make
// test-cloud` writes it with `cd infra && go run ./cmd/template`).
const cdkTemplateEnv = "CDK_TEMPLATE"

// iamProof is the recorder behind the Wrap hook. The stack's own set-up
// calls, and the test's (SetupAccessKeyID), go straight to the stand-ins:
// they are CloudFormation's and the operator's, no function's.
type iamProof struct {
	mu      sync.Mutex
	targets map[string]*url.URL // each stand-in, served for the recorder's proxy

	live  atomic.Pointer[recording]
	early atomic.Int64 // function calls made before the recorder was ready
}

// recording is the recorder and its proxies, once the functions' access
// keys are known.
type recording struct {
	rec     *iamproof.Recorder
	proxies map[string]http.Handler // by service
}

func newIAMProof() *iamProof { return &iamProof{targets: map[string]*url.URL{}} }

// wrap is the Wrap hook: it serves each stand-in on a server of its own, for
// the recorder's proxy to forward to.
func (p *iamProof) wrap(t *testing.T) func(service string, h http.Handler) http.Handler {
	return func(service string, h http.Handler) http.Handler {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		target, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		p.targets[service] = target
		p.mu.Unlock()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if accessKey(r) == localcloud.SetupAccessKeyID {
				h.ServeHTTP(w, r)
				return
			}
			live := p.live.Load()
			if live == nil {
				p.early.Add(1)
				http.Error(w, "a call before the IAM recorder knew the functions' keys", http.StatusServiceUnavailable)
				return
			}
			live.proxies[service].ServeHTTP(w, r)
		})
	}
}

// accessKey is the access key ID that signed r, in its Authorization header
// or, for a presigned URL, its query.
func accessKey(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred = after
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}

// account is where localcloud puts the stack: the ARNs its functions' calls
// name, and the ones the templates' policies resolve to.
var account = iamproof.Account{Partition: "aws", Region: localcloud.DefaultRegion, ID: localcloud.DefaultAccount}

// start records from now on, knowing each function by its access key.
func (p *iamProof) start(t *testing.T, c *localcloud.Cloud) {
	t.Helper()
	callers := map[string]string{}
	for _, f := range c.Functions() {
		callers[f.AccessKeyID] = f.LogicalID
	}
	rec := iamproof.NewRecorder(account, callers)
	live := &recording{rec: rec, proxies: map[string]http.Handler{}}
	p.mu.Lock()
	for service, target := range p.targets {
		live.proxies[service] = rec.Proxy(iamproof.Service(service), target)
	}
	p.mu.Unlock()
	p.live.Store(live)
}

// resolver gives the templates' logical IDs and parameters the names the
// local stack gave them: the table, the bucket, each function, the
// parameters' values (template.yaml's defaults, which the scenario keeps).
func resolver(c *localcloud.Cloud, tpl *cfn.Template) iamproof.Resolver {
	names := map[string]string{"Table": c.TableName, "Bucket": c.BucketName}
	for _, f := range c.Functions() {
		names[f.LogicalID] = f.Name
	}
	for name, def := range tpl.Parameters {
		m, _ := def.(map[string]any)
		if v, ok := m["Default"]; ok {
			names[name] = fmt.Sprint(v)
		}
	}
	return iamproof.Resolver{Account: account, Names: names}
}

// policies are each template's policies, by a name for reports: template.yaml's
// always, the CDK app's when its synthesized template is there (see
// cdkTemplate).
func policies(t *testing.T, c *localcloud.Cloud, sam *cfn.Template) map[string]iamproof.Policies {
	t.Helper()
	res := resolver(c, sam)
	out := map[string]iamproof.Policies{}
	p, err := iamproof.FromSAM(sam, res)
	if err != nil {
		t.Fatalf("template.yaml's policies: %v", err)
	}
	out["template.yaml"] = p
	cdk := cdkTemplate(t, "the CDK half of the IAM proof")
	if cdk == nil {
		return out
	}
	if p, err = iamproof.FromCDK(cdk, res); err != nil {
		t.Fatalf("the CDK app's policies: %v", err)
	}
	out["CDK"] = p
	return out
}

// cdkTemplate is the CDK app's synthesized template, which CDK_TEMPLATE
// names (`make test-cloud` writes it): nil when there is none, after a note
// that what (a half of a proof) is skipped; under CI=true it must be there.
func cdkTemplate(t *testing.T, what string) *cfn.Template {
	t.Helper()
	skip := func(format string, args ...any) *cfn.Template {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Logf("NOTE: "+format+": "+what+" is skipped", args...)
		return nil
	}
	path := os.Getenv(cdkTemplateEnv)
	if path == "" {
		return skip("%s is not set (`make test-cloud` synthesizes the CDK app's template and sets it)", cdkTemplateEnv)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return skip("the CDK app's template: %v", err)
	}
	cdk, err := cfn.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cdk
}

// checkIAM proves every call recorded so far against each template's
// policies: a denied call fails the test, naming the function, the action
// and the resource; the report (calls, denials, unused grants) goes to the
// test's output. Every function of the routes table with grants must have
// made a call.
func (p *iamProof) checkIAM(t *testing.T, c *localcloud.Cloud, sam *cfn.Template) {
	t.Helper()
	if n := p.early.Load(); n > 0 {
		t.Errorf("%d calls came before the recorder was ready", n)
	}
	live := p.live.Load()
	if live == nil {
		t.Fatal("the recorder never started")
	}
	calls := live.rec.Calls()
	byTemplate := policies(t, c, sam)

	callers := map[string]bool{}
	for _, call := range calls {
		callers[call.Function] = true
	}
	for _, f := range routes.All() {
		// A function without grants (openapi) has nothing to prove: any
		// call it made would be denied below.
		if !callers[f.LogicalID()] && len(f.Grants) > 0 {
			t.Errorf("%s made no AWS call: the scenario does not cover it", f.LogicalID())
		}
	}

	for _, name := range slices.Sorted(maps.Keys(byTemplate)) {
		pol := byTemplate[name]
		t.Logf("%s:\n%s", name, iamproof.Report(calls, pol))
		for _, d := range iamproof.Check(calls, pol) {
			t.Errorf("%s: %s may not %s on %s (%s, %d×): %s", name, cmp.Or(d.Function, "an unknown caller"), d.Action, d.Resource, d.Operation, d.Count, d.Reason)
		}
		mutate(t, name, calls, pol)
	}
}

// mutate shows that the proof can fail: each statement that a recorded
// call needed is dropped in turn from a copy of the policies, and that
// call must then be denied, as no statement allows it.
func mutate(t *testing.T, template string, calls []iamproof.Call, pol iamproof.Policies) {
	t.Helper()
	unused := map[string]bool{} // statement source + action + resource
	for _, g := range iamproof.Unused(calls, pol) {
		unused[g.Statement+" "+g.Action+" "+g.Resource] = true
	}
	baseline := map[iamproof.Call]bool{} // denied as written: reported above
	for _, d := range iamproof.Check(calls, pol) {
		baseline[d.Call] = true
	}
	mutants := 0
	for _, fn := range slices.Sorted(maps.Keys(pol)) {
		for i, st := range pol[fn] {
			used := false
			for _, a := range st.Actions {
				for _, r := range st.Resources {
					used = used || !unused[st.Source+" "+a+" "+r]
				}
			}
			if !used {
				continue
			}
			mutants++
			mutant := maps.Clone(pol)
			mutant[fn] = slices.Delete(slices.Clone(pol[fn]), i, i+1)
			var denied []iamproof.Denial
			for _, d := range iamproof.Check(calls, mutant) {
				if !baseline[d.Call] {
					denied = append(denied, d)
				}
			}
			if len(denied) == 0 {
				t.Errorf("%s: without %s, no recorded call is denied", template, st.Source)
			}
			for _, d := range denied {
				if d.Function != fn || d.Reason != "no statement allows it" || !slices.Contains(st.Actions, d.Action) {
					t.Errorf("%s: without %s, %s %s on %s is denied: %s", template, st.Source, d.Function, d.Action, d.Resource, d.Reason)
				}
			}
		}
	}
	t.Logf("%s: the proof can fail: %d statements dropped one at a time, each left the calls it allowed denied", template, mutants)
}
