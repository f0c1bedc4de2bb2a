package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const whoamiUsage = `Usage: pome whoami [flags]

Shows the user, team and key an API key belongs to, by calling GET /v1/me.
The key is read from --token, else POME_API_KEY (or POME_TOKEN); prefer the
environment, since a flag shows in the process list and shell history.

Example:
  POME_API_KEY=pme_... pome whoami --api-url https://pome.example.com
`

// whoamiTimeout bounds the whole call: a CLI must not hang on a dead server.
const whoamiTimeout = 15 * time.Second

// me is the body of GET /v1/me (SPEC §3).
type me struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Team struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		PlanTier string `json:"plan_tier"`
	} `json:"team"`
	APIKey struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Prefix string `json:"prefix"`
		Role   string `json:"role"`
	} `json:"api_key"`
}

func whoami(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	var token, apiURL string
	var raw bool
	fs := newFlagSet("whoami", whoamiUsage, stderr)
	fs.StringVar(&token, "token", "", "API key to use (default $POME_API_KEY)")
	fs.StringVar(&apiURL, "api-url", "http://127.0.0.1:8080", "base URL of the Pome server")
	fs.BoolVar(&raw, "json", false, "print the raw JSON body")
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
	base, err := parseAPIURL(apiURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, whoamiTimeout)
	defer cancel()
	body, err := getMe(ctx, base, token)
	if err != nil {
		return err
	}
	if raw {
		_, err := fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(body)))
		return err
	}
	var m me
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("%s/v1/me answered a body that is not Pome's: %w", base, err)
	}
	_, err = fmt.Fprintf(stdout, "user  %s (%s)\nteam  %s, plan %s\nkey   %s (%s…), role %s\n",
		m.User.Email, m.User.ID, m.Team.Slug, m.Team.PlanTier, m.APIKey.Name, m.APIKey.Prefix, m.APIKey.Role)
	return err
}

// parseAPIURL checks that s is an http(s) base URL and drops a trailing slash.
func parseAPIURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef("--api-url %q must be an http:// or https:// URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// getMe calls GET /v1/me with token and returns the 200 body, or the
// server's error as an *apiError.
//
// It is the one HTTP call of the CLI for now; it moves into the client SDK
// when that package exists.
func getMe(ctx context.Context, base, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/me", nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The cause (refused, timeout, DNS) says enough; the *url.Error
		// around it would only repeat the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach Pome at %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read response from %s: %w", base, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var env struct {
		Error struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Code == "" {
		return nil, fmt.Errorf("%s/v1/me answered %s, not a Pome error (is --api-url a Pome server?)", base, resp.Status)
	}
	return nil, &apiError{Status: resp.StatusCode, Message: env.Error.Message, Type: env.Error.Type,
		Code: env.Error.Code, RequestID: env.Error.RequestID}
}
