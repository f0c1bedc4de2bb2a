package pometest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// GitHubKeys plays GitHub's secret scanning key server on loopback: it
// serves the public keys it holds as GitHub does, counts the fetches, and
// signs alerts as GitHub would.
type GitHubKeys struct {
	URL     string
	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey
	down    bool
	fetches atomic.Int32
}

// NewGitHubKeys starts a key server holding one key, "k1"; it stops when
// the test ends.
func NewGitHubKeys(t testing.TB) *GitHubKeys {
	t.Helper()
	g := &GitHubKeys{keys: map[string]*ecdsa.PrivateKey{}}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	g.Add(t, "k1")
	return g
}

func (g *GitHubKeys) serve(w http.ResponseWriter, _ *http.Request) {
	g.fetches.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	type entry struct {
		ID      string `json:"key_identifier"`
		Key     string `json:"key"`
		Current bool   `json:"is_current"`
	}
	var doc struct {
		PublicKeys []entry `json:"public_keys"`
	}
	for id, k := range g.keys {
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			panic(err) // a P-256 key always marshals
		}
		doc.PublicKeys = append(doc.PublicKeys, entry{id, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), true})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

// Add generates a key named id and serves it from now on.
func (g *GitHubKeys) Add(t testing.TB, id string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.keys[id] = k
	g.mu.Unlock()
}

// SetDown makes the server answer 503 (true) or serve its keys again.
func (g *GitHubKeys) SetDown(down bool) {
	g.mu.Lock()
	g.down = down
	g.mu.Unlock()
}

// Fetches is how many times the keys were asked for.
func (g *GitHubKeys) Fetches() int { return int(g.fetches.Load()) }

// Sign is the Github-Public-Key-Signature of body by the key named id.
func (g *GitHubKeys) Sign(t testing.TB, id string, body []byte) string {
	t.Helper()
	g.mu.Lock()
	k := g.keys[id]
	g.mu.Unlock()
	if k == nil {
		t.Fatalf("GitHubKeys.Sign: no key %q", id)
	}
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
