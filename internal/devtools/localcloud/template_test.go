package localcloud

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/metrics"
	"github.com/zocket/agent/routes"
)

const verifyValue = "origin-verify-value-0123456789abcdef0123"

// readTemplate parses the repository's template.yaml.
func readTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	tpl, err := cfn.ReadFile("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// testConfig reads a template with the origin's value in a local
// Parameter Store, as a String.
func testConfig(params map[string]string, secure bool) stackConfig {
	return stackConfig{
		name: "test-stack", region: "eu-west-1", account: "111122223333", parameters: params,
		ssm: func(name string) (string, bool, bool) {
			if name == "/ai-coding-agent/dev/origin-verify" {
				return verifyValue, secure, true
			}
			return "", false, false
		},
	}
}

func TestReadTemplate(t *testing.T) {
	st, err := readStack(readTemplate(t), testConfig(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	if st.table == nil || st.table.name != "test-stack-Table" || st.bucket != "test-stack-bucket" {
		t.Fatalf("table %+v, bucket %q", st.table, st.bucket)
	}
	byID := map[string]*function{}
	for _, fn := range st.functions {
		byID[fn.logicalID] = fn
	}
	if len(byID) != len(routes.All()) {
		t.Errorf("%d functions, the routes table has %d", len(byID), len(routes.All()))
	}
	for _, rf := range routes.All() {
		fn := byID[rf.LogicalID()]
		if fn == nil {
			t.Errorf("no function %s", rf.LogicalID())
			continue
		}
		var keys []string
		for k := range fn.env {
			keys = append(keys, k)
		}
		want := append([]string{"TABLE_NAME", "CORS_ORIGINS", "VERSION", "GOGC", metrics.NamespaceVariable, metrics.ServiceVariable}, rf.Environment()...)
		slices.Sort(keys)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("%s: variables %v, want %v", fn.logicalID, keys, want)
		}
		values := map[string]string{
			"TABLE_NAME": "test-stack-Table", "S3_BUCKET_NAME": "test-stack-bucket",
			"BUILD_FUNCTION_NAME": "test-stack-BuildFunction", "JWT_SECRET_PARAM": "/ai-coding-agent/dev/jwt-secret",
			"ORIGIN_VERIFY_PARAM": "/ai-coding-agent/dev/origin-verify", "DEFAULT_CREDITS": "20", "PUBLIC_URL": "",
			"CORS_ORIGINS": "http://localhost:3000,http://localhost:5173", "VERSION": "dev",
			"GOGC": routes.GCPercent, metrics.NamespaceVariable: "test-stack", metrics.ServiceVariable: metrics.DefaultService,
		}
		for k, v := range values {
			if got, ok := fn.env[k]; ok && got != v {
				t.Errorf("%s: %s = %q, want %q", fn.logicalID, k, got, v)
			}
		}
		if fn.timeout != time.Duration(rf.Timeout())*time.Second || fn.memoryMB != rf.Memory() {
			t.Errorf("%s: timeout %s, memory %d; want %ds, %d", fn.logicalID, fn.timeout, fn.memoryMB, rf.Timeout(), rf.Memory())
		}
		if fn.reserved != -1 {
			t.Errorf("%s: reserved concurrency %d without the parameter", fn.logicalID, fn.reserved)
		}
		if want := "/aws/lambda/test-stack/" + rf.Name; fn.logGroup != want {
			t.Errorf("%s: log group %q, want %q", fn.logicalID, fn.logGroup, want)
		}
		switch {
		case rf.StreamURL:
			if fn.url == nil || !fn.url.stream || len(fn.routes) != 0 {
				t.Errorf("%s: url %+v, routes %v: want a streaming Function URL only", fn.logicalID, fn.url, fn.routes)
			}
		case rf.Path == "":
			if len(fn.routes) != 0 || fn.url != nil {
				t.Errorf("%s: reachable over HTTP", fn.logicalID)
			}
		default:
			if len(fn.routes) != 1 || fn.routes[0].method != rf.Method || fn.routes[0].path != rf.Path {
				t.Errorf("%s: routes %v, want %s %s", fn.logicalID, fn.routes, rf.Method, rf.Path)
			}
		}
	}

	if st.api == nil || st.api.stage != "$default" || st.api.cors == nil ||
		!slices.Equal(st.api.cors.AllowOrigins, []string{"http://localhost:3000", "http://localhost:5173"}) || st.api.cors.MaxAge != 600 {
		t.Errorf("api %+v, cors %+v", st.api, st.api.cors)
	}
	d := st.dist
	if d == nil || len(d.behaviors) != len(routes.StreamPaths)+len(routes.AssetPaths)+1 {
		t.Fatalf("distribution %+v", d)
	}
	for i, pattern := range routes.StreamPaths {
		if b := d.behaviors[i]; b.pattern != pattern || b.origin != "Stream" || !b.dropHost || b.viewerRequest == nil || b.cache {
			t.Errorf("behavior %d %+v", i, b)
		}
	}
	for i, pattern := range routes.AssetPaths {
		if b := d.behaviors[len(routes.StreamPaths)+i]; b.pattern != pattern || b.origin != "Api" || !b.cache || !slices.Equal(b.methods, []string{"GET", "HEAD"}) {
			t.Errorf("asset behavior %d %+v", i, b)
		}
	}
	if b := d.behaviors[len(d.behaviors)-1]; b.pattern != "*" || b.origin != "Api" || !b.dropHost || b.viewerRequest == nil {
		t.Errorf("default behavior %+v", b)
	}
	chatURL := byID["ChatStreamFunction"].url
	if d.origins["Stream"].domain != chatURL.domain || d.origins["Api"].domain != st.api.domain || d.origins["Stream"].readTimeout != 60*time.Second {
		t.Errorf("origins %+v %+v; url %s, api %s", d.origins["Stream"], d.origins["Api"], chatURL.domain, st.api.domain)
	}
	for _, o := range d.origins {
		if len(o.headers) != 1 || o.headers[0] != [2]string{"X-Origin-Verify", verifyValue} {
			t.Errorf("origin %s headers %v", o.id, o.headers)
		}
	}
	if !strings.HasSuffix(st.api.domain, ".execute-api.eu-west-1.amazonaws.com") || !strings.HasSuffix(chatURL.domain, ".lambda-url.eu-west-1.on.aws") {
		t.Errorf("domains %s %s", st.api.domain, chatURL.domain)
	}
	wantOutputs := map[string]string{
		"Url": "https://" + d.domain, "ApiUrl": "https://" + st.api.domain, "StreamUrl": "https://" + chatURL.domain + "/",
		"TableName": "test-stack-Table", "BucketName": "test-stack-bucket",
	}
	for k, v := range wantOutputs {
		if st.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, st.outputs[k], v)
		}
	}

	t.Run("reserved concurrency from its parameter", func(t *testing.T) {
		st, err := readStack(readTemplate(t), testConfig(map[string]string{"ChatReservedConcurrency": "5"}, false))
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range st.functions {
			want := -1
			for _, f := range routes.All() {
				if f.LogicalID() == fn.logicalID && f.ReservedConcurrency != "" {
					want = 5
				}
			}
			if fn.reserved != want {
				t.Errorf("%s: reserved %d, want %d", fn.logicalID, fn.reserved, want)
			}
		}
	})
}

