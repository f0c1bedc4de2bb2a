package pome

import (
	"encoding/base64"
	"strings"
)

// Paged listings (GET /api/audit, GET /api/keys) share one cursor scheme:
// an opaque token that is a position in the listing, never a filter or a
// team, so that a cursor handed to another team reads only that team's
// rows from the same position.

// EncodeCursor makes the opaque cursor of position in a listing whose
// cursors start with version (e.g. "a1." for the audit log). The version
// lets a listing change its cursor's form, and tells one listing's cursor
// from another's.
func EncodeCursor(version, position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(version + position))
}

// DecodeCursor returns the position EncodeCursor put in cursor; false if
// cursor is not one of the listing of version. The position is still the
// caller's to check.
func DecodeCursor(version, cursor string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), version)
}

// PageLimit is the page size a listing asked for limit serves: def for 0,
// limit for 1 to max, else 400 invalid_parameter naming 'limit'.
func PageLimit(limit, def, max int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 1 || limit > max:
		return 0, InvalidParameter("'limit' must be 1 to %d", max)
	}
	return limit, nil
}
