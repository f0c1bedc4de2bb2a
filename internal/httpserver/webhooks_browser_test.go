package httpserver_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pomehq/pome/internal/pometest"
)

// An owner adds a webhook endpoint from the settings page: the API's
// refusal shows in the dialog, the signing secret is shown once and is on
// no page after; a key created is delivered, signed with that secret, and
// listed on the endpoint's page; the endpoint is deleted after a
// confirmation.
func TestBrowserTeamWebhook(t *testing.T) {
	t.Parallel()
	s, wanda := newOwnerTab(t, "wanda", 1280, 900)
	rc := pometest.NewReceiver(t, nil)

	wanda.open("/settings")
	wanda.check("the webhooks section, empty", `document.querySelector("[data-settings-webhooks]").innerText.includes("No endpoints yet")`)
	opener := `[data-settings-webhooks] [data-open="webhook-dialog"]`
	wanda.click(opener)
	wanda.waitFor("the add dialog", `document.getElementById("webhook-dialog").open && document.activeElement.id === "webhook-url"`)
	wanda.typeInto("#webhook-url", rc.URL+"/pome")
	wanda.click("#webhook-form button[type=submit]")
	alert := `document.querySelector("#webhook-form [data-alert]")`
	wanda.waitFor("the API's refusal of no event", alert+`.hidden === false && `+alert+`.textContent.includes("'events'")`)
	wanda.click(`#webhook-form input[value="key.created"]`)
	wanda.click(`#webhook-form input[value="key.revoked"]`)
	wanda.shoot("webhook-add")
	wanda.click("#webhook-form button[type=submit]")
	wanda.waitFor("the secret", `document.getElementById("webhook-secret").value.startsWith("whsec_")`)
	secret := eval[string](wanda, `document.getElementById("webhook-secret").value`)
	wanda.shoot("webhook-secret")
	wanda.click("#webhook-dialog [data-copy]")
	wanda.waitFor("the copy status", `document.querySelector("#webhook-dialog [data-copy-status]").textContent !== ""`)
	wanda.reloadAfter("Done", chromedp.Click(chromedp.CSS(`#webhook-dialog [data-pane="reveal"] [data-close]`)))
	wanda.check("the endpoint listed, active", `[...document.querySelectorAll("tr[data-webhook-row]")].some(r => r.innerText.includes(`+fmt.Sprintf("%q", rc.URL+"/pome")+`) && r.innerText.includes("key.created, key.revoked") && r.querySelector(".status-active"))`)
	wanda.check("focus returns to the button that opened it", `document.activeElement.matches('`+opener+`')`)
	wanda.check("no secret on the page", fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q)`, secret))
	wanda.do("show the webhooks", chromedp.ScrollIntoView(chromedp.CSS("[data-settings-webhooks]")))
	wanda.shoot("webhooks")

	s.CreateKey(t, s.Login(t, "wanda@example.com"), "ci")
	if err := s.Deliverer.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := rc.Deliveries(); len(d) != 1 || pometest.VerifyWebhook(secret, d[0].Header, d[0].Body, s.Clock.Now()) != nil {
		t.Fatalf("receiver got %d deliveries, want one signed with the secret the dialog showed", len(d))
	}
	wanda.reloadAfter("open the endpoint", chromedp.Click(chromedp.CSS(`tr[data-webhook-row] a`)))
	wanda.waitFor("the endpoint's page", `location.pathname.startsWith("/settings/webhooks/whk_")`)
	wanda.check("the delivery listed", `(() => { const r = document.querySelector('tr[data-delivery="delivered"]'); return !!r && r.innerText.includes("key.created") && r.innerText.includes("204") && r.innerText.includes("ms"); })()`)
	wanda.shoot("webhook-deliveries")

	wanda.open("/settings")
	wanda.click(`tr[data-webhook-row] [data-open="delete-webhook-dialog"]`)
	wanda.waitFor("the confirmation", `document.getElementById("delete-webhook-dialog").open && document.querySelector("#delete-webhook-dialog [data-webhook-url]").textContent === `+fmt.Sprintf("%q", rc.URL+"/pome"))
	wanda.shoot("webhook-delete")
	wanda.reloadAfter("Delete endpoint", chromedp.Click(chromedp.CSS(`#delete-webhook-form button[type=submit]`)))
	wanda.check("the endpoint gone", `!document.querySelector("tr[data-webhook-row]") && document.querySelector("[data-settings-webhooks]").innerText.includes("No endpoints yet")`)
}
