package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// resolveKey returns the id of the key a person named: an id (key_ and 16
// base62 characters) as is, else the one key of the team with that name.
// A rolled key and its replacement share a name: among several, the active
// ones are taken; if more than one remains, the name is ambiguous and the
// error lists their ids.
func resolveKey(ctx context.Context, c *client.Client, ref string) (string, error) {
	if pome.IsID(ref, "key_") {
		return ref, nil
	}
	var named []client.Key
	for k, err := range c.AllKeys(ctx, "all") { // every page: the key may be an old one
		if err != nil {
			return "", err
		}
		if k.Name == ref {
			named = append(named, k)
		}
	}
	if len(named) > 1 {
		var active []client.Key
		for _, k := range named {
			if k.Status == pome.KeyActive {
				active = append(active, k)
			}
		}
		if len(active) > 0 {
			named = active
		}
	}
	switch len(named) {
	case 0:
		return "", fmt.Errorf("no key named %q that you may see in the team (pome keys list --status all)", printable(ref))
	case 1:
		return named[0].ID, nil
	}
	ids := make([]string, len(named))
	for i, k := range named {
		ids[i] = k.ID + " (" + string(k.Status) + ")"
	}
	return "", usagef("%d keys are named %q: %s; name one by its id", len(named), printable(ref), strings.Join(ids, ", "))
}

// resolveMember returns the user id of the member a person named: a user
// id as is, else the member with that email.
func resolveMember(ctx context.Context, c *client.Client, ref string) (string, error) {
	if pome.IsID(ref, "usr_") {
		return ref, nil
	}
	l, err := c.Members(ctx)
	if err != nil {
		return "", err
	}
	for _, m := range l.Members {
		if strings.EqualFold(m.Email, ref) {
			return m.UserID, nil
		}
	}
	return "", fmt.Errorf("no member %q in the team (pome members list)", printable(ref))
}