// TestTemplateFailsLoudly changes the template in ways the local stack
// cannot run as AWS would, and checks that each fails the start with a
// message that says what.
func TestTemplateFailsLoudly(t *testing.T) {
	env := func(tpl *cfn.Template, fn string) map[string]any {
		return tpl.Resources[fn].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	tests := []struct {
		name    string
		params  map[string]string
		secure  bool
		mutate  func(*cfn.Template)
		wantErr string
	}{
		{"a value outside AllowedValues", map[string]string{"Stage": "qa"}, false, nil, `"qa" is not one of`},
		{"an unknown parameter", map[string]string{"Nope": "1"}, false, nil, "no such parameter"},
		{"a SecureString through resolve:ssm", nil, true, nil, "SecureString"},
		{"an unsupported intrinsic", nil, false, func(tpl *cfn.Template) {
			env(tpl, "HealthFunction")["X"] = map[string]any{"Fn::FindInMap": []any{"M", "a", "b"}}
		}, "Fn::FindInMap is not supported"},
		{"a Ref to nothing", nil, false, func(tpl *cfn.Template) {
			env(tpl, "HealthFunction")["X"] = map[string]any{"Ref": "Nothing"}
		}, "Ref Nothing"},
		{"an unknown attribute", nil, false, func(tpl *cfn.Template) {
			env(tpl, "HealthFunction")["X"] = map[string]any{"Fn::Sub": "${Table.StreamArn}"}
		}, "Table.StreamArn"},
		{"a reserved variable", nil, false, func(tpl *cfn.Template) {
			env(tpl, "HealthFunction")["AWS_REGION"] = "eu-west-1"
		}, ""}, // checked at Start, not here
		{"CloudFront function code it does not know", nil, false, func(tpl *cfn.Template) {
			p := tpl.Resources["ForwardHostFunction"].Properties
			p["FunctionCode"] = strings.Replace(p["FunctionCode"].(string), "x-forwarded-host", "x-viewer-host", 1)
		}, "does not run JavaScript"},
		{"a cache policy that caches", nil, false, func(tpl *cfn.Template) {
			dc := tpl.Resources["Distribution"].Properties["DistributionConfig"].(map[string]any)
			dc["DefaultCacheBehavior"].(map[string]any)["CachePolicyId"] = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d" // CachingOptimizedForUncompressedObjects
		}, "CachingDisabled (4135ea2d-6df8-44a3-9df3-4b5a84be39ad) and CachingOptimized"},
		{"an unsupported resource", nil, false, func(tpl *cfn.Template) {
			tpl.Resources["Queue"] = cfn.Resource{Type: "AWS::SQS::Queue"}
		}, "AWS::SQS::Queue is not supported"},
		{"an event type it does not serve", nil, false, func(tpl *cfn.Template) {
			tpl.Resources["HealthFunction"].Properties["Events"].(map[string]any)["Api"].(map[string]any)["Type"] = "Api"
		}, "event type Api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := readTemplate(t)
			if tt.mutate != nil {
				tt.mutate(tpl)
			}
			_, err := readStack(tpl, testConfig(tt.params, tt.secure))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("the origin's parameter missing from Parameter Store", func(t *testing.T) {
		cfg := testConfig(nil, false)
		cfg.ssm = func(string) (string, bool, bool) { return "", false, false }
		if _, err := readStack(readTemplate(t), cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("err = %v", err)
		}
	})
}
