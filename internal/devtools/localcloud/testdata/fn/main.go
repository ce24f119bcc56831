// Command fn is the function of the local stack's own tests, one binary for
// every function of testdata/template.yaml; MODE (from the template) says
// which: "api" answers HTTP API events with what it received, "stream"
// streams two events from a Function URL with a gate between them, "worker"
// answers Invoke payloads (waiting, failing or exiting as asked), and
// "init-error" reports an error at initialisation.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

func main() {
	switch os.Getenv("MODE") {
	case "api":
		lambda.Start(api)
	case "stream":
		lambdaurl.Start(http.HandlerFunc(stream))
	case "worker":
		lambda.Start(worker)
	case "init-error":
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"errorMessage":"no config","errorType":"Config.Missing"}`))
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(2)
	default:
		fmt.Println("unknown MODE", os.Getenv("MODE"))
		os.Exit(3)
	}
}

// environment is what the tests check of a function's environment.
func environment() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func wait(gate string) error {
	if gate == "" {
		return nil
	}
	resp, err := http.Get(gate)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func api(ctx context.Context, ev json.RawMessage) (events.APIGatewayV2HTTPResponse, error) {
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(ev, &e); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := wait(e.QueryStringParameters["gate"]); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	body, _ := json.Marshal(map[string]any{"event": ev, "pid": os.Getpid(), "env": environment()})
	res := events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers: map[string]string{
			"Content-Type": "application/json",
			// API Gateway replaces a function's CORS headers with its own.
			"Access-Control-Allow-Origin": "*",
		},
		MultiValueHeaders: map[string][]string{"X-Lost": {"format 2.0 has no multiValueHeaders"}},
		Cookies:           []string{"seen=1; Path=/"},
		Body:              string(body),
	}
	if e.QueryStringParameters["binary"] != "" {
		res.Body, res.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0xfe}), true
		res.Headers["Content-Type"] = "application/octet-stream"
	}
	if e.QueryStringParameters["fail"] != "" {
		return res, errors.New("failed as asked")
	}
	return res, nil
}

func stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	seen, _ := json.Marshal(map[string]any{"host": r.Host, "path": r.URL.Path, "headers": r.Header})
	fmt.Fprintf(w, "data: %s\n\n", seen)
	if r.URL.Query().Get("crash") != "" {
		os.Exit(4)
	}
	if err := wait(r.URL.Query().Get("gate")); err != nil {
		fmt.Fprintf(w, "event: error\ndata: %v\n\n", err)
		return
	}
	fmt.Fprint(w, "data: second\n\n")
}

type work struct {
	Gate  string `json:"gate"`
	Sleep int    `json:"sleepMs"`
	Fail  string `json:"fail"`
	Exit  bool   `json:"exit"`
}

func worker(ctx context.Context, in work) (map[string]any, error) {
	if err := wait(in.Gate); err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(in.Sleep) * time.Millisecond)
	if in.Exit {
		os.Exit(5)
	}
	if in.Fail != "" {
		return nil, errors.New(in.Fail)
	}
	deadline, _ := ctx.Deadline()
	return map[string]any{"pid": os.Getpid(), "remainingMs": time.Until(deadline).Milliseconds(), "env": environment()}, nil
}
