package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// keyStore serves one key for verification; any other method panics.
type keyStore struct {
	pome.Store
	owner pome.KeyOwner
}

func (s keyStore) KeyByDigest(context.Context, pome.Digest) (pome.KeyOwner, error) {
	return s.owner, nil
}

// A viewer key may read (GET, HEAD) but not write on the public API; the
// check lives in authorizeKey, the one gate of the public API, and uses the
// key's effective role. (Only GET routes exist today: TestRoleMatrix reaches
// the refusal over HTTP through a test-only write route behind this gate.)
func TestAuthorizeKeyRole(t *testing.T) {
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		role    pome.Role
		creator pome.Role // the creator's current role in the team
		method  string
		wantErr error
	}{
		{pome.RoleViewer, pome.RoleOwner, "GET", nil},
		{pome.RoleViewer, pome.RoleOwner, "HEAD", nil},
		{pome.RoleViewer, pome.RoleOwner, "POST", pome.ErrInsufficientPermissions},
		{pome.RoleViewer, pome.RoleOwner, "DELETE", pome.ErrInsufficientPermissions},
		{pome.RoleDeveloper, pome.RoleDeveloper, "POST", nil},
		{pome.RoleOwner, pome.RoleOwner, "PATCH", nil},
		// The effective role is the lower of the key's and its creator's.
		{pome.RoleAdmin, pome.RoleViewer, "GET", nil},
		{pome.RoleAdmin, pome.RoleViewer, "POST", pome.ErrInsufficientPermissions},
		{pome.RoleOwner, pome.RoleViewer, "DELETE", pome.ErrInsufficientPermissions},
		// A creator no longer in the team: the key is refused outright.
		{pome.RoleAdmin, "", "GET", pome.ErrKeyRevoked},
	} {
		t.Run(string(c.role)+" by "+string(c.creator)+" "+c.method, func(t *testing.T) {
			owner := pome.KeyOwner{Key: pome.Key{ID: "key_1", Role: c.role}, Team: pome.Team{Status: pome.TeamActive}, CreatorRole: c.creator}
			v := apikey.NewVerifier(keyStore{owner: owner}, pome.DefaultKeyFormat, time.Minute, time.Now)
			r := httptest.NewRequest(c.method, "/v1/anything", nil)
			r.Header.Set("X-API-KEY", key)
			_, err := authorizeKey(r, v, nil)
			if !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Errorf("authorizeKey(%s key, %s) = %v, want %v", c.role, c.method, err, c.wantErr)
			}
		})
	}
}

// appendJSONString writes what encoding/json writes for any string.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\`, "\x00\x1f\n\r\t", "<a>&", "é€😀", "\u2028\u2029", "\xff\xfe", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// Every kind maps to the status and type of SPEC §8.
func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		kind   pome.Kind
		status int
		typ    string
	}{
		{pome.Invalid, 400, "invalid_request_error"},
		{pome.Unauthenticated, 401, "authentication_error"},
		{pome.Forbidden, 403, "permission_error"},
		{pome.NotFound, 404, "not_found_error"},
		{pome.MethodNotAllowed, 405, "invalid_request_error"},
		{pome.Conflict, 409, "invalid_request_error"},
		{pome.TooLarge, 413, "invalid_request_error"},
		{pome.UnsupportedMediaType, 415, "invalid_request_error"},
		{pome.RateLimited, 429, "rate_limit_error"},
		{pome.Internal, 500, "api_error"},
		{pome.Unavailable, 503, "unavailable_error"},
	} {
		if status, typ := httpapi.StatusOf(c.kind); status != c.status || typ != c.typ {
			t.Errorf("httpapi.StatusOf(%d) = %d, %s, want %d, %s", c.kind, status, typ, c.status, c.typ)
		}
	}
}

// A 429 carries the SPEC envelope (the rate limiter itself is issue 4).
func TestWriteErrorRateLimited(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/", nil), nil, pome.ErrRateLimited)
	if rec.Code != 429 {
		t.Fatalf("status = %d, want 429", rec.Code)
	}
	var env httpapi.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Type != "rate_limit_error" || env.Error.Code != "rate_limit_exceeded" {
		t.Errorf("body = %s, want rate_limit_error/rate_limit_exceeded", rec.Body)
	}
}
