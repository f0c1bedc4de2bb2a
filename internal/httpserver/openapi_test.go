package httpserver_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/openapi"
)

// GET /openapi.json serves the repository's document, as JSON.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	r := s.Do(t, nil, "GET", "/openapi.json", nil, "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" || !bytes.Equal(r.Body, openapi.JSON) {
		t.Errorf("GET /openapi.json = %d %s, %d bytes; want 200 application/json, the document", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	var doc struct{ OpenAPI string }
	r.DecodeJSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
}
