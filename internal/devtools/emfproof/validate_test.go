package emfproof_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zocket/agent/internal/devtools/emfproof"
)

// TestValidate: a document that keeps the specification's rules passes;
// each rule broken is reported.
func TestValidate(t *testing.T) {
	now := time.UnixMilli(1_765_000_000_000)
	doc := func(aws, rest string) string { return `{"_aws":` + aws + rest + `}` }
	meta := func(ts, directives string) string {
		return `{"Timestamp":` + ts + `,"CloudWatchMetrics":` + directives + `}`
	}
	directive := func(dims, metrics string) string {
		return `[{"Namespace":"stack","Dimensions":` + dims + `,"Metrics":` + metrics + `}]`
	}
	good := directive(`[["service"],[]]`, `[{"Name":"Latency","Unit":"Milliseconds","StorageResolution":60},{"Name":"Lag"}]`)
	many := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(item, i)
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		name, line, want string
	}{
		{"valid", doc(meta("1765000000000", good), `,"service":"svc","Latency":12.5,"Lag":[1,2,3],"requestId":"x"`), ""},
		{"not JSON", `{"_aws":`, "not JSON"},
		{"text before", `INFO {"_aws":{}}`, "not a JSON object"},
		{"data after", doc(meta("1765000000000", good), `,"service":"svc","Latency":1,"Lag":1`) + ` trailing`, "data after"},
		{"no timestamp", doc(`{"CloudWatchMetrics":`+good+`}`, `,"service":"svc","Latency":1,"Lag":1`), "Timestamp: missing"},
		{"seconds", doc(meta("1765000000", good), `,"service":"svc","Latency":1,"Lag":1`), "not milliseconds"},
		{"fractional timestamp", doc(meta("1765000000000.5", good), `,"service":"svc","Latency":1,"Lag":1`), "not an integer"},
		{"no directives", doc(`{"Timestamp":1765000000000}`, ""), "CloudWatchMetrics: missing"},
		{"extra member", doc(`{"Timestamp":1765000000000,"CloudWatchMetrics":`+good+`,"Other":1}`, `,"service":"svc","Latency":1,"Lag":1`), "member Other"},
		{"31 dimensions", doc(meta("1765000000000", directive(`[[`+many(31, `"d%d"`)+`]]`, `[{"Name":"Latency"}]`)), `,`+many(31, `"d%d":"v"`)+`,"Latency":1`), "31 dimensions"},
		{"101 metrics", doc(meta("1765000000000", directive(`[[]]`, `[`+many(101, `{"Name":"m%d"}`)+`]`)), `,`+many(101, `"m%d":1`)), "101 MetricDefinitions"},
		{"no dimension sets", doc(meta("1765000000000", directive(`[]`, `[{"Name":"Latency"}]`)), `,"Latency":1`), "at least one DimensionSet"},
		{"missing dimension", doc(meta("1765000000000", good), `,"Latency":1,"Lag":1`), "service is missing"},
		{"dimension not a string", doc(meta("1765000000000", good), `,"service":3,"Latency":1,"Lag":1`), "service is missing, or not a string"},
		{"blank dimension", doc(meta("1765000000000", good), `,"service":" ","Latency":1,"Lag":1`), "not all spaces"},
		{"missing metric", doc(meta("1765000000000", good), `,"service":"svc","Lag":1`), "Latency: missing"},
		{"metric a string", doc(meta("1765000000000", good), `,"service":"svc","Latency":"12","Lag":1`), "is not a number"},
		{"101 values", doc(meta("1765000000000", good), `,"service":"svc","Latency":1,"Lag":[`+many(101, `%d`)+`]`), "101 values"},
		{"unknown unit", doc(meta("1765000000000", directive(`[["service"]]`, `[{"Name":"Latency","Unit":"ms"}]`)), `,"service":"svc","Latency":1`), "not a CloudWatch unit"},
		{"bad resolution", doc(meta("1765000000000", directive(`[["service"]]`, `[{"Name":"Latency","StorageResolution":5}]`)), `,"service":"svc","Latency":1`), "want 1 or 60"},
		{"dimension and metric", doc(meta("1765000000000", directive(`[["service"]]`, `[{"Name":"service"}]`)), `,"service":"svc"`), "both a dimension and a metric"},
		{"twice", `{"_aws":` + meta("1765000000000", good) + `,"service":"svc","Latency":1,"Lag":1,"Lag":2}`, "member Lag twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := emfproof.Validate([]byte(tt.line), now)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%v\n%s", err, tt.line)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want it to say %q\n%s", err, tt.want, tt.line)
			}
		})
	}
	d, err := emfproof.Validate([]byte(tests[0].line), now)
	if err != nil || len(d.Series) != 4 || d.Series[0].Dimensions["service"] != "svc" || len(d.Series[1].Dimensions) != 0 || len(d.Series[3].Values) != 3 || d.Series[3].Unit != "None" {
		t.Errorf("series %+v", d.Series)
	}
}
