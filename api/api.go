// Package api holds the API's OpenAPI 3.1 document, openapi.json, as `make
// openapi` wrote it from the routes table and the handlers' types (package
// internal/devtools/openapi; a test fails while the file is stale).
package api

import _ "embed"

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document, JSON. The caller must not change
// it.
func Document() []byte { return document }
