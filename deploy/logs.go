package deploy

import (
	"strconv"

	"github.com/zocket/agent/internal/metrics"
)

// Logs: one log group per function, kept LogRetentionDays, and the
// variables that name the metrics' namespace and service.

// logRetentionDays is the LogRetentionDays parameter's default: a month of
// logs to look back on after an incident, and no more paid for. A string,
// as its allowed values are.
const logRetentionDays = "30"

// retentionDays are the retention periods CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func retentionValues() []string {
	out := make([]string, len(retentionDays))
	for i, d := range retentionDays {
		out[i] = strconv.Itoa(d)
	}
	return out
}

// LogGroupID is the logical ID of f's log group.
func (f Function) LogGroupID() string { return f.LogicalID + "LogGroup" }

// logGroup is f's log group: /aws/lambda/<stack>/<function>, kept
// LogRetentionDays. The function's LoggingConfig.LogGroup names it, so
// Lambda writes there instead of a group of its own making, which would
// keep every line forever.
func logGroup(f Function) Resource {
	return Resource{
		LogicalID: f.LogGroupID(), Type: "AWS::Logs::LogGroup",
		Properties: map[string]any{
			"LogGroupName":    Sub("/aws/lambda/${AWS::StackName}/" + f.Name),
			"RetentionInDays": Ref("LogRetentionDays"),
		},
	}
}

// metricsEnvironment names, for every function, the metrics' namespace
// (the stack's name: one per stack) and the service dimension's value
// (Lambda Powertools' variables).
var metricsEnvironment = map[string]any{
	metrics.NamespaceVariable: Ref("AWS::StackName"),
	metrics.ServiceVariable:   metrics.DefaultService,
}
