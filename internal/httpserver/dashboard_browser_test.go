package httpserver_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// The dashboard in a real browser: Debian's headless Chromium, driven over
// the DevTools protocol (chromedp), against the real handler and SQLite.
// Each test saves screenshots as artifacts: under $POME_ARTIFACTS_DIR if
// set, else in the test's artifact directory (kept with `go test
// -artifacts`). -update-screenshots also writes the README's images.

var updateScreenshots = flag.Bool("update-screenshots", false, "write the README screenshots into docs/img/")

// chromiumPath finds Debian's chromium ($POME_CHROMIUM overrides). Without
// it the browser tests skip, except in CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("POME_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("chromium not found and CI is set: the browser tests must run in CI (.ci/run installs Debian's chromium package)")
	}
	t.Skip("chromium not found: install Debian's chromium package (apt-get install chromium) to run the browser tests")
	return ""
}

// chrome is one Chromium process for a test; each tab is a separate
// browser context (its own cookies), so several people can be signed in.
type chrome struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go

	mu       sync.Mutex
	problems []string // uncaught exceptions and policy violations, from every tab
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	c := &chrome{t: t, ctx: ctx, dir: artifactDir(t)}
	t.Logf("screenshots: %s", c.dir)
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return c
}

func artifactDir(t *testing.T) string {
	if root := os.Getenv("POME_ARTIFACTS_DIR"); root != "" {
		dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.ArtifactDir()
}

// tab is one person at one window size.
type tab struct {
	t    *testing.T
	c    *chrome
	ctx  context.Context
	name string
	base string // the server's URL
	shot int
}

// newTab opens a tab in a new browser context, width × height CSS pixels,
// allowed to use the clipboard on base.
func (c *chrome) newTab(name, base string, width, height int64) *tab {
	t := c.t
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action opens the tab, for as long as ctx lives: it must run
	// without the timeout of a step.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	tb := &tab{t: t, c: c, ctx: ctx, name: name, base: base}
	id := chromedp.FromContext(ctx).BrowserContextID
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted,
			Origin: base, BrowserContextID: id,
		}); err != nil {
			t.Logf("%s: grant %s: %v (the copy button falls back to selecting)", name, perm, err)
		}
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				c.mu.Lock()
				c.problems = append(c.problems, fmt.Sprintf("%s: %s (%s:%d)", name, m.Text, m.URL, m.Line+1))
				c.mu.Unlock()
			}
		}
	}()
	return tb
}

const step = 15 * time.Second

// do runs actions within one step's time, failing the test on an error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its result into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// check fails the test unless the expression is true now.
func (tb *tab) check(what, expr string) {
	tb.t.Helper()
	if !eval[bool](tb, expr) {
		tb.shoot("failed")
		tb.t.Fatalf("%s: %s: want true: %s", tb.name, what, expr)
	}
}

// waitFor waits until the expression is true, across page loads (the page
// polled may be replaced while it runs).
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(step)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			tb.shoot("timeout")
			tb.t.Fatalf("%s: waiting for %s: %s (last error: %v)", tb.name, what, expr, lastErr)
		}
		<-tick.C
	}
}

// open navigates to path on the server and waits for the page.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.base+path))
}

// reloadAfter runs action, which makes the page load again, and waits for
// the new page.
func (tb *tab) reloadAfter(what string, action chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	tb.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__pomeOld = true`))
	tb.do(what, action)
	tb.waitFor("the page after "+what, `!window.__pomeOld && document.readyState === "complete"`)
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	tb.do("choose "+value+" in "+sel, chromedp.SetValue(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.trim()`, sel))
}

// shoot saves a screenshot of the viewport (the page as the person sees it,
// dialogs included), numbered in the order taken, and returns it; and
// checks the page's accessibility as it is (axe_test.go): every state of a
// page worth a picture is checked.
func (tb *tab) shoot(name string) []byte {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Errorf("%s: screenshot %s: %v", tb.name, name, err)
		return nil
	}
	tb.shot++
	file := filepath.Join(tb.c.dir, fmt.Sprintf("%s-%02d-%s.png", tb.name, tb.shot, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Errorf("write %s: %v", file, err)
	}
	tb.accessible(name)
	return png
}

// readme writes png as a README image when -update-screenshots is given.
func readme(t *testing.T, name string, png []byte) {
	t.Helper()
	if !*updateScreenshots || png == nil {
		return
	}
	dir := filepath.Join("..", "..", "docs", "img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs/img/%s", name)
}

// signIn signs email in through the sign-in page.
func (tb *tab) signIn(email string) {
	tb.t.Helper()
	tb.open("/keys")
	tb.waitFor("the sign-in page", `location.pathname === "/signin" && !!document.getElementById("signin-form")`)
	tb.typeInto("#email", email)
	tb.typeInto("#password", pometest.Password)
	tb.click("#signin-form button[type=submit]")
	tb.waitFor("the keys page", `location.pathname === "/keys" && document.readyState === "complete"`)
}

