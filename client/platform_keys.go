package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
)

// PlatformKeyList is a page of a team's keys from the platform API, newest
// first. NextCursor is "" on the last page (null in JSON).
type PlatformKeyList struct {
	Keys       []Key  `json:"keys"`
	NextCursor string `json:"next_cursor"`
}

// MarshalJSON encodes the page as the server sends it: next_cursor is null
// on the last page.
func (l PlatformKeyList) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Keys       []Key   `json:"keys"`
		NextCursor *string `json:"next_cursor"`
	}{l.Keys, orNull(l.NextCursor)})
}

// CreatePlatformKey mints a key for the team with teamID (POST
// /v1/teams/{id}/keys; keys:write), created by the service token: its
// role defaults to developer. The answer's Key is the plaintext, shown
// this once.
func (c *Client) CreatePlatformKey(ctx context.Context, teamID string, p CreateKeyParams) (*CreatedKey, error) {
	var v CreatedKey
	r := request{method: http.MethodPost, path: "/v1/teams/" + url.PathEscape(teamID) + "/keys", body: p, public: true, want: http.StatusCreated}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// PlatformKey returns any team's key with id (GET /v1/keys/{id};
// keys:read).
func (c *Client) PlatformKey(ctx context.Context, id string) (*Key, error) {
	return c.platformKey(ctx, request{method: http.MethodGet, path: platformKeyPath(id), public: true, want: http.StatusOK})
}

// PlatformKeys returns one page of the keys of the team with teamID,
// newest first (GET /v1/teams/{id}/keys; keys:read); the next page is o
// with Cursor set to the answer's NextCursor. AllPlatformKeys follows
// every page.
func (c *Client) PlatformKeys(ctx context.Context, teamID string, o KeyListOptions) (*PlatformKeyList, error) {
	var v PlatformKeyList
	r := request{method: http.MethodGet, path: "/v1/teams/" + url.PathEscape(teamID) + "/keys",
		query: pageQuery(o.Cursor, o.Limit, "status", o.Status, "q", o.Search), public: true, want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// AllPlatformKeys iterates over every key of the team with teamID with
// status ("" or "active", "revoked", "expired", "all"), newest first,
// fetching pages of the most keys the server gives (100) one after
// another. It stops at the first error, which it yields.
func (c *Client) AllPlatformKeys(ctx context.Context, teamID, status string) iter.Seq2[Key, error] {
	return pages("", func(cursor string) ([]Key, string, error) {
		l, err := c.PlatformKeys(ctx, teamID, KeyListOptions{Status: status, Limit: MaxKeyListLimit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return l.Keys, l.NextCursor, nil
	})
}

// UpdatePlatformKey changes any team's key (PATCH /v1/keys/{id};
// keys:write): the fields of p that are set, pome.Null clearing one. The
// change reaches every node within a second.
func (c *Client) UpdatePlatformKey(ctx context.Context, id string, p UpdateKeyParams) (*Key, error) {
	return c.platformKey(ctx, request{method: http.MethodPatch, path: platformKeyPath(id), body: p, public: true, want: http.StatusOK})
}

// RevokePlatformKey revokes any team's key (DELETE /v1/keys/{id};
// keys:write); its very next use is refused. Revoking a revoked key
// succeeds again.
func (c *Client) RevokePlatformKey(ctx context.Context, id string) (*RevokedKey, error) {
	var v RevokedKey
	r := request{method: http.MethodDelete, path: platformKeyPath(id), public: true, want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// RollPlatformKey mints a replacement of any team's key (POST
// /v1/keys/{id}/roll; keys:write) with every field and policy of the old
// one, and its lifetime unless p gives an expiry; the old key keeps
// working for the grace period, then answers key_expired.
func (c *Client) RollPlatformKey(ctx context.Context, id string, p RollKeyParams) (*RolledKey, error) {
	var v RolledKey
	r := request{method: http.MethodPost, path: platformKeyPath(id) + "/roll", body: p, public: true, want: http.StatusCreated}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// PlatformKeyUsage returns the daily verifications by outcome of any
// team's key with id (GET /v1/keys/{id}/usage; keys:read), for the last
// days days (1 to 90; 0: the server's default, 30), today included.
func (c *Client) PlatformKeyUsage(ctx context.Context, id string, days int) (*KeyUsage, error) {
	return fetch[KeyUsage](ctx, c, request{method: http.MethodGet, path: platformKeyPath(id) + "/usage", query: daysQuery(days), public: true, want: http.StatusOK})
}

// PlatformTeamUsage returns the daily verifications by outcome of every key
// of the team with teamID, revoked and expired ones included, summed (GET
// /v1/teams/{id}/usage; keys:read), as PlatformKeyUsage does for one key.
func (c *Client) PlatformTeamUsage(ctx context.Context, teamID string, days int) (*TeamUsage, error) {
	return fetch[TeamUsage](ctx, c, request{method: http.MethodGet, path: "/v1/teams/" + url.PathEscape(teamID) + "/usage", query: daysQuery(days), public: true, want: http.StatusOK})
}

func platformKeyPath(id string) string { return "/v1/keys/" + url.PathEscape(id) }

func (c *Client) platformKey(ctx context.Context, r request) (*Key, error) {
	var v Key
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
