package iamproof_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/truora/minidyn/server"

	"github.com/zocket/agent/internal/devtools/iamproof"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/internal/store"
)

// The deployed stack the tests name, and its resources' physical names.
var account = iamproof.Account{Partition: "aws", Region: "us-east-1", ID: "123456789012"}

const (
	table     = "iam-table"
	bucket    = "iam-bucket"
	build     = "iam-build"
	jwtParam  = "/iam/jwt-secret"
	tableARN  = "arn:aws:dynamodb:us-east-1:123456789012:table/" + table
	bucketARN = "arn:aws:s3:::" + bucket
	buildARN  = "arn:aws:lambda:us-east-1:123456789012:function:" + build
	paramARN  = "arn:aws:ssm:us-east-1:123456789012:parameter"
)

// Each function signs with its own access key, as each runs as its own
// process with its own role.
var callers = map[string]string{
	"AKIACHATSEND":     "ChatSendFunction",
	"AKIACONVDELETE":   "ConversationsDeleteFunction",
	"AKIACONVGET":      "ConversationsGetFunction",
	"AKIAARTIFACTSGET": "ArtifactsGetFunction",
}

// stack is the local stand-ins, each behind a recorder.
type stack struct {
	rec                                 *iamproof.Recorder
	dynamoURL, s3URL, lambdaURL, ssmURL string
	firstChunkRead                      chan struct{} // the client has the stream's first chunk
	stalled                             atomic.Bool   // the stream's first chunk did not reach the client
}

func newStack(t *testing.T) *stack {
	t.Helper()
	st := &stack{rec: iamproof.NewRecorder(account, callers), firstChunkRead: make(chan struct{})}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	behind := func(service iamproof.Service, local string) string {
		target, err := url.Parse(local)
		if err != nil {
			t.Fatal(err)
		}
		return serve(st.rec.Proxy(service, target))
	}
	dynamo := serve(server.NewServer())
	fakeS3 := serve(gofakes3.New(s3mem.New(), gofakes3.WithoutVersioning()).Server())
	st.dynamoURL = behind(iamproof.DynamoDB, dynamo)
	st.s3URL = behind(iamproof.S3, fakeS3)
	st.lambdaURL = behind(iamproof.Lambda, serve(st.invokeServer()))
	st.ssmURL = behind(iamproof.SSM, serve(http.HandlerFunc(parameterServer)))

	// Set-up goes to the stand-ins directly, unrecorded.
	setup := clientsFor("setup", dynamo, fakeS3, "", "")
	ctx := context.Background()
	if _, err := setup.dynamo.CreateTable(ctx, store.CreateTableInput(table)); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"code-artifacts/a.js", "builds/a/index.html"} {
		if _, err := setup.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("content of " + key)}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// clients are one function's AWS clients, built as the functions build
// theirs, signing with its access key; calls are not retried, so each
// makes exactly one request.
type clients struct {
	dynamo *dynamodb.Client
	s3     *s3.Client
	lambda *lambda.Client
	ssm    *ssm.Client
}

func (st *stack) as(accessKey string) clients {
	return clientsFor(accessKey, st.dynamoURL, st.s3URL, st.lambdaURL, st.ssmURL)
}

func clientsFor(accessKey, dynamoURL, s3URL, lambdaURL, ssmURL string) clients {
	cfg := aws.Config{
		Region:           account.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret-"+accessKey, ""),
		RetryMaxAttempts: 1,
	}
	return clients{
		dynamo: settings.DynamoDBClient(cfg, dynamoURL),
		s3:     settings.S3Client(cfg, s3URL),
		lambda: settings.LambdaClient(cfg, lambdaURL),
		ssm:    ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(ssmURL) }),
	}
}