// keyRowID returns the id of the keys table's row whose prefix starts key.
func (tb *tab) keyRowID(key string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(() => {
		const r = [...document.querySelectorAll("tr[data-key-row]")].find(r => r.querySelector("code.prefix").textContent.startsWith(%q));
		return r ? r.dataset.keyRow : "";
	})()`, key[:12]))
}

// noHorizontalScroll checks that the page fits its width (360 px phones).
func (tb *tab) noHorizontalScroll(what string) {
	tb.t.Helper()
	tb.check(what+" fits the window's width", `document.documentElement.scrollWidth <= window.innerWidth`)
}

// callMe calls GET /v1/me with key and returns the status and error code.
func callMe(t *testing.T, s *pometest.Server, key string) (int, string) {
	t.Helper()
	r := s.Do(t, nil, "GET", "/v1/me", http.Header{"X-Api-Key": {key}}, "")
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.Body, &env)
	return r.Status, env.Error.Code
}

func wantMe(t *testing.T, s *pometest.Server, what, key string, status int, code string) {
	t.Helper()
	if got, gotCode := callMe(t, s, key); got != status || gotCode != code {
		t.Fatalf("%s: GET /v1/me = %d %q, want %d %q", what, got, gotCode, status, code)
	}
}

var keyShape = regexp.MustCompile(`^pme_[0-9A-Za-z]{36}$`)

// The life of a key, as a person lives it at a desktop: sign up, create a
// key and copy it (shown once, gone from the page when the dialog closes),
// use it, watch its usage and last use, roll it, revoke it, and find it all
// in the audit log.
func TestBrowserKeyLifecycle(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := newChrome(t)
	alice := c.newTab("alice", s.URL, 1280, 800)

	// Signed out, a page leads to sign-in, and from there to sign-up.
	alice.open("/keys")
	alice.waitFor("the sign-in page", `location.pathname === "/signin"`)
	alice.shoot("signin")
	alice.click(`a[href^="/signup"]`)
	alice.waitFor("the sign-up page", `!!document.getElementById("signup-form")`)
	alice.typeInto("#email", "alice@example.com")
	alice.typeInto("#password", pometest.Password)
	alice.typeInto("#team-name", "Acme Robotics")
	alice.shoot("signup")
	alice.click("#signup-form button[type=submit]")
	alice.waitFor("the keys page of the new team", `location.pathname === "/keys" && !!document.querySelector(".empty")`)
	if got := alice.text(".empty h2"); got != "No API keys yet" {
		t.Errorf("empty state = %q, want %q", got, "No API keys yet")
	}
	alice.check("the team is in the top navigation", `document.querySelector(".team-menu .team-name").textContent === "Acme Robotics"`)
	alice.shoot("keys-empty")

	// The create dialog takes focus, and gives it back when cancelled.
	opener := `.page-head [data-open="create-dialog"]`
	alice.click(opener)
	alice.waitFor("the create dialog", `document.getElementById("create-dialog").open`)
	alice.check("focus moves into the dialog", `document.activeElement.id === "key-name"`)
	alice.check("least privilege by default, for an owner too: developer, 90 days",
		`document.getElementById("key-role").value === "developer" && document.getElementById("key-expiry").value === "90"`)
	alice.do("press Escape", chromedp.KeyEvent(kb.Escape))
	alice.waitFor("the dialog to close", `!document.getElementById("create-dialog").open`)
	alice.check("focus returns to the button that opened it", `document.activeElement.matches('`+opener+`')`)

	// Opened from the keyboard this time.
	alice.do("press Enter on the button", chromedp.KeyEvent(kb.Enter))
	alice.waitFor("the create dialog", `document.getElementById("create-dialog").open && document.activeElement.id === "key-name"`)
	alice.typeInto("#key-name", "ci-production")
	alice.typeInto("#key-description", "Deploys from CI")
	alice.choose("#key-role", "developer")
	alice.choose("#key-expiry", "30")
	rect := `JSON.stringify((r => [r.x, r.y, r.width, r.height])(document.getElementById("create-dialog").getBoundingClientRect()))`
	before := eval[string](alice, rect)
	alice.shoot("create-dialog")
	alice.click("#create-form button[type=submit]")
	alice.waitFor("the new key", `document.getElementById("create-key").value.startsWith("pme_")`)
	if after := eval[string](alice, rect); after != before {
		t.Errorf("the dialog moved when the key appeared: %s, then %s", before, after)
	}
	alice.check("focus on the copy button", `document.activeElement.matches("[data-copy]")`)
	alice.check("the once-only warning", `document.querySelector("#create-dialog .warning").innerText.includes("you will not see it again")`)

	// Copy it: the clipboard holds what the field shows.
	key := eval[string](alice, `document.getElementById("create-key").value`)
	if !keyShape.MatchString(key) {
		t.Fatalf("the dialog shows %q, not a key", key)
	}
	alice.click("#create-dialog [data-copy]")
	alice.waitFor("the copy status", `document.querySelector("#create-dialog [data-copy-status]").textContent !== ""`)
	if status := alice.text("#create-dialog [data-copy-status]"); status == "Copied to the clipboard." {
		ctx, cancel := context.WithTimeout(alice.ctx, step)
		clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		cancel()
		switch {
		case err != nil:
			t.Logf("reading the clipboard back: %v (the field was copied)", err)
		case clip != key:
			t.Errorf("clipboard = %q, want the key %q", clip, key)
		}
	} else {
		t.Logf("copy fell back to selecting: %q", status)
		alice.check("the key is selected", `document.activeElement.id === "create-key"`)
	}
	png := alice.shoot("create-dialog-key")
	readme(t, "create-dialog.png", png)

	// Closing the dialog wipes the key from the page (checked as it closes,
	// before the reload that shows the new row).
	alice.do("watch the dialog close", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById("create-dialog").addEventListener("close", () => {
		const left = document.documentElement.outerHTML.includes(%[1]q) ||
			[...document.querySelectorAll("input, textarea")].some(e => e.value.includes(%[1]q));
		sessionStorage.setItem("keyLeft", String(left));
	})`, key)))
	alice.reloadAfter("Done", chromedp.Click(chromedp.CSS(`#create-dialog [data-pane="reveal"] [data-close]`)))
	alice.check("no plaintext as the dialog closed", `sessionStorage.getItem("keyLeft") === "false"`)
	alice.check("focus returns to the button that opened it, after the reload", `document.activeElement.matches('`+opener+`')`)
	alice.check("no plaintext on the page", fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q)`, key))
	id := alice.keyRowID(key)
	if id == "" {
		t.Fatalf("no row with the prefix %s", key[:12])
	}
	row := `tr[data-key-row="` + id + `"]`
	for sel, want := range map[string]string{
		row + " .key-name":                "ci-production",
		row + ` td[data-label="Role"]`:    "Developer",
		row + " [data-usage]":             "0",
		row + " [data-last-used]":         "Never",
		row + ` td[data-label="Status"]`:  "active",
		row + ` td[data-label="Expires"]`: "in 30 days",
		row + ` [data-created-by]`:        "by alice@example.com",
	} {
		if got := alice.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}

	// Use it; once the meter flushes, the page shows the usage and when.
	for range 3 {
		wantMe(t, s, "the new key", key, 200, "")
	}
	api := s.Login(t, "alice@example.com")
	s.CreateKeyWith(t, api, `{"name":"staging-worker","description":"Nightly batch jobs","role":"viewer","expires_in_days":365}`)
	wantMe(t, s, "staging-worker", s.CreateKeyWith(t, api, `{"name":"local-dev","role":"developer"}`).Key, 200, "")
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(3 * time.Minute)
	alice.reloadAfter("reload", chromedp.Reload())
	if got := alice.text(row + " [data-usage]"); got != "3" {
		t.Errorf("usage = %q, want 3", got)
	}
	if got := alice.text(row + " [data-last-used]"); got != "3 minutes ago" {
		t.Errorf("last used = %q, want %q", got, "3 minutes ago")
	}
	alice.check("the exact time on hover", fmt.Sprintf(`!!document.querySelector(%q)`,
		row+` [data-last-used] time[title="23 Nov 2026, 10:00:00 UTC"][datetime="2026-11-23T10:00:00Z"]`))
	readme(t, "keys.png", alice.shoot("keys"))

	// Its page: the usage chart of 30 days, drawn on the server.
	alice.reloadAfter("open the key", chromedp.Click(chromedp.CSS(row+" .key-name")))
	alice.check("30 bars", `document.querySelectorAll("svg g.bar").length === 30`)
	alice.check("today's bar", `[...document.querySelectorAll("svg g.bar > title")].some(t => t.textContent === "Mon 23 Nov 2026: 3 requests")`)
	alice.check("today's bar is valid requests only", `document.querySelectorAll("svg g.bar rect.seg").length === 1 && document.querySelector("svg g.bar rect.seg").classList.contains("o-valid")`)
	alice.check("the legend says it in words", `document.querySelector(".legend").innerText.replace(/\s+/g, " ").trim() === "valid 3"`)
	alice.shoot("key-usage")
	alice.reloadAfter("show 7 days", chromedp.Click(chromedp.CSS(`.card-head .tabs a[href$="days=7"]`)))
	alice.check("7 bars", `document.querySelectorAll("svg g.bar").length === 7`)
	alice.check("the 7 days tab is the current one", `document.querySelector('.card-head .tabs a[aria-current="page"]').textContent === "7 days"`)
	alice.check("today's bar, still", `document.querySelector("svg g.bar:last-of-type > title").textContent === "Mon 23 Nov 2026: 3 requests"`)
	// The team's usage: every key's requests, from the navigation.
	alice.reloadAfter("open Usage", chromedp.Click(chromedp.CSS(`.nav-links a[href^="/usage"]`)))
	alice.check("the team's requests today", `document.querySelector("svg g.bar:last-of-type > title").textContent === "Mon 23 Nov 2026: 4 requests"`)
	alice.check("the key ranked first among the top keys", fmt.Sprintf(`document.querySelector("[data-top-key]").dataset.topKey === %q`, id))
	readme(t, "usage.png", alice.shoot("team-usage"))
	alice.open("/keys/" + id)

	// Roll it, keeping the old key for an hour.
	alice.click(`.head-actions [data-open="roll-dialog"]`)
	alice.waitFor("the roll dialog", `document.getElementById("roll-dialog").open`)
	alice.check("the roll dialog names the key", `document.getElementById("roll-title").innerText === "Roll ci-production?"`)
	alice.choose("#roll-grace", "1")
	alice.click("#roll-form button[type=submit]")
	alice.waitFor("the new key", `document.getElementById("roll-key").value.startsWith("pme_")`)
	rolled := eval[string](alice, `document.getElementById("roll-key").value`)
	if !keyShape.MatchString(rolled) || rolled == key {
		t.Fatalf("the roll shows %q", rolled)
	}
	alice.shoot("roll-dialog-key")
	// Not copied: the first close (Escape here, or Done) keeps the dialog
	// open and says why; the next one closes it.
	alice.do("press Escape", chromedp.KeyEvent(kb.Escape))
	alice.waitFor("the warning", `!document.querySelector("#roll-dialog [data-close-warning]").hidden`)
	alice.check("the dialog stays open with the key", `document.getElementById("roll-dialog").open && document.getElementById("roll-key").value.startsWith("pme_")`)
	alice.check("the warning says it in words", `document.querySelector("#roll-dialog [data-close-warning]").innerText.includes("it will not be shown again")`)
	alice.shoot("roll-dialog-uncopied")
	alice.reloadAfter("Done again", chromedp.Click(chromedp.CSS(`#roll-dialog [data-pane="reveal"] [data-close]`)))
	alice.check("focus returns to the roll button, after the reload", `document.activeElement.matches('.head-actions [data-open="roll-dialog"]')`)
	alice.check("no plaintext on the page", fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q)`, rolled))
	alice.check("the old key now expires", `document.querySelector(".facts").innerText.includes("in 1 hour")`)
	alice.check("the old key says it is rolling, and links to its replacement",
		`document.querySelector("[data-replaced-by]").innerText.startsWith("Rolling, replaced by key_") && document.querySelector("[data-replaced-by] a").getAttribute("href").startsWith("/keys/key_")`)
	wantMe(t, s, "the old key in its grace period", key, 200, "")
	wantMe(t, s, "the rolled key", rolled, 200, "")
	s.Clock.Advance(61 * time.Minute)
	wantMe(t, s, "the old key after its grace period", key, 403, "key_expired")

	// Revoke the new one, from the list, after a confirmation naming it.
	alice.open("/keys")
	newRow := `tr[data-key-row="` + alice.keyRowID(rolled) + `"]`
	alice.click(newRow + ` [data-open="revoke-dialog"]`)
	alice.waitFor("the revoke dialog", `document.getElementById("revoke-dialog").open`)
	alice.check("the confirmation names the key", `document.getElementById("revoke-title").innerText === "Revoke ci-production?"`)
	alice.check("and its prefix", fmt.Sprintf(`document.getElementById("revoke-dialog").innerText.includes(%q)`, rolled[:12]))
	alice.check("focus on Cancel, the safe choice", `document.activeElement.textContent === "Cancel"`)
	alice.shoot("revoke-dialog")
	alice.reloadAfter("Revoke key", chromedp.Click(chromedp.CSS(`#revoke-form button[type=submit]`)))
	alice.check("the revoked key left the active list", fmt.Sprintf(`!document.querySelector(%q)`, newRow))
	wantMe(t, s, "the revoked key", rolled, 403, "key_revoked")
	alice.open("/keys?status=revoked")
	alice.check("listed as revoked", fmt.Sprintf(`document.querySelector(%q).textContent.includes("revoked")`, newRow+` td[data-label="Status"]`))
	alice.shoot("keys-revoked")

	// The audit log shows what happened.
	alice.click(`.nav-links a[href^="/audit"]`)
	alice.waitFor("the audit log", `location.pathname === "/audit" && document.readyState === "complete"`)
	for _, action := range []string{pome.AuditSignup, pome.AuditKeyCreated, pome.AuditKeyRolled, pome.AuditKeyRevoked, pome.AuditKeyExpired} {
		alice.check("the audit log shows "+action, fmt.Sprintf(`!!document.querySelector('tr[data-action=%q]')`, action))
	}
	alice.check("the revocation names the key", `document.querySelector('tr[data-action="key.revoked"]').innerText.includes("ci-production")`)
	alice.shoot("audit")

	// Sign out: the pages ask to sign in again.
	alice.reloadAfter("Sign out", chromedp.Click(chromedp.CSS(".account button[type=submit]")))
	alice.check("the sign-in page", `location.pathname === "/signin"`)
	alice.open("/keys")
	alice.waitFor("the sign-in page", `location.pathname === "/signin"`)
}

