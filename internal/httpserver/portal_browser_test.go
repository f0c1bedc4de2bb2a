package httpserver_test

import (
	"testing"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// TestBrowserPortal: a platform's service token makes a portal session
// with a return URL; the browser opens the link and lands on the team's
// keys, signed in as a developer, with a "Back to …" link to the return
// URL and no password form on its account page; the same link opened
// again is the "used or expired" page.
func TestBrowserPortal(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithPortal(portalPublicURL, "https://app.example.com"))
	tok := bearer(mustServiceToken(t, s, "platform", "teams:write", "portal:write").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	path := portalPath(t, s, tok, `{"team": "`+team.ID+`", "email": "dev@example.com", "return_url": "https://app.example.com/settings/api"}`)

	c := newChrome(t)
	tb := c.newTab("portal", s.URL, 1280, 800)
	tb.open(path)
	tb.waitFor("the team's keys", `location.pathname === "/keys" && location.search === "?team=`+team.Slug+`" && document.readyState === "complete"`)
	tb.check("signed in as the portal's user", `document.querySelector(".who").textContent === "dev@example.com"`)
	tb.check("as a developer of Acme", `document.querySelector(".team-name").textContent === "Acme" && document.querySelector(".team-menu small").textContent.trim() === "Developer"`)
	tb.check("the Back link to the return URL", `(() => { const a = document.querySelector("[data-back-link]");
		return !!a && a.href === "https://app.example.com/settings/api" && a.textContent.includes("Back to app.example.com") })()`)
	tb.shoot("keys")

	tb.click(`a[href="/account"]`)
	tb.waitFor("the account page", `location.pathname === "/account" && document.readyState === "complete"`)
	tb.check("no password form, a line on signing in through the platform", `!document.getElementById("password-form") && !!document.querySelector("[data-no-password]")`)
	tb.shoot("account")

	tb.open(path)
	tb.waitFor("the used link's page", `document.readyState === "complete" && document.body.innerText.includes("has been used or has expired")`)
	tb.check("telling the user to go back", `document.body.innerText.includes("Go back to the site that sent you here") && document.title.startsWith("Link expired")`)
	tb.shoot("used")
}