// invokeServer stands in for the Lambda Invoke API. Its streamed answer
// waits, after the first chunk, until the client has read that chunk: a
// proxy that buffered the response would stall it.
func (st *stack) invokeServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"built":true}`)
	})
	mux.HandleFunc("POST /2021-11-15/functions/{name}/response-streaming-invocations", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		_, _ = w.Write(event("PayloadChunk", "application/octet-stream", []byte("first ")))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-st.firstChunkRead:
		case <-time.After(5 * time.Second):
			st.stalled.Store(true)
		}
		_, _ = w.Write(event("PayloadChunk", "application/octet-stream", []byte("second")))
		_, _ = w.Write(event("InvokeComplete", "application/json", []byte(`{}`)))
	})
	return mux
}

// event is one message of the AWS event stream encoding: a prelude (total
// and header lengths, CRC), string headers, the payload, a CRC of it all.
func event(eventType, contentType string, payload []byte) []byte {
	var headers bytes.Buffer
	for _, h := range [][2]string{{":message-type", "event"}, {":event-type", eventType}, {":content-type", contentType}} {
		headers.WriteByte(byte(len(h[0])))
		headers.WriteString(h[0])
		headers.WriteByte(7) // string
		_ = binary.Write(&headers, binary.BigEndian, uint16(len(h[1])))
		headers.WriteString(h[1])
	}
	var m bytes.Buffer
	_ = binary.Write(&m, binary.BigEndian, []uint32{uint32(12 + headers.Len() + len(payload) + 4), uint32(headers.Len())})
	_ = binary.Write(&m, binary.BigEndian, crc32.ChecksumIEEE(m.Bytes()))
	m.Write(headers.Bytes())
	m.Write(payload)
	_ = binary.Write(&m, binary.BigEndian, crc32.ChecksumIEEE(m.Bytes()))
	return m.Bytes()
}

// parameterServer stands in for SSM's GetParameter and GetParameters: every
// parameter exists, its value derived from its name.
func parameterServer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name  string
		Names []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	param := func(name string) map[string]any {
		return map[string]any{"Name": name, "Type": "SecureString", "Value": "value of " + name, "Version": 1}
	}
	var out map[string]any
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSSM.GetParameter":
		out = map[string]any{"Parameter": param(in.Name)}
	case "AmazonSSM.GetParameters":
		var params []any
		for _, n := range in.Names {
			params = append(params, param(n))
		}
		out = map[string]any{"Parameters": params, "InvalidParameters": []string{}}
	default:
		http.Error(w, "unsupported", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func key(pk, sk string) map[string]dtypes.AttributeValue {
	return map[string]dtypes.AttributeValue{"PK": &dtypes.AttributeValueMemberS{Value: pk}, "SK": &dtypes.AttributeValueMemberS{Value: sk}}
}

func call(fn, op, action, resource string) iamproof.Call {
	return iamproof.Call{Function: fn, Operation: op, Action: action, Resource: resource}
}

// TestRecorder drives the real SDK through the recorders to the real local
// stand-ins and checks exactly what each request is recorded as needing.
func TestRecorder(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	const chat, convDelete, convGet = "ChatSendFunction", "ConversationsDeleteFunction", "ConversationsGetFunction"
	tests := []struct {
		name string
		key  string // access key
		do   func(t *testing.T, c clients)
		want []iamproof.Call
	}{
		{"transaction of four kinds of item", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.dynamo.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []dtypes.TransactWriteItem{
				{Put: &dtypes.Put{TableName: aws.String(table), Item: key("U#1", "MSG#1")}},
				{Update: &dtypes.Update{TableName: aws.String(table), Key: key("U#1", "CONV#1"), UpdateExpression: aws.String("SET n = :one"),
					ExpressionAttributeValues: map[string]dtypes.AttributeValue{":one": &dtypes.AttributeValueMemberN{Value: "1"}}}},
				{Delete: &dtypes.Delete{TableName: aws.String(table), Key: key("U#1", "OLD#1")}},
				{ConditionCheck: &dtypes.ConditionCheck{TableName: aws.String(table), Key: key("U#1", "PROFILE"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			}})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "TransactWriteItems", "dynamodb:PutItem", tableARN),
			call(chat, "TransactWriteItems", "dynamodb:UpdateItem", tableARN),
			call(chat, "TransactWriteItems", "dynamodb:DeleteItem", tableARN),
			call(chat, "TransactWriteItems", "dynamodb:ConditionCheckItem", tableARN),
		}},
		{"transaction of reads", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.dynamo.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []dtypes.TransactGetItem{
				{Get: &dtypes.Get{TableName: aws.String(table), Key: key("U#1", "MSG#1")}},
				{Get: &dtypes.Get{TableName: aws.String(table), Key: key("U#1", "CONV#1")}},
			}})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "TransactGetItems", "dynamodb:GetItem", tableARN),
			call(chat, "TransactGetItems", "dynamodb:GetItem", tableARN),
		}},
		{"batch write", "AKIACONVDELETE", func(t *testing.T, c clients) {
			_, err := c.dynamo.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]dtypes.WriteRequest{table: {
				{DeleteRequest: &dtypes.DeleteRequest{Key: key("U#1", "MSG#1")}},
				{DeleteRequest: &dtypes.DeleteRequest{Key: key("U#1", "MSG#2")}},
			}}})
			must(t, err)
		}, []iamproof.Call{call(convDelete, "BatchWriteItem", "dynamodb:BatchWriteItem", tableARN)}},
		{"batch get", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.dynamo.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]dtypes.KeysAndAttributes{table: {
				Keys: []map[string]dtypes.AttributeValue{key("U#1", "CONV#1")},
			}}})
			must(t, err)
		}, []iamproof.Call{call(chat, "BatchGetItem", "dynamodb:BatchGetItem", tableARN)}},
		{"query on an index", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.dynamo.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("GSI1"),
				KeyConditionExpression:    aws.String("GSI1PK = :pk"),
				ExpressionAttributeValues: map[string]dtypes.AttributeValue{":pk": &dtypes.AttributeValueMemberS{Value: "U#1"}}})
			must(t, err)
		}, []iamproof.Call{call(chat, "Query", "dynamodb:Query", tableARN+"/index/GSI1")}},
		{"query on the table", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.dynamo.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
				ExpressionAttributeValues: map[string]dtypes.AttributeValue{":pk": &dtypes.AttributeValueMemberS{Value: "U#1"}}})
			must(t, err)
		}, []iamproof.Call{call(chat, "Query", "dynamodb:Query", tableARN)}},
		{"put object", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/b.js"), Body: strings.NewReader("b")})
			must(t, err)
		}, []iamproof.Call{call(chat, "PutObject", "s3:PutObject", bucketARN+"/code-artifacts/b.js")}},
		{"get and head object", "AKIACHATSEND", func(t *testing.T, c clients) {
			out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/a.js")})
			must(t, err)
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(body) != "content of code-artifacts/a.js" {
				t.Errorf("body %q", body)
			}
			_, err = c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/a.js")})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "GetObject", "s3:GetObject", bucketARN+"/code-artifacts/a.js"),
			call(chat, "HeadObject", "s3:GetObject", bucketARN+"/code-artifacts/a.js"),
		}},
		{"reads of a missing key", "AKIACONVGET", func(t *testing.T, c clients) {
			_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/none.js")})
			var missing *stypes.NoSuchKey
			if !errors.As(err, &missing) {
				t.Errorf("GetObject: %v, want NoSuchKey", err)
			}
			_, err = c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/none.js")})
			var notFound *stypes.NotFound
			if !errors.As(err, &notFound) {
				t.Errorf("HeadObject: %v, want NotFound", err)
			}
		}, []iamproof.Call{
			call(convGet, "GetObject", "s3:GetObject", bucketARN+"/code-artifacts/none.js"),
			call(convGet, "GetObject of a missing key", "s3:ListBucket", bucketARN),
			call(convGet, "HeadObject", "s3:GetObject", bucketARN+"/code-artifacts/none.js"),
			call(convGet, "HeadObject of a missing key", "s3:ListBucket", bucketARN),
		}},
		{"list and head bucket", "AKIACONVDELETE", func(t *testing.T, c clients) {
			_, err := c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("code-artifacts/")})
			must(t, err)
			_, err = c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			must(t, err)
		}, []iamproof.Call{
			call(convDelete, "ListObjectsV2", "s3:ListBucket", bucketARN),
			call(convDelete, "HeadBucket", "s3:ListBucket", bucketARN),
		}},
		{"delete objects", "AKIACONVDELETE", func(t *testing.T, c clients) {
			_, err := c.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &stypes.Delete{Objects: []stypes.ObjectIdentifier{
				{Key: aws.String("code-artifacts/a.js")}, {Key: aws.String("code-artifacts/b.js")}, {Key: aws.String("code-artifacts/dir/c.js")},
			}}})
			must(t, err)
		}, []iamproof.Call{
			call(convDelete, "DeleteObjects", "s3:DeleteObject", bucketARN+"/code-artifacts/a.js"),
			call(convDelete, "DeleteObjects", "s3:DeleteObject", bucketARN+"/code-artifacts/b.js"),
			call(convDelete, "DeleteObjects", "s3:DeleteObject", bucketARN+"/code-artifacts/dir/c.js"),
		}},
		{"multipart upload, completed and aborted", "AKIACHATSEND", func(t *testing.T, c clients) {
			up, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/big.js")})
			must(t, err)
			part, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/big.js"),
				UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part one")})
			must(t, err)
			_, err = c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/big.js"),
				UploadId: up.UploadId, MultipartUpload: &stypes.CompletedMultipartUpload{Parts: []stypes.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
			must(t, err)
			up, err = c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/gone.js")})
			must(t, err)
			_, err = c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("code-artifacts/gone.js"), UploadId: up.UploadId})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "CreateMultipartUpload", "s3:PutObject", bucketARN+"/code-artifacts/big.js"),
			call(chat, "UploadPart", "s3:PutObject", bucketARN+"/code-artifacts/big.js"),
			call(chat, "CompleteMultipartUpload", "s3:PutObject", bucketARN+"/code-artifacts/big.js"),
			call(chat, "CreateMultipartUpload", "s3:PutObject", bucketARN+"/code-artifacts/gone.js"),
			call(chat, "AbortMultipartUpload", "s3:AbortMultipartUpload", bucketARN+"/code-artifacts/gone.js"),
		}},
		{"presigned GET, fetched by someone else", "AKIAARTIFACTSGET", func(t *testing.T, c clients) {
			if got := fetchPresigned(t, c, "builds/a/index.html"); got != "content of builds/a/index.html" {
				t.Errorf("presigned GET answered %q", got)
			}
		}, []iamproof.Call{call("ArtifactsGetFunction", "GetObject (presigned URL)", "s3:GetObject", bucketARN+"/builds/a/index.html")}},
		{"invoke", "AKIACHATSEND", func(t *testing.T, c clients) {
			out, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(build), Payload: []byte(`{}`)})
			must(t, err)
			if string(out.Payload) != `{"built":true}` {
				t.Errorf("payload %s", out.Payload)
			}
			_, err = c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(build), Qualifier: aws.String("live")})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "Invoke", "lambda:InvokeFunction", buildARN),
			call(chat, "Invoke", "lambda:InvokeFunction", buildARN+":live"),
		}},
		{"invoke with response stream", "AKIACHATSEND", func(t *testing.T, c clients) {
			out, err := c.lambda.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String(build)})
			must(t, err)
			stream := out.GetStream()
			defer stream.Close()
			var got []string
			for ev := range stream.Events() {
				if chunk, ok := ev.(*ltypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk); ok {
					if got = append(got, string(chunk.Value.Payload)); len(got) == 1 {
						close(st.firstChunkRead)
					}
				}
			}
			must(t, stream.Err())
			if strings.Join(got, "") != "first second" || st.stalled.Load() {
				t.Errorf("streamed %q, stalled %v: the recorder must pass each chunk on as it comes", got, st.stalled.Load())
			}
		}, []iamproof.Call{call(chat, "InvokeWithResponseStream", "lambda:InvokeFunction", buildARN)}},
		{"parameters", "AKIACHATSEND", func(t *testing.T, c clients) {
			out, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(jwtParam), WithDecryption: aws.Bool(true)})
			must(t, err)
			if aws.ToString(out.Parameter.Value) != "value of "+jwtParam {
				t.Errorf("parameter %q", aws.ToString(out.Parameter.Value))
			}
			_, err = c.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{jwtParam, "no-slash"}})
			must(t, err)
		}, []iamproof.Call{
			call(chat, "GetParameter", "ssm:GetParameter", paramARN+jwtParam),
			call(chat, "GetParameters", "ssm:GetParameters", paramARN+jwtParam),
			call(chat, "GetParameters", "ssm:GetParameters", paramARN+"/no-slash"),
		}},
		{"unknown caller", "AKIASTRANGER", func(t *testing.T, c clients) {
			_, err := c.dynamo.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("U#1", "PROFILE")})
			must(t, err)
		}, []iamproof.Call{{Operation: "GetItem", Action: "dynamodb:GetItem", Resource: tableARN, Problem: `unknown access key id "AKIASTRANGER"`}}},
		{"operations not understood", "AKIACHATSEND", func(t *testing.T, c clients) {
			_, _ = c.dynamo.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "` + table + `"`)})
			_, _ = c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
			_, _ = c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(build)})
		}, []iamproof.Call{
			{Function: chat, Operation: "ExecuteStatement", Problem: "DynamoDB ExecuteStatement is not understood"},
			{Function: chat, Operation: "GET /iam-bucket?policy", Problem: "S3 request with ?policy is not understood"},
			{Function: chat, Operation: "GET /2015-03-31/functions/iam-build", Problem: "Lambda request is not understood"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.do(t, st.as(tt.key))
			if diff := cmp.Diff(tt.want, st.rec.Take()); diff != "" {
				t.Errorf("recorded calls (-want +got):\n%s", diff)
			}
		})
	}
}

// fetchPresigned presigns a GET of key with c, as a function handing out a
// download link, and fetches it without credentials, as a browser would.
func fetchPresigned(t *testing.T, c clients, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(c.s3).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err)
	resp, err := http.Get(req.URL)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return string(body)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