// A second person, added as a developer, on a 360 px phone: they switch to
// the team from the top navigation, see only their own keys, may create
// keys of their role or lower, and see neither the audit log nor member
// management. The owner sees what they did.
func TestBrowserDeveloperOnPhone(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	owner := s.Signup(t, "alice@example.com")
	team := s.Session(t, owner).DefaultTeam
	s.CreateKeyWith(t, owner, `{"name":"alice-production"}`)
	s.Signup(t, "bob@example.com")
	c := newChrome(t)

	alice := c.newTab("alice", s.URL, 1280, 800)
	alice.signIn("alice@example.com")
	alice.open("/settings")
	// An error is shown inline, with the request id to quote.
	alice.typeInto("#invite-email", "alice@example.com")
	alice.click("#invite-form button[type=submit]")
	alice.waitFor("the inline error", `!document.querySelector("#invite-form [data-alert]").hidden`)
	alice.check("the error has its request id", `/Request id: req_\w+/.test(document.querySelector("#invite-form [data-alert]").textContent)`)
	alice.shoot("settings-error")
	alice.do("clear the email", chromedp.Evaluate[chromedp.Void](`document.getElementById("invite-email").value = ""`))
	alice.typeInto("#invite-email", "bob@example.com")
	alice.check("developer is the default role", `document.getElementById("invite-role").value === "developer"`)
	alice.click("#invite-form button[type=submit]")
	alice.waitFor("the invitation link", `document.getElementById("invite-url").value.includes("/invite/")`)
	link := eval[string](alice, `document.getElementById("invite-url").value`)

	// Bob, on his phone, joins through the link.
	bob := c.newTab("bob", s.URL, 360, 740)
	bob.signIn("bob@example.com")
	bob.open(strings.TrimPrefix(link, s.URL))
	bob.waitFor("the invitation page", `!!document.getElementById("accept-form")`)
	bob.click("#accept-form button[type=submit]")
	bob.waitFor("alice's keys", fmt.Sprintf(`location.pathname === "/keys" && location.search === "?team=%s" && document.readyState === "complete"`, team))
	alice.open("/settings")
	bobRow := `tr[data-member-row="bob@example.com"]`
	alice.check("bob is a developer", fmt.Sprintf(`document.querySelector(%q).value === "developer"`, bobRow+" select"))
	alice.shoot("settings")
	bob.noHorizontalScroll("the keys page")
	bob.click(".team-menu summary")
	bob.waitFor("the team menu", `document.querySelector(".team-menu").open`)
	bob.shoot("team-menu")
	bob.reloadAfter("switch team", chromedp.Click(chromedp.CSS(`.team-menu a[href="/keys?team=`+team+`"]`)))
	bob.check("in alice's team", fmt.Sprintf(`location.search === "?team=%s"`, team))
	bob.check("not alice's key", `!document.body.innerText.includes("alice-production")`)
	bob.check("an empty state", `document.querySelector(".empty h2").innerText === "No API keys yet"`)
	bob.check("no audit log in the navigation", `!document.querySelector('.nav-links a[href^="/audit"]')`)
	bob.noHorizontalScroll("the empty keys page")

	// A key of a developer's role or lower.
	bob.click(`.empty [data-open="create-dialog"]`)
	bob.waitFor("the create dialog", `document.getElementById("create-dialog").open`)
	bob.check("roles up to developer", `[...document.querySelectorAll("#key-role option")].map(o => o.value).join() === "developer,viewer"`)
	bob.typeInto("#key-name", "bob-laptop")
	bob.click("#create-form button[type=submit]")
	bob.waitFor("the new key", `document.getElementById("create-key").value.startsWith("pme_")`)
	bob.check("the dialog fits the phone", `(r => r.left >= 0 && r.right <= window.innerWidth)(document.getElementById("create-dialog").getBoundingClientRect())`)
	bob.click("#create-dialog [data-copy]")
	bob.waitFor("the copy status", `document.querySelector("#create-dialog [data-copy-status]").textContent !== ""`)
	key := eval[string](bob, `document.getElementById("create-key").value`)
	bob.shoot("create-dialog-key")
	bob.reloadAfter("Done", chromedp.Click(chromedp.CSS(`#create-dialog [data-pane="reveal"] [data-close]`)))
	bob.check("the new key listed", `document.querySelector(".key-name").innerText === "bob-laptop"`)
	bob.noHorizontalScroll("the keys page with a key")
	bob.shoot("keys")

	r := s.Do(t, nil, "GET", "/v1/me", http.Header{"Authorization": {"Bearer " + key}}, "")
	var me struct {
		APIKey struct{ Role string } `json:"api_key"`
		Team   struct{ Slug string } `json:"team"`
	}
	r.DecodeJSON(t, &me)
	if r.Status != 200 || me.APIKey.Role != "developer" || me.Team.Slug != team {
		t.Errorf("GET /v1/me with bob's key = %d %+v, want 200, a developer key of %s", r.Status, me, team)
	}

	// His key's page on the phone: the chart fits its card, today's bar
	// in sight, with no scrolling (a drawing of fixed width scrolled from
	// its oldest day, and hid today's).
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	bob.reloadAfter("open the key", chromedp.Click(chromedp.CSS(".key-name")))
	bob.check("30 bars", `document.querySelectorAll("svg g.bar").length === 30`)
	bob.check("today's bar, a request", `document.querySelector("svg g.bar:last-of-type > title").textContent.endsWith(": 1 request")`)
	bob.check("today's bar in sight", `(b => b.width > 0 && b.height > 0 && b.left >= 0 && b.right <= document.querySelector(".chart").getBoundingClientRect().right + 0.5)(document.querySelector("svg g.bar:last-of-type rect").getBoundingClientRect())`)
	bob.check("labels at their size", `parseFloat(getComputedStyle(document.querySelector(".chart .xlabels")).fontSize) >= 12`)
	bob.noHorizontalScroll("the key page")
	bob.shoot("key-usage")

	// No audit log and no member management for a developer.
	bob.open("/audit?team=" + team)
	bob.check("the audit log is refused", `document.querySelector(".error-card").innerText.includes("Only owners and admins")`)
	bob.check("with the request id", `/^req_/.test(document.querySelector("[data-request-id]").textContent)`)
	bob.shoot("audit-refused")
	bob.open("/settings?team=" + team)
	bob.check("no member management", `!document.getElementById("invite-form") && !document.querySelector("[data-open=remove-dialog]") && !document.querySelector(".role-form")`)
	bob.noHorizontalScroll("the settings page")
	bob.shoot("settings")

	// The owner sees bob's key, who made it, and the log of it all.
	alice.open("/keys")
	alice.check("bob's key, by bob", `[...document.querySelectorAll("tr[data-key-row]")].some(r => r.innerText.includes("bob-laptop") && r.innerText.includes("bob@example.com"))`)
	alice.open("/audit")
	alice.check("member added", `document.querySelector('tr[data-action="member.added"]').innerText.includes("bob@example.com")`)
	alice.check("bob's key created", `[...document.querySelectorAll('tr[data-action="key.created"]')].some(r => r.innerText.includes("bob@example.com") && r.innerText.includes("bob-laptop"))`)
}

