package httpserver

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// decodeJSON reads the request body, one JSON object, into dst. It answers
// the API's errors: 415 for another content type, 413 past the body cap,
// invalid_json for malformed or trailing data, invalid_parameter for an
// unknown field or a value of the wrong type (naming the field).
func decodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return httpapi.ErrUnsupportedMediaType
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			if e := decodeError(err); e != httpapi.ErrInvalidJSON {
				return e
			}
		}
		return httpapi.ErrInvalidJSON
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves dst as it is.
func decodeOptionalJSON(r *http.Request, dst any) error {
	if r.ContentLength == 0 || r.Body == http.NoBody {
		return nil
	}
	return decodeJSON(r, dst)
}

// decodeError translates an encoding/json error into a caller-safe *pome.Error.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return httpapi.ErrBodyTooLarge
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return pome.Errorf(pome.Invalid, httpapi.ErrInvalidJSON.Code, "Request body must be a JSON object")
		}
		return pome.InvalidParameter("'%s' must be %s", typeErr.Field, describe(typeErr.Type))
	}
	// encoding/json has no typed error for an unknown field.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// The name is the caller's own text: only a short identifier is
		// echoed, so that a key or token pasted as a field name is not.
		if name = strings.Trim(name, `"`); !isFieldName(name) {
			return pome.InvalidParameter("Unknown parameter in the request body")
		}
		return pome.InvalidParameter("Unknown parameter: '%s'", name)
	}
	return httpapi.ErrInvalidJSON
}

// isFieldName reports whether name is short and made of [A-Za-z0-9_.-]: a
// plausible field name, safe to echo.
func isFieldName(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// describe names a JSON type for a Go type, for error messages.
func describe(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}
