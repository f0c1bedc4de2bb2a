package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// An owner invites an address from the settings page and copies the link;
// in a new browser context the invitee opens it, signs up as that address
// and lands on the team's keys as a developer. An existing user signs in
// through another link, comes back to it, joins as an admin and sees the
// owner's key; a browser signed in as another address is told so; a used
// link is a 404 page.
func TestBrowserInvitation(t *testing.T) {
	t.Parallel()
	s, olivia := newOwnerTab(t, "olivia", 1280, 900)
	oliviaAPI := s.Login(t, "olivia@example.com")
	s.CreateKeyWith(t, oliviaAPI, `{"name":"olivia-service"}`)

	olivia.open("/settings")
	olivia.check("the invite form, developer by default", `document.getElementById("invite-role").value === "developer" && document.getElementById("invite-role-help").textContent.includes("Viewers")`)
	olivia.typeInto("#invite-email", "not an email")
	olivia.do("submit bypassing the browser's check", chromedp.Evaluate[chromedp.Void](`document.getElementById("invite-email").type = "text"`))
	olivia.click("#invite-form button[type=submit]")
	alert := `document.querySelector("#invite-form [data-alert]")`
	olivia.waitFor("the API's refusal inline", alert+`.hidden === false && `+alert+`.textContent.includes("'email' must be an email address")`)
	olivia.setValue("#invite-email", "newbie@example.com")
	olivia.click("#invite-form button[type=submit]")
	olivia.waitFor("the one-time link", `!document.querySelector("[data-invite-link]").hidden && document.getElementById("invite-url").value.includes("/invite/")`)
	olivia.click("[data-invite-link] [data-copy-text]")
	olivia.waitFor("the copy status", `document.querySelector("[data-invite-link] [data-copy-status]").textContent !== ""`)
	link := eval[string](olivia, `document.getElementById("invite-url").value`)
	if !strings.HasPrefix(link, s.URL+"/invite/") {
		t.Fatalf("invitation link = %q, want %s/invite/...", link, s.URL)
	}
	readme(t, "invite.png", olivia.shoot("invite-link"))
	olivia.open("/settings")
	olivia.check("the pending invitation listed, without its link", `!!document.querySelector('[data-invitation-row="newbie@example.com"]') && !document.documentElement.outerHTML.includes(`+fmt.Sprintf("%q", link[len(s.URL)+len("/invite/"):])+`)`)

	// A new browser context: the invitee signs up through the link.
	newbie := olivia.c.newTab("newbie", s.URL, 1280, 800)
	newbie.open(link[len(s.URL):])
	newbie.waitFor("the invitation page", `!!document.getElementById("invite-signup-form")`)
	newbie.check("the team, the role and the address", `document.body.innerText.includes("Join olivia") && document.body.innerText.includes("Developer") && document.getElementById("email").value === "newbie@example.com" && document.getElementById("email").readOnly`)
	newbie.shoot("invitation")
	newbie.typeInto("#password", pometest.Password)
	newbie.click("#invite-signup-form button[type=submit]")
	newbie.waitFor("the team's keys", `location.pathname === "/keys" && location.search === "?team=olivia" && document.readyState === "complete"`)
	newbie.check("acting in olivia's team as a developer", `document.querySelector(".team-menu .team-name").textContent === "olivia" && !!document.querySelector('[data-open="create-dialog"]')`)
	// A developer lists only their own keys (docs/api.md, roles).
	newbie.check("no key of olivia's", `!document.body.innerText.includes("olivia-service")`)
	newbie.shoot("joined")

	// Olivia invites erin, who has an account, as an admin; newbie's
	// browser is told the link is for another address.
	s.Signup(t, "erin@example.com")
	token := s.Invite(t, oliviaAPI, "erin@example.com", pome.RoleAdmin)
	newbie.open("/invite/" + token)
	newbie.waitFor("the note for another address", `!!document.getElementById("invitation-other") && document.getElementById("invitation-other").innerText.includes("erin@example.com")`)
	newbie.shoot("invitation-other")

	erin := olivia.c.newTab("erin", s.URL, 360, 740)
	erin.open("/invite/" + token)
	erin.waitFor("the invitation page", `!!document.getElementById("invite-signup-form")`)
	erin.reloadAfter("Sign in", chromedp.Click(chromedp.CSS(`.switch-auth a`)))
	erin.check("the sign-in page", `location.pathname === "/signin"`)
	erin.typeInto("#email", "erin@example.com")
	erin.typeInto("#password", pometest.Password)
	erin.click("#signin-form button[type=submit]")
	erin.waitFor("back on the invitation", `location.pathname === "/invite/`+token+`" && !!document.getElementById("accept-form")`)
	erin.noHorizontalScroll("the invitation page")
	erin.click("#accept-form button[type=submit]")
	erin.waitFor("the team's keys", `location.pathname === "/keys" && location.search === "?team=olivia" && document.readyState === "complete"`)
	erin.check("as an admin, olivia's key listed", `document.body.innerText.includes("olivia-service")`)

	// Used: a 404 page, never a 500.
	erin.open("/invite/" + token)
	erin.waitFor("the error page", `document.body.innerText.includes("invitation link is not valid") && document.body.innerText.includes("404")`)
	erin.shoot("invitation-used")
}
