package pome_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pomehq/pome"

// listedPackage is the part of `go list -json` these tests read.
type listedPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string // direct imports
	Deps       []string // every import, transitively
	Module     *struct{ Path string }
}

// mustListPackages runs `go list -deps -json ./...` and returns every package
// of the module and its dependencies, standard library included.
func mustListPackages(t *testing.T) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := make(map[string]listedPackage)
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// mustPackage returns the package at path, failing if the module lacks it:
// a rule about a package that is not there would pass by mistake.
func mustPackage(t *testing.T, pkgs map[string]listedPackage, path string) listedPackage {
	t.Helper()
	p, ok := pkgs[path]
	if !ok {
		t.Fatalf("package %s not found by go list", path)
	}
	return p
}

// ours reports whether path is a package of this module.
func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// TestDependencies keeps the direction of ARCHITECTURE.md: the domain at the
// root depends on nothing, services depend only on the domain, the HTTP
// layer never touches a database, only internal/node wires storage in, the
// authorization core knows no HTTP, and the remote middleware needs only the
// SDK.
func TestDependencies(t *testing.T) {
	t.Parallel()
	pkgs := mustListPackages(t)
	std := func(path string) bool { return pkgs[path].Standard }

	t.Run("root imports only the standard library", func(t *testing.T) {
		for _, d := range mustPackage(t, pkgs, module).Deps {
			if !std(d) {
				t.Errorf("package pome depends on %s", d)
			}
		}
	})

	// internal/periodic is the loop the meter and the ledger run on: a
	// leaf of the standard library, which services may share.
	const periodic = module + "/internal/periodic"
	t.Run("internal/periodic imports only the standard library", func(t *testing.T) {
		for _, d := range mustPackage(t, pkgs, periodic).Deps {
			if !std(d) {
				t.Errorf("internal/periodic depends on %s", d)
			}
		}
	})

	services := []struct {
		name    string
		allowed []string // import path prefixes allowed besides std and pome
	}{
		{"internal/apikey", []string{"github.com/maypok86/otter/v2"}}, // the verification cache
		{"internal/account", []string{"golang.org/x/crypto/"}},
		{"internal/meter", []string{periodic}},
		{"internal/credits", []string{periodic}},
		{"internal/servicetoken", nil},
		{"internal/webhook", nil},
		{"internal/ratelimit", []string{"golang.org/x/time/"}},
		{"internal/secretscan", nil}, // the standard library only
	}
	for _, svc := range services {
		t.Run(svc.name+" imports only pome, the standard library and what it may", func(t *testing.T) {
			p := mustPackage(t, pkgs, module+"/"+svc.name)
			for _, imp := range p.Imports {
				ok := std(imp) || imp == module || slices.ContainsFunc(svc.allowed, func(a string) bool {
					return strings.HasPrefix(imp, a)
				})
				if !ok {
					t.Errorf("%s imports %s", svc.name, imp)
				}
			}
			// Nor through something else: no other package of this module
			// but the leaves it may import.
			for _, d := range p.Deps {
				if ours(d) && d != module && !slices.Contains(svc.allowed, d) {
					t.Errorf("%s depends on %s", svc.name, d)
				}
			}
		})
	}

	t.Run("httpserver never reaches a database", func(t *testing.T) {
		p := mustPackage(t, pkgs, module+"/internal/httpserver")
		for _, d := range p.Deps {
			switch d {
			case module + "/internal/sqlite", module + "/internal/postgres", "database/sql":
				t.Errorf("internal/httpserver depends on %s", d)
			}
		}
	})

	t.Run("only internal/node wires storage", func(t *testing.T) {
		storage := []string{module + "/internal/sqlite", module + "/internal/postgres", module + "/internal/redis"}
		// internal/node opens the store and the limiter of a node; what
		// runs a node may depend on it: the server, the in-process
		// middleware, the test harness (only tests import it) and the
		// benchmark, which seeds and reads both stores to time cache misses.
		mayWire := append([]string{module + "/internal/node", module + "/cmd/pome", module + "/cmd/pome-bench",
			module + "/internal/pometest", module + "/pomeauth/inprocess"}, storage...)
		for path, p := range pkgs {
			if !ours(path) || slices.Contains(mayWire, path) {
				continue
			}
			for _, d := range p.Deps {
				if slices.Contains(storage, d) || d == module+"/internal/node" {
					t.Errorf("%s depends on %s", path, d)
				}
			}
		}
		mustPackage(t, pkgs, module+"/cmd/pome")
	})

	t.Run("the authorization core knows no HTTP", func(t *testing.T) {
		p := mustPackage(t, pkgs, module+"/internal/authz")
		if slices.Contains(p.Imports, "net/http") {
			t.Errorf("internal/authz imports net/http")
		}
		for _, d := range p.Deps {
			if ours(d) && !slices.Contains([]string{module, module + "/internal/apikey", module + "/internal/meter", module + "/internal/credits",
				module + "/internal/ratelimit", module + "/internal/servicetoken", periodic}, d) {
				t.Errorf("internal/authz depends on %s", d)
			}
		}
	})

	t.Run("the remote middleware needs only the SDK", func(t *testing.T) {
		// A service that verifies keys through a Pome server pulls in no
		// database driver, cache or metrics library: the standard library,
		// the domain, the SDK and the HTTP helpers they share.
		light := []string{module, module + "/client", module + "/internal/httpapi", module + "/pomeauth"}
		for _, d := range mustPackage(t, pkgs, module+"/pomeauth").Deps {
			if !std(d) && !slices.Contains(light, d) {
				t.Errorf("pomeauth depends on %s", d)
			}
		}
	})

	t.Run("pometest and testenv are imported only by tests", func(t *testing.T) {
		for _, helper := range []string{"internal/pometest", "internal/testenv"} {
			mustPackage(t, pkgs, module+"/"+helper)
			for path, p := range pkgs {
				// The harness may use testenv: it is imported by tests only.
				if ours(path) && path != module+"/internal/pometest" && slices.Contains(p.Deps, module+"/"+helper) {
					t.Errorf("%s (not a test) depends on %s", path, helper)
				}
			}
		}
	})
}
