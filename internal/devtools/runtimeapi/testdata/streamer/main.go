// Command streamer is a Function URL Lambda for the harness's own tests. It
// streams one server-sent event, waits until GET $GATE_URL answers (the
// test decides when), streams a second and ends. STREAMER_MODE changes
// that: "init-error" reports an init error through the Runtime API and
// exits; "exit-at-init" exits before asking for an event; "crash" exits
// after the first event.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdaurl"
)

func main() {
	mode := os.Getenv("STREAMER_MODE")
	switch mode {
	case "init-error":
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"errorMessage":"no config","errorType":"Config.Missing"}`))
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(2)
	case "exit-at-init":
		os.Exit(3)
	}
	lambdaurl.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "data: first\n\n")
		if mode == "crash" {
			os.Exit(4)
		}
		resp, err := http.Get(os.Getenv("GATE_URL"))
		if err != nil {
			fmt.Fprintf(w, "event: error\ndata: %v\n\n", err)
			return
		}
		resp.Body.Close()
		fmt.Fprint(w, "data: second\n\n")
	}))
}
