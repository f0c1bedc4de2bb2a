// Package openapi holds the OpenAPI 3.1 document of Pome's HTTP surface:
// every endpoint, request and response body, error code and header of the
// public API, the management API, the operations endpoints and the dashboard
// pages, and gateway mode in prose. docs/api.md says the same for people.
//
// The document is checked against the code from both sides: the tests of
// this package check that it is valid OpenAPI 3.1 and that it lists every
// route the server registers, and internal/pometest validates every response
// a test receives through its harness against it.
//
// It imports only the standard library, so that the server can serve the
// document without pulling in a parser.
package openapi

import _ "embed"

// YAML is the document, as written in openapi.yaml.
//
//go:embed openapi.yaml
var YAML []byte

// JSON is the same document in JSON, served at GET /openapi.json
// (TestJSONIsTheYAML holds it to the YAML).
//
//go:embed openapi.json
var JSON []byte
