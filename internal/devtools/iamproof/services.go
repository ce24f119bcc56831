package iamproof

// What each request needs, per the IAM pages of each service: "Actions,
// resources, and condition keys" in the Service Authorization Reference,
// DynamoDB's "Using IAM with transactions", S3's "Required permissions for
// Amazon S3 API operations".

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// transactActions are the actions of a transaction's items, by their kind.
var transactActions = map[string]string{
	"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
	"ConditionCheck": "ConditionCheckItem", "Get": "GetItem",
}

// singleTable are the DynamoDB operations that need their own action on
// the table they name.
var singleTable = []string{
	"GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable", "CreateTable",
	"DeleteTable", "UpdateTable", "DescribeTimeToLive", "UpdateTimeToLive",
}

func dynamoDB(a Account, req *http.Request) ([]authorization, string, error) {
	op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if !ok {
		return nil, describe(req), fmt.Errorf("not a DynamoDB request")
	}
	var body struct {
		TableName, IndexName string
		RequestItems         map[string]json.RawMessage
		TransactItems        []map[string]struct{ TableName string }
	}
	if err := readJSON(req, &body); err != nil {
		return nil, op, err
	}
	var out []authorization
	tableless := false
	on := func(action, table string) {
		tableless = tableless || table == ""
		out = append(out, authorization{"dynamodb:" + action, a.tableARN(table)})
	}
	switch {
	case op == "TransactWriteItems" || op == "TransactGetItems":
		for i, item := range body.TransactItems {
			for kind, target := range item {
				action, ok := transactActions[kind]
				if !ok || len(item) != 1 {
					return nil, op, fmt.Errorf("DynamoDB %s item %d is not understood", op, i)
				}
				on(action, target.TableName)
			}
		}
	case op == "BatchWriteItem" || op == "BatchGetItem":
		for _, table := range slices.Sorted(maps.Keys(body.RequestItems)) {
			on(op, table)
		}
	case op == "Query" || op == "Scan":
		on(op, body.TableName)
		if body.IndexName != "" {
			out[0].resource += "/index/" + body.IndexName
		}
	case slices.Contains(singleTable, op):
		on(op, body.TableName)
	case op == "ListTables":
		out = append(out, authorization{"dynamodb:ListTables", "*"})
	default:
		return nil, op, fmt.Errorf("DynamoDB %s is not understood", op)
	}
	if tableless || len(out) == 0 {
		return nil, op, fmt.Errorf("DynamoDB %s names no table", op)
	}
	return out, op, nil
}

// s3Params are the query parameters that do not change which operation an
// S3 request is (besides presigning's X-Amz-* and GetObject's response-*).
// Any other (versionId, acl, tagging, ...) makes a request not understood.
var s3Params = []string{
	"x-id", "list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
	"fetch-owner", "encoding-type", "marker", "key-marker", "upload-id-marker", "max-uploads",
	"max-parts", "part-number-marker", "partNumber", "uploadId", "uploads", "delete",
}

// s3Operations are the S3 requests understood, by method, whether they name
// an object, and a query parameter they have; the first that fits decides.
var s3Operations = []struct {
	method     string
	object     bool
	param      string
	op, action string
}{
	{"GET", false, "uploads", "ListMultipartUploads", "s3:ListBucketMultipartUploads"},
	{"GET", false, "list-type", "ListObjectsV2", "s3:ListBucket"},
	{"GET", false, "", "ListObjects", "s3:ListBucket"},
	{"HEAD", false, "", "HeadBucket", "s3:ListBucket"},
	{"PUT", false, "", "CreateBucket", "s3:CreateBucket"},
	{"POST", false, "delete", "DeleteObjects", "s3:DeleteObject"}, // on each key of the body
	{"GET", true, "uploadId", "ListParts", "s3:ListMultipartUploadParts"},
	{"GET", true, "", "GetObject", "s3:GetObject"},
	{"HEAD", true, "", "HeadObject", "s3:GetObject"},
	{"PUT", true, "partNumber", "UploadPart", "s3:PutObject"},
	{"PUT", true, "", "PutObject", "s3:PutObject"},
	{"POST", true, "uploads", "CreateMultipartUpload", "s3:PutObject"},
	{"POST", true, "uploadId", "CompleteMultipartUpload", "s3:PutObject"},
	{"DELETE", true, "uploadId", "AbortMultipartUpload", "s3:AbortMultipartUpload"},
	{"DELETE", true, "", "DeleteObject", "s3:DeleteObject"},
}

