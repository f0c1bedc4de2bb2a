package httpserver_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// The usage page ranks the keys the member may see by their requests over
// the chart's days, every outcome counted: most first, with the valid and
// refused ones apart. A key never used is not ranked, and a developer sees
// only their own keys, as in the chart.
func TestUsagePageTopKeys(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	team := s.Session(t, alice).DefaultTeam
	busy := s.CreateKeyWith(t, alice, `{"name":"busy"}`)
	refused := s.CreateKeyWith(t, alice, `{"name":"refused"}`)
	s.CreateKeyWith(t, alice, `{"name":"unused"}`)
	bobs := s.Do(t, bob, "POST", "/api/keys?team="+team, nil, `{"name":"bobs"}`)
	if bobs.Status != http.StatusCreated {
		t.Fatalf("bob creates a key = %d %s", bobs.Status, bobs.Body)
	}
	bobsKey := decode[pometest.CreatedKey](t, bobs)
	use := func(key string, n, status int) {
		t.Helper()
		for range n {
			if r := s.Do(t, nil, "GET", "/v1/me", apiKey(key), ""); r.Status != status {
				t.Fatalf("GET /v1/me = %d, want %d", r.Status, status)
			}
		}
	}
	use(busy.Key, 3, http.StatusOK)
	use(bobsKey.Key, 1, http.StatusOK)
	use(refused.Key, 1, http.StatusOK)
	if r := s.Do(t, alice, "PATCH", "/api/keys/"+refused.ID, nil, `{"enabled": false}`); r.Status != http.StatusOK {
		t.Fatalf("disable = %d %s", r.Status, r.Body)
	}
	use(refused.Key, 1, http.StatusForbidden)
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	row := regexp.MustCompile(`(?s)<tr data-top-key="(key_\w+)">.*?data-label="Requests" class="num">(\d+)</td>\s*<td data-label="Valid" class="num">(\d+)</td>\s*<td data-label="Refused" class="num">(\d+)</td>`)
	ranked := func(c *http.Client) [][]string {
		t.Helper()
		page := getPage(t, s, c, "GET", "/usage?team="+team+"&days=7", nil, "")
		if page.Status != http.StatusOK {
			t.Fatalf("GET /usage = %d", page.Status)
		}
		var rows [][]string
		for _, m := range row.FindAllStringSubmatch(page.Body, -1) {
			rows = append(rows, m[1:])
		}
		return rows
	}
	// The disabled key's refusal counts: 2 requests, ahead of bob's 1.
	want := [][]string{{busy.ID, "3", "3", "0"}, {refused.ID, "2", "1", "1"}, {bobsKey.ID, "1", "1", "0"}}
	if got := ranked(alice); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the owner's top keys = %v, want %v", got, want)
	}
	if got, want := ranked(bob), [][]string{{bobsKey.ID, "1", "1", "0"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the developer's top keys = %v, want %v (their own only)", got, want)
	}
}
