package openapi

import (
	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// The objects of OpenAPI 3.1 the document uses, as they are written: the
// schemas in them are JSON Schema 2020-12, reflected by invopop/jsonschema.

type document struct {
	OpenAPI           string                                    `json:"openapi"`
	Info              info                                      `json:"info"`
	JSONSchemaDialect string                                    `json:"jsonSchemaDialect"`
	Tags              []tag                                     `json:"tags"`
	Paths             *orderedmap.OrderedMap[string, *pathItem] `json:"paths"`
	Components        components                                `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type pathItem struct {
	Get    *operation `json:"get,omitempty"`
	Put    *operation `json:"put,omitempty"`
	Post   *operation `json:"post,omitempty"`
	Delete *operation `json:"delete,omitempty"`
}

type operation struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	Tags        []string              `json:"tags"`
	Security    []map[string][]string `json:"security,omitempty"`
	Parameters  []parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*response  `json:"responses"`
}

type parameter struct {
	Name        string             `json:"name"`
	In          string             `json:"in"`
	Description string             `json:"description,omitempty"`
	Required    bool               `json:"required,omitempty"`
	Schema      *jsonschema.Schema `json:"schema"`
}

type requestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required"`
	Content     map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema *jsonschema.Schema `json:"schema,omitempty"`
}

type response struct {
	Description string               `json:"description"`
	Headers     map[string]ref       `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type ref struct {
	Ref string `json:"$ref"`
}

type header struct {
	Description string             `json:"description"`
	Schema      *jsonschema.Schema `json:"schema"`
}

type securityScheme struct {
	Type         string `json:"type"`
	Description  string `json:"description"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	In           string `json:"in,omitempty"`
	Name         string `json:"name,omitempty"`
}

type components struct {
	Schemas         map[string]*jsonschema.Schema `json:"schemas"`
	Headers         map[string]header             `json:"headers"`
	SecuritySchemes map[string]securityScheme     `json:"securitySchemes"`
}
