package openapi_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/zocket/agent/api"
	"github.com/zocket/agent/internal/devtools/openapi"
	"github.com/zocket/agent/routes"
)

// TestDocumentIsCurrent fails while api/openapi.json is not what `make
// openapi` writes from the routes table, the handlers' types and this
// package's declarations: CI runs it, so a change to any of them that was
// not written out does not land.
func TestDocumentIsCurrent(t *testing.T) {
	want, err := openapi.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got := api.Document()
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		if g, w := line(gotLines, i), line(wantLines, i); g != w {
			t.Fatalf("api/openapi.json is stale: run `make openapi`.\nline %d is\n\t%s\nwant\n\t%s", i+1, g, w)
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// TestDocumentIsValid reads the document with libopenapi, the model the
// tests that check responses against it use: it is OpenAPI 3.1, valid
// against the specification's own schema, and every reference resolves.
func TestDocumentIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(api.Document())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("version %q, want 3.1.0", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the model: %v", err)
	}
	if errs := model.Index.GetReferenceIndexErrors(); len(errs) > 0 {
		t.Errorf("references: %v", errs)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s (%s)", e.Message, e.Reason, e.HowToFix)
		}
	}
	checkSchemas(t, api.Document())
}

// checkSchemas compiles every schema of the document (its components, and
// those of its parameters, bodies and headers) against JSON Schema 2020-12's
// metaschema, which the specification's own schema does not look into.
func checkSchemas(t *testing.T, document []byte) {
	t.Helper()
	const base = "https://agent.invalid/openapi.json"
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(document))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(base, doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var visit func(v any, pointer string)
	visit = func(v any, pointer string) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				p := pointer + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
				if k == "schema" || strings.HasPrefix(pointer, "/components/schemas") && strings.Count(p, "/") == 3 {
					n++
					if _, err := c.Compile(base + "#" + (&url.URL{Fragment: p}).EscapedFragment()); err != nil {
						t.Errorf("%s: %v", p, err)
					}
					continue
				}
				visit(sub, p)
			}
		case []any:
			for i, sub := range v {
				visit(sub, pointer+"/"+strconv.Itoa(i))
			}
		}
	}
	visit(doc, "")
	if n < 100 {
		t.Errorf("%d schemas compiled: the walk missed some", n)
	}
}

// TestEveryRouteIsDocumented: every route of the table is an operation
// whose operationId is its function's name, under its method and path.
func TestEveryRouteIsDocumented(t *testing.T) {
	doc, err := libopenapi.NewDocument(api.Document())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops[op.OperationId] = strings.ToUpper(method) + " " + path
		}
	}
	n := 0
	for _, f := range routes.All() {
		if f.Path == "" {
			continue
		}
		n++
		if got, want := ops[f.Name], f.Method+" "+f.Path; got != want {
			t.Errorf("operation %s is %q, want %q", f.Name, got, want)
		}
	}
	if len(ops) != n {
		t.Errorf("%d operations for %d routes", len(ops), n)
	}
	fmt.Printf("the document has %d operations\n", len(ops))
}