// s3 reads a path-style request: /<bucket>/<key>.
func s3(a Account, req *http.Request) ([]authorization, string, error) {
	q := req.URL.Query()
	for k := range q {
		if !slices.Contains(s3Params, k) && !strings.HasPrefix(k, "response-") && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			return nil, describe(req), fmt.Errorf("S3 request with ?%s is not understood", k)
		}
	}
	// Copies, ACLs and tagging need more than the operation's action.
	for _, h := range []string{"X-Amz-Copy-Source", "X-Amz-Acl", "X-Amz-Tagging"} {
		if req.Header.Get(h) != "" {
			return nil, describe(req), fmt.Errorf("S3 request with %s is not understood", h)
		}
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	for _, o := range s3Operations {
		if o.method != req.Method || o.object != (key != "") || (o.param != "" && !q.Has(o.param)) || bucket == "" {
			continue
		}
		if x := q.Get("x-id"); x != "" && x != o.op {
			break // the SDK meant another operation
		}
		op := o.op
		if q.Has("X-Amz-Credential") {
			op += " (presigned URL)"
		}
		if o.op == "DeleteObjects" {
			objects, err := deleteObjects(a, req, bucket)
			return objects, op, err
		}
		arn := a.bucketARN(bucket)
		if o.object {
			arn = a.objectARN(bucket, key)
		}
		return []authorization{{o.action, arn}}, op, nil
	}
	return nil, describe(req), fmt.Errorf("S3 request is not understood")
}

// deleteObjects is what a DeleteObjects needs: to delete each key its XML
// body lists (a version is not understood: it needs DeleteObjectVersion).
func deleteObjects(a Account, req *http.Request, bucket string) ([]authorization, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	var del struct {
		Objects []struct{ Key, VersionId string } `xml:"Object"`
	}
	if err := xml.Unmarshal(body, &del); err != nil || len(del.Objects) == 0 {
		return nil, fmt.Errorf("S3 DeleteObjects body lists no keys (%v)", err)
	}
	var out []authorization
	for _, o := range del.Objects {
		if o.VersionId != "" {
			return nil, fmt.Errorf("S3 DeleteObjects of a version is not understood")
		}
		out = append(out, authorization{"s3:DeleteObject", a.objectARN(bucket, o.Key)})
	}
	return out, nil
}

// lambda reads Invoke (POST /2015-03-31/functions/<name>/invocations) and
// InvokeWithResponseStream (POST /2021-11-15/functions/<name>/
// response-streaming-invocations); both need lambda:InvokeFunction.
func lambda(a Account, req *http.Request) ([]authorization, string, error) {
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/"), "/")
	if req.Method != http.MethodPost || len(parts) != 4 || parts[1] != "functions" {
		return nil, describe(req), fmt.Errorf("Lambda request is not understood")
	}
	op := map[string]string{
		"2015-03-31 invocations":                    "Invoke",
		"2021-11-15 response-streaming-invocations": "InvokeWithResponseStream",
	}[parts[0]+" "+parts[3]]
	if op == "" {
		return nil, describe(req), fmt.Errorf("Lambda request is not understood")
	}
	arn := a.functionARN(parts[2], req.URL.Query().Get("Qualifier"))
	return []authorization{{"lambda:InvokeFunction", arn}}, op, nil
}

// ssm reads GetParameter and GetParameters, each of which needs its own
// action on every parameter it names.
func ssm(a Account, req *http.Request) ([]authorization, string, error) {
	op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), "AmazonSSM.")
	if !ok {
		return nil, describe(req), fmt.Errorf("not an SSM request")
	}
	var body struct {
		Name  string
		Names []string
	}
	if err := readJSON(req, &body); err != nil {
		return nil, op, err
	}
	names := body.Names
	switch op {
	case "GetParameter":
		names = []string{body.Name}
	case "GetParameters":
	default:
		return nil, op, fmt.Errorf("SSM %s is not understood", op)
	}
	if len(names) == 0 || slices.Contains(names, "") {
		return nil, op, fmt.Errorf("SSM %s names no parameter", op)
	}
	var out []authorization
	for _, name := range names {
		out = append(out, authorization{"ssm:" + op, a.parameterARN(name)})
	}
	return out, op, nil
}

// readBody reads req's body and puts it back for forwarding. Only the small
// bodies of JSON requests and DeleteObjects are read.
func readBody(req *http.Request) ([]byte, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return body, nil
}

func readJSON(req *http.Request, v any) error {
	body, err := readBody(req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// describe is a request not understood as its method, path and query
// parameter names (not values: a presigned URL's carry its signature).
func describe(req *http.Request) string {
	s := req.Method + " " + req.URL.Path
	if keys := slices.Sorted(maps.Keys(req.URL.Query())); len(keys) > 0 {
		s += "?" + strings.Join(keys, "&")
	}
	return s
}
