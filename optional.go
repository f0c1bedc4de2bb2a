package pome

import (
	"bytes"
	"encoding/json"
)

// Optional is one field of a partial change (a PATCH body): Set when the
// caller gave it, Null when they gave null (Value is then the zero value).
// Absent, it changes nothing; `json:",omitzero"` leaves an unset one out
// of an encoded body.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Some is a set Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// Null is a set Optional holding null: "clear this field".
func Null[T any]() Optional[T] { return Optional[T]{Set: true, Null: true} }

// UnmarshalJSON marks o set, and null if b is. An object value with a
// field its type does not have is an error, as in the body around it
// (decodeJSON refuses unknown fields).
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	*o = Optional[T]{Set: true}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(&o.Value)
}

// MarshalJSON writes null or the value.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if !o.Set || o.Null {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// IsZero reports an unset Optional, for omitzero.
func (o Optional[T]) IsZero() bool { return !o.Set }
