package httpserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/secretscan"
)

// maxAlertBytes caps the body of a secret scanning alert: GitHub sends up
// to a few thousand tokens at once.
const maxAlertBytes = 1 << 20

var (
	errAlertTooLarge = &pome.Error{Kind: pome.Invalid, Code: httpapi.ErrBodyTooLarge.Code, Message: "Request body is larger than 1 MiB"}
	errAlertUnsigned = &pome.Error{Kind: pome.Unauthenticated, Code: "missing_signature",
		Message: "Github-Public-Key-Identifier and Github-Public-Key-Signature are required"}
	errAlertBadSignature = &pome.Error{Kind: pome.Unauthenticated, Code: "invalid_signature",
		Message: "The signature is not one of GitHub's secret scanning keys over this body"}
	errAlertKeysUnavailable = &pome.Error{Kind: pome.Unavailable, Code: pome.ErrUnavailable.Code,
		Message: "GitHub's secret scanning keys could not be fetched; nothing was revoked"}
)

// githubToken is one token of an alert.
type githubToken struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// githubLabel is GitHub's feedback on one token of an alert.
type githubLabel struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"` // true_positive or false_positive
}

// handleGitHubAlert answers POST /v1/secret-scanning/github, GitHub's secret
// scanning partner endpoint: the alert's signature is checked against
// GitHub's keys before its body is read as JSON; then each token that is an
// active key is revoked (apikey.Service.ReportLeak), and the answer labels
// every token: true_positive when it is one of the deployment's keys, of any
// status, false_positive otherwise. Keys that cannot be fetched fail closed
// (503): nothing is revoked, and GitHub sends the alert again.
func handleGitHubAlert(keys *apikey.Service, github *secretscan.Keys, proxies httpapi.TrustedProxies) returning {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, sig := r.Header.Get("Github-Public-Key-Identifier"), r.Header.Get("Github-Public-Key-Signature")
		if id == "" || sig == "" {
			return errAlertUnsigned
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return errAlertTooLarge
			}
			return pome.ErrUnavailable.WithCause(err)
		}
		switch err := github.Verify(r.Context(), id, sig, body); {
		case errors.Is(err, secretscan.ErrUnknownKey), errors.Is(err, secretscan.ErrBadSignature):
			return errAlertBadSignature
		case err != nil:
			return errAlertKeysUnavailable.WithCause(err)
		}
		var alert []githubToken
		if err := json.Unmarshal(body, &alert); err != nil || alert == nil {
			return httpapi.ErrInvalidJSON
		}
		ctx := requestContext(w, r, proxies.ClientAddr(r))
		labels := make([]githubLabel, len(alert))
		// A token GitHub lists twice is looked up once.
		found := make(map[string]bool, len(alert))
		for i, t := range alert {
			isKey, seen := found[t.Token]
			if !seen {
				leak := apikey.Leak{Source: "github:" + t.Source, URL: t.URL}
				if isKey, err = keys.ReportLeak(ctx, t.Token, leak); err != nil {
					return err
				}
				found[t.Token] = isKey
			}
			labels[i] = githubLabel{TokenRaw: t.Token, TokenType: t.Type, Label: "false_positive"}
			if isKey {
				labels[i].Label = "true_positive"
			}
		}
		httpapi.WriteJSON(w, http.StatusOK, labels)
		return nil
	}
}
