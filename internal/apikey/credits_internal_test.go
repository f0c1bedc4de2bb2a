package apikey

import (
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// The base of a key's low threshold: what is set, at creation or by a
// change; what an increment lifts the balance to, when above it; an
// increment that takes leaves it.
func TestCreditsBase(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c, err := newCredits(&CreditsParams{Remaining: 40}, now)
	if err != nil || c.Base != 40 {
		t.Fatalf("newCredits(40) = %+v, %v; want base 40", c, err)
	}
	platform := actor{tokenID: "stk_1"}
	for _, tc := range []struct {
		change                string
		ch                    CreditsChange
		remaining, base, want int64
	}{
		{"set", CreditsChange{Remaining: pome.Some[int64](7)}, 40, 100, 7},
		{"increment above the base", CreditsChange{Increment: pome.Some[int64](100)}, 40, 100, 140},
		{"increment below it", CreditsChange{Increment: pome.Some[int64](10)}, 40, 100, 100},
		{"taking", CreditsChange{Increment: pome.Some[int64](-30)}, 40, 100, 100},
	} {
		f, err := creditsChange(platform, pome.Some(tc.ch))
		if err != nil {
			t.Fatal(err)
		}
		k := pome.Key{Credits: &pome.Credits{Remaining: tc.remaining, Base: tc.base}}
		if err := f(&k, now); err != nil || k.Credits.Base != tc.want {
			t.Errorf("%s: credits %+v, %v; want base %d", tc.change, k.Credits, err, tc.want)
		}
	}
}
