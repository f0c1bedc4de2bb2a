package apikey_test

import (
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
)

// BenchmarkVerifyCached is the request path's verification of a key already
// in the cache.
func BenchmarkVerifyCached(b *testing.B) {
	f := newFixture(b)
	c := f.mustCreate(b, f.member(b, nil, pome.RoleOwner), apikey.CreateParams{})
	ctx := b.Context()
	if _, err := f.verifier.Verify(ctx, c.Plaintext); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.verifier.Verify(ctx, c.Plaintext); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMiss is verification that reads the store: the first use of
// a key on a node, or after its cache entry was invalidated.
func BenchmarkVerifyMiss(b *testing.B) {
	f := newFixture(b)
	c := f.mustCreate(b, f.member(b, nil, pome.RoleOwner), apikey.CreateParams{})
	d := pome.DigestOf(c.Plaintext)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		f.verifier.Forget(d)
		if _, err := f.verifier.Verify(ctx, c.Plaintext); err != nil {
			b.Fatal(err)
		}
	}
}
