// The login and registration form.

import { h } from "../dom.js";

/**
 * Renders into `root`; `onSubmit({mode, username, password, displayName})` returns a promise that rejects with an
 * ApiError (shown in the form) or resolves when the session started.
 */
export function renderLogin(root, { onSubmit, notice = null }) {
  let mode = "login";
  const error = h("p", { class: "form-error", role: "alert", dataset: { testid: "login-error" }, hidden: true });
  const info = h("p", { class: "form-notice", dataset: { testid: "login-notice" }, hidden: !notice }, notice || "");
  const username = h("input", {
    id: "login-username", name: "username", autocomplete: "username", required: true, minlength: 3, maxlength: 32,
    pattern: "[A-Za-z0-9_.]{3,32}", spellcheck: false, autocapitalize: "none", dataset: { testid: "login-username" },
  });
  const password = h("input", {
    id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true,
    minlength: 8, maxlength: 128, dataset: { testid: "login-password" },
  });
  const displayName = h("input", {
    id: "login-display-name", name: "displayName", autocomplete: "name", maxlength: 64,
    dataset: { testid: "login-display-name" },
  });
  const displayNameRow = h("div", { class: "field", hidden: true },
    h("label", { for: "login-display-name" }, "Display name ", h("span", { class: "hint" }, "(optional)")),
    displayName);
  const usernameHint = h("p", { class: "hint", id: "username-hint", hidden: true },
    "3–32 characters: letters, digits, “_” and “.”.");
  username.setAttribute("aria-describedby", "username-hint");
  const passwordHint = h("p", { class: "hint", id: "password-hint", hidden: true }, "At least 8 characters.");
  password.setAttribute("aria-describedby", "password-hint");
  const submit = h("button", { type: "submit", class: "primary", dataset: { testid: "login-submit" } }, "Log in");
  const loginTab = h("button", { type: "button", role: "tab", "aria-selected": "true", dataset: { testid: "tab-login" } }, "Log in");
  const registerTab = h("button", { type: "button", role: "tab", "aria-selected": "false", dataset: { testid: "tab-register" } },
    "Create account");

  const setMode = (next) => {
    mode = next;
    const registering = mode === "register";
    loginTab.setAttribute("aria-selected", String(!registering));
    registerTab.setAttribute("aria-selected", String(registering));
    displayNameRow.hidden = !registering;
    usernameHint.hidden = !registering;
    passwordHint.hidden = !registering;
    password.autocomplete = registering ? "new-password" : "current-password";
    submit.textContent = registering ? "Create account" : "Log in";
    error.hidden = true;
  };
  loginTab.addEventListener("click", () => setMode("login"));
  registerTab.addEventListener("click", () => setMode("register"));

  const form = h("form", { class: "login-form", dataset: { testid: "login-form" }, novalidate: true },
    h("div", { class: "tabs", role: "tablist", "aria-label": "Log in or create an account" }, loginTab, registerTab),
    info,
    h("div", { class: "field" }, h("label", { for: "login-username" }, "Username"), username, usernameHint),
    h("div", { class: "field" }, h("label", { for: "login-password" }, "Password"), password, passwordHint),
    displayNameRow,
    error,
    submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const problem = validate(mode, username.value.trim(), password.value);
    if (problem) {
      showError(problem);
      return;
    }
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      await onSubmit({ mode, username: username.value.trim(), password: password.value, displayName: displayName.value.trim() });
    } catch (failure) {
      showError(failure.userMessage || failure.message || String(failure));
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  root.replaceChildren(
    h("main", { class: "login-page" },
      h("div", { class: "login-card" },
        h("h1", {}, "Chat"),
        h("p", { class: "tagline" }, "Talk to your team, live."),
        form)));
  username.focus();
}

function validate(mode, username, password) {
  if (!username || !password) return "Enter a username and a password.";
  if (mode === "register") {
    if (!/^[A-Za-z0-9_.]{3,32}$/.test(username)) return "A username is 3–32 characters: letters, digits, “_” and “.”.";
    if (password.length < 8 || password.length > 128) return "A password is 8–128 characters.";
  }
  return null;
}
