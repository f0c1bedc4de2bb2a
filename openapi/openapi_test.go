package openapi_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/pomehq/pome/openapi"
)

// TestDocumentIsValid checks that the document parses, says it is OpenAPI
// 3.1, builds a model without errors, and is valid against the OpenAPI 3.1
// schema.
func TestDocumentIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapi.YAML)
	if err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build the model of openapi.yaml: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("openapi.yaml is not valid OpenAPI 3.1: %s", e.Error())
		}
	}
}

// routePattern is a ServeMux pattern with a method, as the server registers
// its routes: "GET /v1/me", "DELETE /api/keys/{id}", "GET /{$}".
var routePattern = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/\S*)$`)

// registeredRoutes returns every route pattern written as a string literal in
// the non-test Go files of internal/httpserver, as "get /path/{param}" in the
// document's spelling. Reading the source rather than a list the package
// exports keeps this test out of the package's API, and finds a route
// wherever a route table lives in the package.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "internal", "httpserver")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if m := routePattern.FindStringSubmatch(s); m != nil {
				routes = append(routes, strings.ToLower(m[1])+" "+documentPath(m[2]))
			}
			return true
		})
	}
	slices.Sort(routes)
	return slices.Compact(routes)
}

// documentPath spells a ServeMux path as an OpenAPI path: "/{$}" (the root
// alone) is "/", and a wildcard "{name...}" is "{name}".
func documentPath(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return strings.ReplaceAll(p, "...}", "}")
}

// documentedOperations returns every operation of the document as
// "method /path".
func documentedOperations(t *testing.T) []string {
	t.Helper()
	doc, err := libopenapi.NewDocument(openapi.YAML)
	if err != nil {
		t.Fatal(err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			ops = append(ops, strings.ToLower(method)+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// TestEveryRouteIsDocumented checks the document against the routes the
// server registers, both ways: a route added without its documentation, or
// an operation documented that the server does not have, fails.
func TestEveryRouteIsDocumented(t *testing.T) {
	routes := registeredRoutes(t)
	// The server has some 30 routes: far fewer found means the patterns
	// are no longer string literals there, and this test would pass on
	// nothing.
	if len(routes) < 25 {
		t.Fatalf("found %d route patterns in internal/httpserver, want at least 25: %q", len(routes), routes)
	}
	ops := documentedOperations(t)
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %q is registered in internal/httpserver but not documented in openapi.yaml", r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			t.Errorf("operation %q is documented in openapi.yaml but no route of internal/httpserver serves it", o)
		}
	}
}

// TestImportsOnlyStandardLibrary keeps the package free to be imported by
// the server: it depends on nothing but the standard library.
func TestImportsOnlyStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/pomehq/pome/openapi" {
			t.Errorf("package openapi depends on %s", p)
		}
	}
}

func ExampleYAML() {
	fmt.Println(strings.SplitN(string(openapi.YAML), "\n", 4)[2])
	// Output: openapi: 3.1.0
}

// TestExamplesConform checks every example of a JSON body against its own
// schema, so that the examples a reader copies are right.
func TestExamplesConform(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapi.YAML)
	if err != nil {
		t.Fatal(err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	sv := schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	n := 0
	check := func(where string, mt *v3.MediaType) {
		if mt == nil || mt.Example == nil || mt.Schema == nil {
			return
		}
		var v any
		if err := mt.Example.Decode(&v); err != nil {
			t.Errorf("%s: decode the example: %v", where, err)
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		n++
		if ok, errs := sv.ValidateSchemaBytesWithVersion(mt.Schema.Schema(), b, 3.1); !ok {
			for _, e := range errs {
				msg := e.Message
				for _, f := range e.SchemaValidationErrors {
					msg += "; " + f.FieldPath + ": " + f.Reason
				}
				t.Errorf("%s: the example does not match its schema: %s", where, msg)
			}
		}
	}
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			if op.RequestBody != nil {
				check(method+" "+path+" request", op.RequestBody.Content.GetOrZero("application/json"))
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				if r.Content != nil {
					check(method+" "+path+" "+code, r.Content.GetOrZero("application/json"))
				}
			}
		}
	}
	for name, r := range m.Model.Components.Responses.FromOldest() {
		if r.Content == nil {
			continue
		}
		check("components.responses."+name, r.Content.GetOrZero("application/json"))
	}
	if n < 40 {
		t.Errorf("checked %d examples, want at least 40", n)
	}
}
