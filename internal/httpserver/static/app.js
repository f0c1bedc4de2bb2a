// Pome dashboard: the small script behind the server-rendered pages. Every
// change goes through the JSON API (same origin, same session cookie), so
// the API's cross-origin guard and rate limits apply; a new key's plaintext
// lives only in the API's answer and the reveal field, and is wiped from the
// page when its dialog closes.
"use strict";

(() => {
  const team = document.body.dataset.team || "";

  // withTeam adds ?team=<slug> of the page to an API path.
  const withTeam = (path) =>
    team ? path + (path.includes("?") ? "&" : "?") + "team=" + encodeURIComponent(team) : path;

  // api calls the JSON API and resolves to its body, or rejects with
  // {message, requestId} from the error envelope.
  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(withTeam(path), init);
    } catch {
      throw { message: "Could not reach the server. Check your connection and try again.", requestId: "" };
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      // not JSON: described below
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      if (res.status === 401 && e.code === "unauthorized") {
        location.assign("/signin?next=" + encodeURIComponent(location.pathname + location.search));
      }
      throw {
        message: e.message || "The request failed (HTTP " + res.status + ").",
        requestId: e.request_id || res.headers.get("X-Request-Id") || "",
      };
    }
    return data;
  }

  // showError writes err into the alert of scope, with its request id.
  function showError(scope, err) {
    const el = scope.querySelector("[data-alert]") || document.querySelector("main [data-alert]");
    if (!el) return;
    el.textContent = err.message + (/[.!?]$/.test(err.message) ? "" : ".");
    if (err.requestId) {
      el.append(" Request id: ");
      const code = document.createElement("code");
      code.textContent = err.requestId;
      el.append(code);
    }
    el.hidden = false;
    markField(scope, err.message, el);
  }

  // markField marks the form field an API error names ("'rate_limit.limit'
  // must be ...": the field, or the nearest one that holds it), shows it
  // and focuses it, so the message is read where the mistake is.
  function markField(scope, message, alert) {
    const named = /^'([a-z_.]+)'/.exec(message);
    if (!named) return;
    const fields = [...scope.querySelectorAll("[data-field]")];
    const field = fields.find((e) => e.dataset.field === named[1]) ||
      fields.find((e) => e.dataset.field.startsWith(named[1] + ".") || named[1].startsWith(e.dataset.field + "."));
    if (!field) return;
    if (!alert.id) alert.id = "alert-" + Math.random().toString(36).slice(2);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-errormessage", alert.id);
    const details = field.closest("details");
    if (details) details.open = true;
    field.focus();
  }

  function clearError(scope) {
    const el = scope.querySelector("[data-alert]");
    if (el) {
      el.hidden = true;
      el.textContent = "";
    }
    for (const field of scope.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-errormessage");
    }
  }

  // busy disables a form's buttons while its request runs.
  async function busy(form, work) {
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    form.setAttribute("aria-busy", "true");
    try {
      return await work();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      form.removeAttribute("aria-busy");
    }
  }

  // safeNext keeps a redirect after sign-in on this site.
  const safeNext = (next) => (next && next.startsWith("/") && !next.startsWith("//") && !next.includes("\\") ? next : "/keys");

  // Sign in and sign up.
  for (const form of document.querySelectorAll("form[data-auth]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(form);
      const f = new FormData(form);
      const body = { email: f.get("email"), password: f.get("password") };
      const teamName = f.get("team_name");
      if (teamName) body.team_name = teamName;
      const invitation = f.get("invitation"); // a signup through an invitation link
      if (invitation) body.invitation = invitation;
      try {
        await busy(form, () => api("POST", form.dataset.auth, body));
        location.assign(safeNext(form.dataset.next));
      } catch (err) {
        showError(form, err);
        form.querySelector("input[type=password]").select();
      }
    });
  }

  // Dialogs: opened by [data-open=<id>] buttons, which they remember, to
  // give focus back when they close.
  const openers = new WeakMap();
  const onClose = new WeakMap();

  // focusAfterReload: a reveal dialog's close reloads the page (to list the
  // new key), and the reloaded page focuses the button that opened it
  // (create and roll have one each), as a close without reload does.
  const focusKey = "pome-focus-opener";
  const reopened = sessionStorage.getItem(focusKey);
  if (reopened) {
    sessionStorage.removeItem(focusKey);
    const opener = document.querySelector('[data-open="' + CSS.escape(reopened) + '"]');
    if (opener) opener.focus();
  }

  function openDialog(dialog, opener) {
    openers.set(dialog, opener);
    for (const form of dialog.querySelectorAll("form")) {
      form.reset();
      clearError(form);
    }
    dialog.showModal();
  }

  // holdUncopied keeps a dialog open the first time someone closes it on a
  // key they never copied, and says why: the next close goes through.
  function holdUncopied(dialog) {
    if (!dialog.dataset.uncopied) return false;
    delete dialog.dataset.uncopied;
    dialog.querySelector("[data-close-warning]").hidden = false;
    return true;
  }

  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("click", (ev) => {
      if (ev.target.closest("[data-close]") && !holdUncopied(dialog)) dialog.close();
    });
    dialog.addEventListener("cancel", (ev) => {
      if (holdUncopied(dialog)) ev.preventDefault(); // Escape
    });
    dialog.addEventListener("close", () => {
      const after = onClose.get(dialog);
      onClose.delete(dialog);
      wipeReveal(dialog);
      const opener = openers.get(dialog);
      if (opener && opener.isConnected) opener.focus();
      if (after) after();
    });
  }

  document.addEventListener("click", (ev) => {
    const opener = ev.target.closest("[data-open]");
    if (!opener) return;
    const dialog = document.getElementById(opener.dataset.open);
    if (!dialog) return;
    // Name the key or member the dialog acts on, from the opener.
    for (const [attr, sel] of [
      ["keyName", "[data-key-name]"],
      ["keyPrefix", "[data-key-prefix]"],
      ["keyLifetime", "[data-key-lifetime]"],
      ["memberEmail", "[data-member-email]"],
      ["webhookUrl", "[data-webhook-url]"],
    ]) {
      if (opener.dataset[attr] !== undefined) {
        dialog.querySelectorAll(sel).forEach((el) => (el.textContent = opener.dataset[attr] + (attr === "keyPrefix" ? "…" : "")));
      }
    }
    dialog.dataset.keyId = opener.dataset.keyId || "";
    dialog.dataset.memberId = opener.dataset.memberId || "";
    dialog.dataset.webhookId = opener.dataset.webhookId || "";
    showPane(dialog, "form");
    openDialog(dialog, opener);
  });

  // A reveal dialog has two panes in one grid cell: the form and the key.
  // Both always take their space, so the dialog does not move when the key
  // appears; the hidden one is inert.
  function showPane(dialog, name) {
    for (const pane of dialog.querySelectorAll("[data-pane]")) {
      const on = pane.dataset.pane === name;
      pane.inert = !on;
      pane.classList.toggle("pane-off", !on);
    }
  }

  // reveal shows a new key's plaintext (or a webhook's signing secret),
  // once; closing the dialog reloads the page, so the list shows the new
  // key (by its prefix only) or endpoint.
  function reveal(dialog, plaintext) {
    const out = dialog.querySelector("[data-key-output]");
    out.value = plaintext;
    dialog.querySelector("[data-copy-status]").textContent = "";
    dialog.dataset.uncopied = "1";
    showPane(dialog, "reveal");
    onClose.set(dialog, () => {
      // The reload loses focus: the page after it gives it back to the
      // same opener (focusAfterReload).
      sessionStorage.setItem(focusKey, dialog.id);
      location.reload();
    });
    dialog.querySelector("[data-copy]").focus();
  }

  // wipeReveal removes the plaintext from the page.
  function wipeReveal(dialog) {
    const out = dialog.querySelector("[data-key-output]");
    if (!out) return;
    out.value = "";
    out.defaultValue = "";
    dialog.querySelector("[data-copy-status]").textContent = "";
    delete dialog.dataset.uncopied;
    dialog.querySelector("[data-close-warning]").hidden = true;
    showPane(dialog, "form");
  }

  // Copy: the clipboard if the browser allows it, else select the key for
  // the person to copy.
  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-copy]");
    if (!button) return;
    const dialog = button.closest("dialog");
    const out = dialog.querySelector("[data-key-output]");
    const status = dialog.querySelector("[data-copy-status]");
    delete dialog.dataset.uncopied;
    dialog.querySelector("[data-close-warning]").hidden = true;
    try {
      await navigator.clipboard.writeText(out.value);
      status.textContent = "Copied to the clipboard.";
    } catch {
      out.focus();
      out.select();
      status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected text.";
    }
  });

  // Copy a value shown on the page (a key's id): no secret, so a refused
  // clipboard only says so.
  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-copy-text]");
    if (!button) return;
    const status = button.parentElement.querySelector("[data-copy-status]");
    try {
      await navigator.clipboard.writeText(button.dataset.copyText);
      status.textContent = "Copied.";
    } catch {
      status.textContent = button.dataset.copyFallback || "Select the id to copy it.";
    }
  });

  // The create and edit dialogs' policy fields ("policy-fields") in the
  // API's terms. The API checks every value and names the field it refuses
  // (showError marks it); only metadata that is no JSON at all is refused
  // here, as the API would refuse the body.
  const words = (s) => s.split(/[\s,]+/).filter(Boolean);
  const rateLimit = (f) => {
    const limit = f.get("rate_limit_limit"), win = f.get("rate_limit_window");
    return limit || win ? { limit: Number(limit), window_seconds: Number(win) } : null;
  };
  const refill = (f) => (f.get("credits_refill") ? { interval: f.get("credits_refill"), amount: Number(f.get("credits_refill_amount")) } : null);
  function meta(f) {
    const text = f.get("meta").trim();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error("'meta' is not JSON: write an object such as {\"customer\": \"cus_42\"}");
    }
  }

  // policies are a new key's: what is left empty is left out.
  function policies(f) {
    const out = {};
    if (f.get("environment") === "test") out.environment = "test";
    if (f.get("canary") === "on") out.canary = true;
    const scopes = words(f.get("scopes"));
    if (scopes.length) out.scopes = scopes;
    if (rateLimit(f)) out.rate_limit = rateLimit(f);
    if (f.get("credits_remaining") !== "") {
      out.credits = { remaining: Number(f.get("credits_remaining")) };
      if (refill(f)) out.credits.refill = refill(f);
    }
    const cidrs = words(f.get("allowed_cidrs"));
    if (cidrs.length) out.allowed_cidrs = cidrs;
    if (meta(f)) out.meta = meta(f);
    return out;
  }

  // edits are a key's changes: only the fields the person changed from
  // what the page drew (credits sent unchanged would set back what the key
  // spent since), an emptied one as null, which clears it.
  const changed = (el) =>
    el.type === "checkbox" ? el.checked !== el.defaultChecked
    : el.tagName === "SELECT" ? [...el.options].some((o) => o.selected !== o.defaultSelected)
    : el.value !== el.defaultValue;
  function edits(form) {
    const f = new FormData(form);
    const el = (name) => form.elements[name];
    const any = (...names) => names.some((n) => changed(el(n)));
    const out = {};
    if (any("name")) out.name = f.get("name").trim();
    if (any("description")) out.description = f.get("description").trim();
    if (any("enabled")) out.enabled = el("enabled").checked;
    if (any("scopes")) out.scopes = words(f.get("scopes"));
    if (any("rate_limit_limit", "rate_limit_window")) out.rate_limit = rateLimit(f);
    if (f.get("credits_remaining") === "" && any("credits_remaining")) {
      out.credits = null;
    } else if (any("credits_remaining", "credits_refill", "credits_refill_amount")) {
      out.credits = {};
      if (any("credits_remaining")) out.credits.remaining = Number(f.get("credits_remaining"));
      if (any("credits_refill", "credits_refill_amount")) out.credits.refill = refill(f);
    }
    if (any("allowed_cidrs")) out.allowed_cidrs = words(f.get("allowed_cidrs"));
    if (any("meta")) out.meta = meta(f);
    return out;
  }

  const editForm = document.getElementById("edit-form");
  if (editForm) {
    onSubmitReload(editForm, (form) => {
      const body = edits(form);
      if (Object.keys(body).length === 0) return Promise.resolve(); // nothing changed
      return api("PATCH", "/api/keys/" + encodeURIComponent(form.closest("dialog").dataset.keyId), body);
    });
  }

  const createForm = document.getElementById("create-form");
  if (createForm) {
    createForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const dialog = createForm.closest("dialog");
      clearError(createForm);
      const f = new FormData(createForm);
      const body = { name: f.get("name").trim(), role: f.get("role") };
      const description = f.get("description").trim();
      if (description) body.description = description;
      if (f.get("expires_in_days")) body.expires_in_days = Number(f.get("expires_in_days"));
      try {
        if (createForm.querySelector("[data-policies]")) Object.assign(body, policies(f));
        const created = await busy(createForm, () => api("POST", "/api/keys", body));
        reveal(dialog, created.key);
      } catch (err) {
        showError(createForm, err);
      }
    });
  }

  const rollForm = document.getElementById("roll-form");
  if (rollForm) {
    rollForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const dialog = rollForm.closest("dialog");
      clearError(rollForm);
      const f = new FormData(rollForm);
      const body = { expire_old_in_hours: Number(f.get("expire_old_in_hours")) };
      // Empty: the old key's lifetime, as the API gives it.
      if (f.get("expires_in_days")) body.expires_in_days = Number(f.get("expires_in_days"));
      try {
        const rolled = await busy(rollForm, () => api("POST", "/api/keys/" + encodeURIComponent(dialog.dataset.keyId) + "/roll", body));
        reveal(dialog, rolled.key);
      } catch (err) {
        showError(rollForm, err);
      }
    });
  }

  // Forms whose success reloads the page.
  function onSubmitReload(form, request) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(form);
      try {
        await busy(form, () => request(form));
        const dialog = form.closest("dialog");
        if (dialog) {
          onClose.set(dialog, () => location.reload());
          dialog.close();
        } else {
          location.reload();
        }
      } catch (err) {
        showError(form, err);
      }
    });
  }

  const revokeForm = document.getElementById("revoke-form");
  if (revokeForm) {
    onSubmitReload(revokeForm, (form) =>
      api("DELETE", "/api/keys/" + encodeURIComponent(form.closest("dialog").dataset.keyId)),
    );
  }

  // Invite a member: the answer's one-time link is shown with a Copy
  // button, and is not kept anywhere else on the page.
  const inviteForm = document.getElementById("invite-form");
  if (inviteForm) {
    inviteForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(inviteForm);
      const f = new FormData(inviteForm);
      try {
        const inv = await busy(inviteForm, () =>
          api("POST", "/api/team/invitations", { email: f.get("email").trim(), role: f.get("role") }),
        );
        const box = inviteForm.querySelector("[data-invite-link]");
        box.querySelector("[data-invite-email]").textContent = inv.email;
        box.querySelector("[data-invite-url]").value = inv.url;
        box.querySelector("[data-copy-text]").dataset.copyText = inv.url;
        box.querySelector("[data-copy-status]").textContent = "";
        box.hidden = false;
        box.querySelector("[data-copy-text]").focus();
      } catch (err) {
        showError(inviteForm, err);
      }
    });
  }

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-revoke-invitation]");
    if (!button) return;
    const main = document.getElementById("main");
    clearError(main);
    button.disabled = true;
    try {
      await api("DELETE", "/api/team/invitations/" + encodeURIComponent(button.dataset.revokeInvitation));
      location.reload();
    } catch (err) {
      button.disabled = false;
      showError(main, err);
    }
  });

  // Add a webhook endpoint: its signing secret is revealed once, as a new
  // key is, and wiped when the dialog closes (which reloads the list).
  const webhookForm = document.getElementById("webhook-form");
  if (webhookForm) {
    webhookForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(webhookForm);
      const f = new FormData(webhookForm);
      try {
        const created = await busy(webhookForm, () =>
          api("POST", "/api/team/webhooks", { url: f.get("url").trim(), events: f.getAll("events") }),
        );
        reveal(webhookForm.closest("dialog"), created.secret);
      } catch (err) {
        showError(webhookForm, err);
      }
    });
  }

  const deleteWebhookForm = document.getElementById("delete-webhook-form");
  if (deleteWebhookForm) {
    onSubmitReload(deleteWebhookForm, (form) =>
      api("DELETE", "/api/team/webhooks/" + encodeURIComponent(form.closest("dialog").dataset.webhookId)),
    );
  }

  for (const form of document.querySelectorAll("form.role-form")) {
    onSubmitReload(form, (form) =>
      api("PATCH", "/api/team/members/" + encodeURIComponent(form.dataset.memberId), {
        role: new FormData(form).get("role"),
      }),
    );
  }

  const removeForm = document.getElementById("remove-form");
  if (removeForm) {
    onSubmitReload(removeForm, (form) =>
      api("DELETE", "/api/team/members/" + encodeURIComponent(form.closest("dialog").dataset.memberId)),
    );
  }

  // ---- Your account (account.html) and a reset link's page (reset.html).
  // Kept apart from the team pages' code above; they share only api,
  // showError, clearError and busy.
  const passwordForm = document.getElementById("password-form");
  if (passwordForm) {
    passwordForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(passwordForm);
      const done = passwordForm.querySelector("[data-password-changed]");
      done.hidden = true;
      const f = new FormData(passwordForm);
      try {
        await busy(passwordForm, () =>
          api("POST", "/api/auth/password", { current_password: f.get("current_password"), new_password: f.get("new_password") }),
        );
        passwordForm.reset();
        done.hidden = false;
        // The other sessions ended: take them off the list.
        for (const row of document.querySelectorAll("[data-session-row]")) {
          if (row.querySelector("[data-end-session]")) row.remove();
        }
      } catch (err) {
        showError(passwordForm, err);
      }
    });
  }

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-end-session]");
    if (!button) return;
    const main = document.getElementById("main");
    clearError(main);
    button.disabled = true;
    try {
      await api("DELETE", "/api/auth/sessions/" + encodeURIComponent(button.dataset.endSession));
      button.closest("tr").remove();
    } catch (err) {
      button.disabled = false;
      showError(main, err);
    }
  });

  const resetForm = document.getElementById("reset-form");
  if (resetForm) {
    resetForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(resetForm);
      const f = new FormData(resetForm);
      try {
        await busy(resetForm, () => api("POST", "/api/auth/password-reset", { token: f.get("token"), new_password: f.get("new_password") }));
        location.assign("/signin");
      } catch (err) {
        showError(resetForm, err);
        resetForm.querySelector("input[type=password]").select();
      }
    });
  }
  // ---- End of your account.

  // An invitation link's page (invite.html), signed in as the invited
  // address: join, then the team's keys.
  const acceptForm = document.getElementById("accept-form");
  if (acceptForm) {
    acceptForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearError(acceptForm);
      try {
        await busy(acceptForm, () => api("POST", "/api/invitations/accept", { token: acceptForm.dataset.token }));
        location.assign(safeNext(acceptForm.dataset.next));
      } catch (err) {
        showError(acceptForm, err);
      }
    });
  }

  // The team menu closes on Escape (focus back on its summary) and on a
  // click elsewhere.
  for (const menu of document.querySelectorAll("details[data-menu]")) {
    menu.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", (ev) => {
      if (menu.open && !menu.contains(ev.target)) menu.open = false;
    });
  }
})();
