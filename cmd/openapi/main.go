// Command openapi writes api/openapi.json, the API's OpenAPI 3.1 document,
// from the routes table and the handlers' types: `make openapi` after
// changing a route, a request or response type, or the declarations of
// package internal/devtools/openapi.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zocket/agent/internal/devtools/openapi"
)

func main() {
	out := flag.String("o", "api/openapi.json", "the file to write")
	flag.Parse()
	doc, err := openapi.Generate()
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}
