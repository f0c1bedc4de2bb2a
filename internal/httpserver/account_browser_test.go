package httpserver_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pomehq/pome/internal/pometest"
)

// setValue sets a form field's value, replacing what was typed before.
func (tb *tab) setValue(sel, value string) {
	tb.t.Helper()
	tb.do("set "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = %q`, sel, value)))
}

// signInWith signs email in through the sign-in page with password.
func (tb *tab) signInWith(email, password string) {
	tb.t.Helper()
	tb.open("/keys")
	tb.waitFor("the sign-in page", `location.pathname === "/signin" && !!document.getElementById("signin-form")`)
	tb.typeInto("#email", email)
	tb.typeInto("#password", password)
	tb.click("#signin-form button[type=submit]")
	tb.waitFor("the keys page", `location.pathname === "/keys" && document.readyState === "complete"`)
}

// signedOut opens a page and waits to be sent to the sign-in page.
func (tb *tab) signedOut(what string) {
	tb.t.Helper()
	tb.open("/keys")
	tb.waitFor(what, `location.pathname === "/signin" && document.readyState === "complete"`)
}

// TestBrowserChangePassword: in one browser context alice changes her
// password on the account page (the API's refusals shown inline); a second
// context of hers is signed out on its next page load, the first is not.
// Then she ends a session with its End button, and a reset link sets her
// password and signs her out everywhere.
func TestBrowserChangePassword(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	s.Signup(t, "alice@example.com")
	c := newChrome(t)
	laptop := c.newTab("laptop", s.URL, 1280, 800)
	laptop.signIn("alice@example.com")
	phone := c.newTab("phone", s.URL, 360, 740)
	phone.signIn("alice@example.com")

	laptop.click(`a[href="/account"]`)
	laptop.waitFor("the account page", `location.pathname === "/account" && !!document.getElementById("password-form")`)
	laptop.check("three sessions, this one marked", `document.querySelectorAll("[data-session-row]").length === 3 && document.body.innerText.includes("This session")`)
	laptop.noHorizontalScroll("the account page")

	alert := `document.querySelector("#password-form [data-alert]")`
	submit := func(current, next string) {
		laptop.setValue("#current-password", current)
		laptop.setValue("#new-password", next)
		laptop.click("#password-form button[type=submit]")
	}
	submit("not my password", newPassword)
	laptop.waitFor("the wrong password refused inline", alert+`.hidden === false && `+alert+`.textContent.includes("current password is not correct")`)
	laptop.check("with the request id", `/Request id: req_\w+/.test(`+alert+`.textContent)`)
	laptop.shoot("wrong-password")
	submit(pometest.Password, "short")
	laptop.waitFor("the weak password refused inline", alert+`.textContent.includes("'new_password' must be 10 to 1024 characters")`)
	submit(pometest.Password, newPassword)
	laptop.waitFor("the change confirmed", `!document.querySelector("[data-password-changed]").hidden && `+alert+`.hidden`)
	laptop.check("the other sessions gone from the list", `document.querySelectorAll("[data-end-session]").length === 0`)
	laptop.shoot("changed")

	phone.signedOut("the phone signed out on its next page")
	laptop.open("/account")
	laptop.check("the laptop still signed in, alone", `location.pathname === "/account" && document.querySelectorAll("[data-session-row]").length === 1`)

	// End: the phone signs in again, and the laptop ends that session.
	phone.signInWith("alice@example.com", newPassword)
	laptop.open("/account")
	laptop.click("[data-end-session]")
	laptop.waitFor("the ended session off the list", `document.querySelectorAll("[data-session-row]").length === 1`)
	phone.signedOut("the phone signed out by End")

	// A reset link: the API's refusal inline, then the new password, and
	// every session of hers ends.
	token, _, err := s.Accounts.IssueReset(t.Context(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	desk := c.newTab("desk", s.URL, 1280, 800)
	desk.open("/reset/" + token)
	desk.waitFor("the reset form", `!!document.getElementById("reset-form")`)
	desk.typeInto("#new-password", "short")
	desk.click("#reset-form button[type=submit]")
	desk.waitFor("the weak password refused inline", `document.querySelector("#reset-form [data-alert]").textContent.includes("'new_password'")`)
	desk.setValue("#new-password", "the third password")
	desk.click("#reset-form button[type=submit]")
	desk.waitFor("the sign-in page after the reset", `location.pathname === "/signin" && document.readyState === "complete"`)
	laptop.signedOut("the laptop signed out by the reset")
	desk.signInWith("alice@example.com", "the third password")
	desk.open("/reset/" + token)
	desk.waitFor("a used link's page", `document.body.innerText.includes("invalid_reset_token") && document.body.innerText.includes("Ask the operator for a new one")`)
	desk.shoot("used-link")
}