// newOwnerTab starts a server where name@example.com signed up (the owner
// of a team of their own), and a browser signed in as them.
func newOwnerTab(t *testing.T, name string, width, height int64) (*pometest.Server, *tab) {
	t.Helper()
	s := pometest.NewServer(t)
	s.Signup(t, name+"@example.com")
	tb := newChrome(t).newTab(name, s.URL, width, height)
	tb.signIn(name + "@example.com")
	return s, tb
}

// Seed 000's instructions, literally: "Click your team name in the top
// navigation, then select Settings. Click Create API key." The settings
// page lists the new key once the one-time dialog closes, and the key
// works.
func TestBrowserCreateKeyFromSettings(t *testing.T) {
	t.Parallel()
	s, carol := newOwnerTab(t, "carol", 1280, 800)

	carol.click(".team-menu summary")
	carol.waitFor("the team menu", `document.querySelector(".team-menu").open`)
	settings := eval[string](carol, `[...document.querySelectorAll(".team-menu a")].find(a => a.textContent.trim() === "Settings")?.getAttribute("href") ?? ""`)
	if settings == "" {
		t.Fatalf("the team menu has no Settings item")
	}
	carol.reloadAfter("select Settings", chromedp.Click(chromedp.CSS(`.team-menu a[href="`+settings+`"]`)))
	carol.check("the settings page", `location.pathname === "/settings"`)
	carol.check("no keys yet", `document.querySelector("[data-settings-keys]").innerText.includes("No active keys yet")`)
	opener := `[data-settings-keys] [data-open="create-dialog"]`
	carol.check("a Create API key button", `document.querySelector('`+opener+`').textContent.trim() === "Create API key"`)
	carol.click(opener)
	carol.waitFor("the create dialog", `document.getElementById("create-dialog").open && document.activeElement.id === "key-name"`)
	carol.typeInto("#key-name", "billing-service")
	carol.click("#create-form button[type=submit]")
	carol.waitFor("the new key", `document.getElementById("create-key").value.startsWith("pme_")`)
	key := eval[string](carol, `document.getElementById("create-key").value`)
	carol.click("#create-dialog [data-copy]")
	carol.waitFor("the copy status", `document.querySelector("#create-dialog [data-copy-status]").textContent !== ""`)
	carol.reloadAfter("Done", chromedp.Click(chromedp.CSS(`#create-dialog [data-pane="reveal"] [data-close]`)))
	carol.check("still on the settings page", `location.pathname === "/settings"`)
	carol.check("the new key listed there", `document.querySelector("[data-settings-keys] .key-name").innerText === "billing-service"`)
	carol.check("focus returns to the button that opened it", `document.activeElement.matches('`+opener+`')`)
	carol.check("no plaintext on the page", fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q)`, key))
	carol.shoot("settings-keys")
	wantMe(t, s, "the key made from the settings page", key, http.StatusOK, "")
}

// An owner makes a key with every policy in the create dialog: a bad value
// is refused by the API with its message shown and the field it names
// marked and focused; the key made shows each policy on its page, with its
// id to copy and a warning that it expires soon.
func TestBrowserKeyPolicies(t *testing.T) {
	t.Parallel()
	s, dana := newOwnerTab(t, "dana", 1280, 900)
	dana.click(`.page-head [data-open="create-dialog"]`)
	dana.waitFor("the create dialog", `document.getElementById("create-dialog").open`)
	dana.typeInto("#key-name", "partner-feed")
	dana.choose("#key-expiry", "7")
	dana.click("[data-policies] summary")
	dana.choose("#key-environment", "test")
	dana.typeInto("#key-scopes", "docs:read orders:*")
	dana.typeInto("#key-rl-limit", "10")
	dana.typeInto("#key-rl-window", "60")
	dana.typeInto("#key-credits", "500")
	dana.choose("#key-refill", "monthly")
	dana.typeInto("#key-refill-amount", "1000")
	dana.typeInto("#key-cidrs", "127.0.0.1/32\n10.0.0.0/33")
	dana.typeInto("#key-meta", `{"customer": "cus_42"}`)
	dana.shoot("create-policies")
	dana.click("#create-form button[type=submit]")
	dana.waitFor("the API's message", `!document.querySelector("#create-form [data-alert]").hidden`)
	dana.check("it names the bad address", `document.querySelector("#create-form [data-alert]").textContent.includes("10.0.0.0/33")`)
	dana.check("the field marked and focused", `document.activeElement.id === "key-cidrs" && document.activeElement.getAttribute("aria-invalid") === "true"`)
	dana.shoot("create-policies-error")
	dana.do("fix the address", chromedp.Evaluate[chromedp.Void](`document.getElementById("key-cidrs").value = "127.0.0.1/32\n10.0.0.0/8"`))
	dana.click("#create-form button[type=submit]")
	dana.waitFor("the new key", `document.getElementById("create-key").value.startsWith("pme_test_")`)
	dana.check("the mark cleared", `!document.querySelector("#create-form [aria-invalid]")`)
	key := eval[string](dana, `document.getElementById("create-key").value`)
	dana.click("#create-dialog [data-copy]")
	dana.waitFor("the copy status", `document.querySelector("#create-dialog [data-copy-status]").textContent !== ""`)
	dana.reloadAfter("Done", chromedp.Click(chromedp.CSS(`#create-dialog [data-pane="reveal"] [data-close]`)))
	wantMe(t, s, "the key from an allowed address", key, http.StatusOK, "")

	dana.reloadAfter("open the key", chromedp.Click(chromedp.CSS(".key-name")))
	for _, c := range []struct{ policy, want string }{
		{"environment", "test"},
		{"enabled", "Yes"},
		{"scopes", "docs:read orders:*"},
		{"rate_limit", "10 requests per 60 seconds"},
		{"credits", "500 left; refilled to 1,000 monthly"},
		{"allowed_cidrs", "127.0.0.1/32, 10.0.0.0/8"},
		{"meta", `{"customer":"cus_42"}`},
	} {
		if got := dana.text(`[data-policy="` + c.policy + `"]`); got != c.want {
			t.Errorf("the key page's %s = %q, want %q", c.policy, got, c.want)
		}
	}
	dana.check("the expiry warning", `document.querySelector("[data-expiry-warning]").textContent.includes("expires in 7 days")`)
	id := dana.text("[data-shown-id]")
	if !strings.HasPrefix(id, "key_") {
		t.Errorf("the key page shows id %q", id)
	}
	dana.click("[data-copy-text]")
	dana.waitFor("the id copied", `document.querySelector("[data-copy-text] + [data-copy-status]").textContent !== ""`)
	readme(t, "key-page.png", dana.shoot("key-policies"))

	// Edit: what changes is sent, an emptied field clears, a bad value is
	// refused in place.
	dana.click(`.head-actions [data-open="edit-dialog"]`)
	dana.waitFor("the edit dialog", `document.getElementById("edit-dialog").open`)
	dana.check("the key's policies filled in", `document.getElementById("edit-scopes").value === "docs:read orders:*" && document.getElementById("edit-credits").value === "500" && document.getElementById("edit-refill").value === "monthly"`)
	dana.do("change scopes, credits, metadata; clear the rate limit", chromedp.Evaluate[chromedp.Void](`(() => {
		document.getElementById("edit-scopes").value = "docs:read";
		document.getElementById("edit-credits").value = "400";
		document.getElementById("edit-rl-limit").value = "";
		document.getElementById("edit-rl-window").value = "";
		document.getElementById("edit-meta").value = "[1]";
	})()`))
	dana.click("#edit-form button[type=submit]")
	dana.waitFor("the API's message", `!document.querySelector("#edit-form [data-alert]").hidden`)
	dana.check("the metadata field marked and focused", `document.activeElement.id === "edit-meta" && document.activeElement.getAttribute("aria-invalid") === "true"`)
	dana.shoot("edit-error")
	dana.do("fix the metadata", chromedp.Evaluate[chromedp.Void](`document.getElementById("edit-meta").value = '{"customer": "cus_43"}'`))
	dana.reloadAfter("Save", chromedp.Click(chromedp.CSS("#edit-form button[type=submit]")))
	for _, c := range []struct{ policy, want string }{
		{"scopes", "docs:read"},
		{"rate_limit", "The team plan's"},
		{"credits", "400 left; refilled to 1,000 monthly"},
		{"allowed_cidrs", "127.0.0.1/32, 10.0.0.0/8"},
		{"meta", `{"customer":"cus_43"}`},
	} {
		if got := dana.text(`[data-policy="` + c.policy + `"]`); got != c.want {
			t.Errorf("after the edit, the key page's %s = %q, want %q", c.policy, got, c.want)
		}
	}

	// A roll offers the old key's lifetime for the new key, or another.
	dana.click(`.head-actions [data-open="roll-dialog"]`)
	dana.waitFor("the roll dialog", `document.getElementById("roll-dialog").open`)
	dana.check("the old key's lifetime first", `document.querySelector("#roll-expiry option:checked").textContent === "In 7 days, the old key's lifetime"`)
	dana.choose("#roll-expiry", "365")
	dana.click("#roll-form button[type=submit]")
	dana.waitFor("the new key", `document.getElementById("roll-key").value.startsWith("pme_test_")`)
	rolled := eval[string](dana, `document.getElementById("roll-key").value`)
	r := s.Do(t, nil, "GET", "/v1/me", http.Header{"X-Api-Key": {rolled}}, "")
	var me struct {
		APIKey struct{ ID string } `json:"api_key"`
	}
	r.DecodeJSON(t, &me)
	var got struct {
		ExpiresAt *time.Time `json:"expires_at"`
	}
	s.Do(t, s.Login(t, "dana@example.com"), "GET", "/api/keys/"+me.APIKey.ID, nil, "").DecodeJSON(t, &got)
	if want := s.Clock.Now().AddDate(1, 0, 0); r.Status != 200 || got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
		t.Errorf("the rolled key: GET /v1/me = %d, expires %v; want 200, %v", r.Status, got.ExpiresAt, want)
	}
}

