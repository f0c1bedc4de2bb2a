package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/pomehq/pome/client"
)

const whoamiUsage = `Usage: pome whoami [flags]

Shows the user, team and key an API key belongs to, by calling GET /v1/me.
The key is read from --token, else POME_API_KEY (or POME_TOKEN); prefer the
environment, since a flag shows in the process list and shell history.

Examples:
  POME_API_KEY=pme_... pome whoami --api-url https://pome.example.com
  pome whoami --json | jq -r .team.slug
`

func whoami(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	var token string
	var api apiFlags
	fs := newFlagSet("whoami", whoamiUsage, stderr)
	fs.StringVar(&token, "token", "", "API key to use (default $POME_API_KEY)")
	api.register(fs)
	if err := parseFlags(fs, args, getenv, map[string]string{"token": "POME_API_KEY"}); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return usagef("no API key: set POME_API_KEY (or pass --token)")
	}
	base, err := api.base()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c := client.New(base, client.WithAPIKey(token), client.WithUserAgent(userAgent))
	m, err := c.Me(ctx)
	if err != nil {
		return err
	}
	if api.json {
		return printJSON(stdout, m)
	}
	_, err = fmt.Fprintf(stdout, "user  %s (%s)\nteam  %s, plan %s\nkey   %s (%s…), role %s\n",
		m.User.Email, m.User.ID, m.Team.Slug, m.Team.PlanTier, m.APIKey.Name, m.APIKey.Prefix, m.APIKey.Role)
	return err
}

// parseAPIURL checks that s is an http(s) base URL and returns it in one
// form (lower-case scheme and host, no trailing slash): the key under which
// a session is stored.
func parseAPIURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--api-url %q must be an http:// or https:// URL", s)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}
