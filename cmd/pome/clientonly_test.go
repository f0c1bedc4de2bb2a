package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestCallsGoThroughClient protects ARCHITECTURE.md's direction: the CLI talks to a server
// only through the client package, so that the SDK and the CLI cannot
// drift apart. No non-test file of cmd/pome makes an HTTP request itself.
func TestCallsGoThroughClient(t *testing.T) {
	t.Parallel()
	forbidden := map[string]bool{
		"NewRequest": true, "NewRequestWithContext": true, "Get": true, "Post": true, "PostForm": true,
		"Head": true, "DefaultClient": true, "Client": true, "DefaultTransport": true, "Transport": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		httpName := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"net/http"` {
				httpName = "http"
				if imp.Name != nil {
					httpName = imp.Name.Name
				}
			}
		}
		if httpName == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == httpName && forbidden[sel.Sel.Name] {
				t.Errorf("%s: uses http.%s; call the server through package client", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
