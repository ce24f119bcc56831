package localaws_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/settings"
)

// TestSSMThroughTheSDK reads parameters from the stand-in with the real SDK
// client the Lambda hosts build (settings.SSMClient).
func TestSSMThroughTheSDK(t *testing.T) {
	store := localaws.NewSSM()
	store.Put("/app/secret", "s3cr3t", true)
	store.Put("/app/plain", "v1", false)
	store.Put("/app/plain", "v2", false)
	srv := httptest.NewServer(store)
	defer srv.Close()

	ctx := context.Background()
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{SSM: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	client := settings.SSMClient(cfg, srv.URL)

	tests := []struct {
		name        string
		param       string
		decrypt     bool
		wantValue   string
		wantType    types.ParameterType
		wantVersion int64
		wantErr     error
	}{
		{"secure string, decrypted", "/app/secret", true, "s3cr3t", types.ParameterTypeSecureString, 1, nil},
		{"plain string, latest version", "/app/plain", false, "v2", types.ParameterTypeString, 2, nil},
		{"missing", "/app/none", true, "", "", 0, &types.ParameterNotFound{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(tt.param), WithDecryption: aws.Bool(tt.decrypt)})
			if tt.wantErr != nil {
				var nf *types.ParameterNotFound
				if !errors.As(err, &nf) {
					t.Fatalf("err = %v, want ParameterNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := out.Parameter
			if got := aws.ToString(p.Value); got != tt.wantValue || p.Type != tt.wantType || p.Version != tt.wantVersion {
				t.Errorf("got %q %s v%d, want %q %s v%d", got, p.Type, p.Version, tt.wantValue, tt.wantType, tt.wantVersion)
			}
			if aws.ToString(p.Name) != tt.param || aws.ToString(p.ARN) == "" || p.LastModifiedDate == nil {
				t.Errorf("parameter = %+v", p)
			}
		})
	}

	t.Run("secure string without decryption is not the value", func(t *testing.T) {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secret")})
		if err != nil {
			t.Fatal(err)
		}
		if v := aws.ToString(out.Parameter.Value); v == "" || v == "s3cr3t" {
			t.Errorf("value = %q, want an opaque ciphertext", v)
		}
	})

	t.Run("several at once", func(t *testing.T) {
		out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/plain", "/app/none"}, WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "v2" || len(out.InvalidParameters) != 1 || out.InvalidParameters[0] != "/app/none" {
			t.Errorf("got %+v, invalid %v", out.Parameters, out.InvalidParameters)
		}
	})
}

// TestWrapSeesEveryCall puts a recorder in front of the DynamoDB and S3
// stand-ins and checks it sees the SDK's calls.
func TestWrapSeesEveryCall(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	stack, err := localaws.Start(localaws.Options{Log: slog.New(slog.DiscardHandler), Wrap: func(service string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[service]++
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer stack.Close(ctx)
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{DynamoDB: stack.DynamoURL, S3: stack.S3URL})
	if err != nil {
		t.Fatal(err)
	}
	// minidyn answers ListTables in a shape the SDK cannot decode; the call
	// still reaches the server, which is what is counted.
	_, _ = settings.DynamoDBClient(cfg, stack.DynamoURL).ListTables(ctx, &dynamodb.ListTablesInput{})
	if _, err := settings.S3Client(cfg, stack.S3URL).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[localaws.ServiceDynamoDB] == 0 || seen[localaws.ServiceS3] == 0 {
		t.Errorf("calls seen = %v", seen)
	}
}
