package secretscan_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/secretscan"
)

// errDown stands for any error but the two of a bad alert: the keys could
// not be fetched.
var errDown = errors.New("the keys could not be fetched")

// A signature verifies by the key named; a wrong one, or one by an unknown
// identifier, does not; an unknown identifier fetches the keys again at most
// once a RefetchInterval, which picks up a new key; a key server that is down
// fails every identifier not already cached.
func TestVerify(t *testing.T) {
	gh := pometest.NewGitHubKeys(t)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	keys := secretscan.New(gh.URL, secretscan.FetchTimeout, func() time.Time { return now })
	body := []byte(`[{"token":"pme_x"}]`)
	check := func(name, id, sig string, want error, fetches int) {
		t.Helper()
		err := keys.Verify(t.Context(), id, sig, body)
		ok := errors.Is(err, want)
		if want == errDown {
			ok = err != nil && !errors.Is(err, secretscan.ErrUnknownKey) && !errors.Is(err, secretscan.ErrBadSignature)
		}
		if !ok {
			t.Errorf("%s: Verify = %v, want %v", name, err, want)
		}
		if got := gh.Fetches(); got != fetches {
			t.Errorf("%s: fetches = %d, want %d", name, got, fetches)
		}
	}
	check("good", "k1", gh.Sign(t, "k1", body), nil, 1)
	check("good again, from memory", "k1", gh.Sign(t, "k1", body), nil, 1)
	check("other body", "k1", gh.Sign(t, "k1", []byte("other")), secretscan.ErrBadSignature, 1)
	check("not base64", "k1", "%%%", secretscan.ErrBadSignature, 1)
	check("unknown identifier within the interval", "k9", gh.Sign(t, "k1", body), secretscan.ErrUnknownKey, 1)
	now = now.Add(secretscan.RefetchInterval)
	check("unknown identifier", "k9", gh.Sign(t, "k1", body), secretscan.ErrUnknownKey, 2)
	gh.Add(t, "k2")
	check("new key within the interval", "k2", gh.Sign(t, "k2", body), secretscan.ErrUnknownKey, 2)
	now = now.Add(secretscan.RefetchInterval)
	check("new key after the interval", "k2", gh.Sign(t, "k2", body), nil, 3)
	gh.SetDown(true)
	now = now.Add(secretscan.RefetchInterval)
	check("server down: unknown identifier", "k9", gh.Sign(t, "k1", body), errDown, 4)
	check("server down: cached key", "k1", gh.Sign(t, "k1", body), nil, 4)
	check("server down: still closed within the interval", "k9", gh.Sign(t, "k1", body), errDown, 4)
}

// Before any fetch succeeds, every alert fails closed.
func TestVerifyServerDownFromTheStart(t *testing.T) {
	gh := pometest.NewGitHubKeys(t)
	gh.SetDown(true)
	keys := secretscan.New(gh.URL, secretscan.FetchTimeout, time.Now)
	err := keys.Verify(t.Context(), "k1", gh.Sign(t, "k1", []byte("[]")), []byte("[]"))
	if err == nil || errors.Is(err, secretscan.ErrUnknownKey) || errors.Is(err, secretscan.ErrBadSignature) {
		t.Errorf("Verify = %v, want a fetch error", err)
	}
}