// A page on another origin of the same site (another port: the session
// cookie, SameSite=Lax, is sent) posts forms to the dashboard's sign-out
// and to the API: the browser's own Sec-Fetch-Site gets both refused, and
// the session survives.
func TestBrowserCrossOriginFormRefused(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action, enctype, field := s.URL+"/signout", "application/x-www-form-urlencoded", `<input name="x" value="1">`
		if r.URL.Path == "/create" {
			// A JSON body smuggled in a text/plain form.
			action, enctype, field = s.URL+"/api/keys", "text/plain", `<input name='{"name":"evil","x":"' value='"}'>`
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s" enctype="%s">%s</form><script>document.forms[0].submit()</script>`, action, enctype, field)
	}))
	t.Cleanup(evil.Close)
	c := newChrome(t)
	alice := c.newTab("alice", s.URL, 1280, 800)
	alice.signIn("alice@example.com")
	for _, path := range []string{"/signout", "/create"} {
		alice.do("open the other origin's "+path, chromedp.Navigate(evil.URL+path))
		alice.waitFor("the refusal", fmt.Sprintf(`location.origin === %q && document.body.innerText.includes("cross_origin_request")`, s.URL))
		alice.shoot("refused" + strings.ReplaceAll(path, "/", "-"))
	}
	alice.open("/keys")
	alice.check("still signed in", `location.pathname === "/keys"`)
	alice.check("no key was created", `!!document.querySelector(".empty")`)
}
