package openapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"

	yaml "github.com/pb33f/go-yaml"

	"github.com/pomehq/pome/openapi"
)

var update = flag.Bool("update", false, "rewrite openapi.json from openapi.yaml")

// TestJSONIsTheYAML holds openapi.json, which the server serves at
// /openapi.json, to be openapi.yaml in JSON, keys in the same order: edit
// the YAML, then run `go test ./openapi -run TestJSONIsTheYAML -update`.
// The server embeds the JSON rather than converting the YAML at run time,
// so that it needs no YAML parser.
func TestJSONIsTheYAML(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(openapi.YAML, &doc); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, &doc); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", " "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	if *update {
		if err := os.WriteFile("openapi.json", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(out.Bytes(), openapi.JSON) {
		t.Error("openapi.json is not openapi.yaml: run go test ./openapi -run TestJSONIsTheYAML -update")
	}
	if !json.Valid(openapi.JSON) {
		t.Error("openapi.json is not JSON")
	}
}

// writeJSON writes n as JSON, mappings in their order.
func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		return writeJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			b.Write(k)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		j, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b.Write(j)
	default:
		return fmt.Errorf("line %d: a YAML node of kind %v", n.Line, n.Kind)
	}
	return nil
}
