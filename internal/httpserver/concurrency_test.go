package httpserver_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// 1,000 concurrent requests with one key all succeed, and each is counted
// exactly once: usage_count is 1000 after a flush, and last_used is set.
func TestMeConcurrentUsage(t *testing.T) {
	t.Parallel()
	const requests, workers = 1000, 50
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "load")

	tr := s.HTTP.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}

	jobs := make(chan struct{})
	errs := make(chan error, requests)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				errs <- getMe(t, client, s.URL, key)
			}
		})
	}
	for range requests {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed++; failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d concurrent GET /v1/me failed", failed, requests)
	}

	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatalf("Meter.Flush() = %v", err)
	}
	r := s.Do(t, alice, "GET", "/api/keys", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/keys status = %d, want %d", r.Status, http.StatusOK)
	}
	l := decode[keyList](t, r)
	if l.Total != 1 {
		t.Fatalf("GET /api/keys total = %d, want 1", l.Total)
	}
	if got := l.Keys[0].UsageCount; got != requests {
		t.Errorf("usage_count = %d, want %d", got, requests)
	}
	if l.Keys[0].LastUsed == nil {
		t.Errorf("last_used = null, want set")
	}
}

func getMe(t *testing.T, c *http.Client, base, key string) error {
	req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/v1/me", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v1/me status = %d, want %d", resp.StatusCode, http.StatusOK)
	}
	return nil
}
