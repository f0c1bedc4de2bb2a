package pome_test

import (
	"encoding/json"
	"testing"

	"github.com/pomehq/pome"
)

// A PATCH body tells apart a field left out, a null and a value, both ways.
func TestOptional(t *testing.T) {
	t.Parallel()
	type body struct {
		A pome.Optional[int]    `json:"a,omitzero"`
		B pome.Optional[string] `json:"b,omitzero"`
		C pome.Optional[[]int]  `json:"c,omitzero"`
	}
	var got body
	if err := json.Unmarshal([]byte(`{"a": null, "b": "x"}`), &got); err != nil {
		t.Fatal(err)
	}
	want := body{A: pome.Null[int](), B: pome.Some("x")}
	if got.A != want.A || got.B != want.B || got.C.Set {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	out, err := json.Marshal(body{A: pome.Null[int](), C: pome.Some([]int{1})})
	if err != nil || string(out) != `{"a":null,"c":[1]}` {
		t.Fatalf("encoded %s, %v; want {\"a\":null,\"c\":[1]}", out, err)
	}
	if err := json.Unmarshal([]byte(`{"a": "nope"}`), &got); err == nil {
		t.Fatal("decoding a string into Optional[int] succeeded")
	}
	// A field the value's type lacks is refused, as in the body around it.
	var rl struct {
		R pome.Optional[struct{ Limit int }] `json:"r"`
	}
	if err := json.Unmarshal([]byte(`{"r": {"limit": 1, "x": 2}}`), &rl); err == nil {
		t.Fatal("decoding an unknown field inside an Optional succeeded")
	}
}
