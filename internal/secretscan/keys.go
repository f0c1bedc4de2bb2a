// Package secretscan checks the signatures GitHub puts on the alerts of its
// secret scanning partner program: ECDSA P-256 over the SHA-256 of the raw
// body, by one of the public keys GitHub publishes, which it fetches and
// keeps in memory.
package secretscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultKeysURL is where GitHub publishes the keys of its secret scanning
// alerts.
const DefaultKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"

// RefetchInterval is the least time between two fetches of the keys: an
// alert naming a key identifier not cached fetches them again, and made-up
// identifiers must not turn Pome into a flood against GitHub.
const RefetchInterval = 10 * time.Second

// FetchTimeout bounds a fetch of the keys: an alert waits for it, and
// GitHub gives up on an answer after about 10 s.
const FetchTimeout = 5 * time.Second

// maxKeysBody bounds the key document read (GitHub's is about 1 KiB).
const maxKeysBody = 1 << 20

var (
	// ErrUnknownKey is the answer to an identifier that names no key
	// GitHub publishes (as last fetched).
	ErrUnknownKey = errors.New("secretscan: unknown key identifier")
	// ErrBadSignature is the answer to a signature that is not base64 of
	// an ASN.1 ECDSA signature of the body by the key named.
	ErrBadSignature = errors.New("secretscan: signature does not verify")
)

// Keys are GitHub's signing keys by identifier, fetched from a URL. Any
// error of Verify but ErrUnknownKey and ErrBadSignature means they could
// not be fetched: the caller fails closed. It is safe for concurrent use.
type Keys struct {
	url    string
	client *http.Client
	now    func() time.Time

	keys atomic.Pointer[map[string]*ecdsa.PublicKey] // nil until a fetch succeeds

	fetchMu   sync.Mutex // held during a fetch: misses meanwhile wait for its result
	fetchedAt time.Time  // the last fetch's start; zero: none yet
	fetchErr  error      // the last fetch's error
}

// New returns the keys published at url, fetched on the first Verify, each
// fetch within timeout.
func New(url string, timeout time.Duration, now func() time.Time) *Keys {
	return &Keys{url: url, client: &http.Client{Timeout: timeout}, now: now}
}

// Verify checks that sig, base64 of an ASN.1 ECDSA signature, signs the
// SHA-256 of body by the key GitHub names id.
func (k *Keys) Verify(ctx context.Context, id, sig string, body []byte) error {
	key, err := k.key(ctx, id)
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(key, digest[:], raw) {
		return ErrBadSignature
	}
	return nil
}

// key returns the key named id: from memory, else from a new fetch unless
// one started within RefetchInterval, whose answer then stands (its error
// included: still no keys, still closed).
func (k *Keys) key(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	if m := k.keys.Load(); m != nil {
		if key, ok := (*m)[id]; ok {
			return key, nil
		}
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	if now := k.now(); k.fetchedAt.IsZero() || now.Sub(k.fetchedAt) >= RefetchInterval {
		k.fetchedAt = now
		m, err := k.fetch(ctx)
		if k.fetchErr = err; err == nil {
			k.keys.Store(&m)
		}
	}
	if m := k.keys.Load(); m != nil {
		if key, ok := (*m)[id]; ok {
			return key, nil
		}
	}
	if k.fetchErr != nil {
		return nil, k.fetchErr
	}
	return nil, ErrUnknownKey
}

// keyDocument is what GitHub serves at the keys URL.
type keyDocument struct {
	PublicKeys []struct {
		ID  string `json:"key_identifier"`
		Key string `json:"key"` // PEM, PKIX
	} `json:"public_keys"`
}

// fetch reads the keys at k.url: every ECDSA P-256 key of the document.
func (k *Keys) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("secretscan: fetch keys: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("secretscan: fetch keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("secretscan: fetch keys: %s answered %s", k.url, resp.Status)
	}
	var doc keyDocument
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxKeysBody)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("secretscan: fetch keys: decode: %w", err)
	}
	m := make(map[string]*ecdsa.PublicKey, len(doc.PublicKeys))
	for _, pk := range doc.PublicKeys {
		if key := parseKey(pk.Key); key != nil && pk.ID != "" {
			m[pk.ID] = key
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("secretscan: fetch keys: %s holds no ECDSA P-256 key", k.url)
	}
	return m, nil
}

// parseKey is the ECDSA P-256 key of a PEM block, nil for anything else:
// a key of another kind is no key an alert can be signed with.
func parseKey(s string) *ecdsa.PublicKey {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil
	}
	return key
}
