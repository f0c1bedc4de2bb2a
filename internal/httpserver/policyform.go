package httpserver

import (
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// policyForm fills the policy fields of the create and edit dialogs
// (partials.html, "policy-fields"): their ids start with Prefix; the edit
// dialog's show the key's policies as they are, so that app.js sends only
// what the person changed (a credits field sent unchanged would set back
// what the key spent since the page was drawn).
type policyForm struct {
	Prefix string
	New    bool // the create dialog: the environment is chosen once
	// The edit dialog's values, as the fields write them.
	Enabled                       bool
	Scopes, Limit, Window         string
	Credits, Refill, RefillAmount string
	CIDRs, Meta                   string
}

// newKeyPolicies is the create dialog's: every field empty.
func newKeyPolicies() policyForm { return policyForm{Prefix: "key", New: true, Enabled: true} }

// keyPolicies is the edit dialog's for k, its credits as of now.
func keyPolicies(k *pome.Key, now time.Time) policyForm {
	f := policyForm{Prefix: "edit", Enabled: !k.Disabled, Scopes: strings.Join(k.Scopes, " ")}
	if r := k.RateLimit; r != nil {
		f.Limit, f.Window = strconv.Itoa(r.Limit), strconv.Itoa(int(r.Window/time.Second))
	}
	if c := k.Credits; c != nil {
		f.Credits = strconv.FormatInt(c.At(now), 10)
		if c.Refill != nil {
			f.Refill, f.RefillAmount = c.Refill.Interval, strconv.FormatInt(c.Refill.Amount, 10)
		}
	}
	cidrs := make([]string, len(k.AllowedCIDRs))
	for i, p := range k.AllowedCIDRs {
		cidrs[i] = p.String()
	}
	f.CIDRs, f.Meta = strings.Join(cidrs, "\n"), k.Meta // Meta "" is {}: an empty field
	return f
}
