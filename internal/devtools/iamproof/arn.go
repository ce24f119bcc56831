package iamproof

import (
	"fmt"
	"strings"
)

// Account is where the deployed stack runs: the partition, region and
// account ID of every ARN the proof compares.
type Account struct {
	Partition string // "aws"
	Region    string // "eu-west-1"
	ID        string // "123456789012"
}

func (a Account) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, a.Region, a.ID, resource)
}

// tableARN accepts a table's name or, as DynamoDB does, its ARN.
func (a Account) tableARN(table string) string {
	if strings.HasPrefix(table, "arn:") {
		return table
	}
	return a.arn("dynamodb", "table/"+table)
}

func (a Account) bucketARN(bucket string) string {
	return "arn:" + a.Partition + ":s3:::" + bucket
}

func (a Account) objectARN(bucket, key string) string {
	return a.bucketARN(bucket) + "/" + key
}

// functionARN is what IAM authorizes an invocation on: the function's ARN,
// with the qualifier (version or alias) when the request names one. Lambda
// accepts a name, a partial ARN ("account:function:name") or an ARN, each
// possibly ending in ":qualifier".
func (a Account) functionARN(function, qualifier string) string {
	arn := function
	switch {
	case strings.HasPrefix(function, "arn:"):
	case strings.Contains(function, ":function:"):
		arn = fmt.Sprintf("arn:%s:lambda:%s:%s", a.Partition, a.Region, function)
	default:
		arn = a.arn("lambda", "function:"+function)
	}
	if qualifier != "" && strings.Count(arn, ":") == 6 {
		arn += ":" + qualifier
	}
	return arn
}

// parameterARN is the ARN of an SSM parameter: "parameter" followed by its
// name, which gains a leading slash if it has none. A version or label
// selector ("/name:3") is not part of it.
func (a Account) parameterARN(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	name, _, _ = strings.Cut(name, ":")
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return a.arn("ssm", "parameter"+name)
}
