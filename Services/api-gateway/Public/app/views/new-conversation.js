// The "New conversation" dialog: a direct conversation with one person found by username, or a group with a
// title and several people.

import { h, initials } from "../dom.js";

export function openNewConversationDialog({ chat, onCreated }) {
  let mode = "direct";
  let selected = new Map(); // id → user (group)
  let searchTimer = null;
  let searchSeq = 0;

  const search = h("input", {
    id: "user-search", type: "search", autocomplete: "off", spellcheck: false, placeholder: "Username or name",
    dataset: { testid: "user-search" }, "aria-describedby": "user-search-hint", "aria-controls": "user-results",
  });
  const results = h("ul", { id: "user-results", class: "user-results", dataset: { testid: "user-results" }, "aria-live": "polite" });
  const chips = h("ul", { class: "chips", dataset: { testid: "selected-users" }, "aria-label": "Selected people" });
  const title = h("input", { id: "group-title", maxlength: 200, dataset: { testid: "group-title" } });
  const titleRow = h("div", { class: "field", hidden: true }, h("label", { for: "group-title" }, "Group name"), title);
  const error = h("p", { class: "form-error", role: "alert", hidden: true, dataset: { testid: "new-conversation-error" } });
  const create = h("button", { type: "submit", class: "primary", hidden: true, dataset: { testid: "create-group" } }, "Create group");
  const directTab = h("button", { type: "button", role: "tab", "aria-selected": "true", dataset: { testid: "tab-direct" } }, "Direct");
  const groupTab = h("button", { type: "button", role: "tab", "aria-selected": "false", dataset: { testid: "tab-group" } }, "Group");
  const close = h("button", { type: "button", class: "icon", "aria-label": "Close", dataset: { testid: "close-dialog" } }, "✕");

  const form = h("form", { method: "dialog", class: "dialog-body", novalidate: true },
    h("div", { class: "dialog-head" }, h("h2", { id: "new-conversation-title" }, "New conversation"), close),
    h("div", { class: "tabs", role: "tablist", "aria-label": "Kind of conversation" }, directTab, groupTab),
    titleRow,
    h("div", { class: "field" },
      h("label", { for: "user-search" }, "Find people"),
      search,
      h("p", { class: "hint", id: "user-search-hint" }, "Type the start of a username or display name.")),
    chips,
    results,
    error,
    h("div", { class: "dialog-actions" }, create));
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "new-conversation-title", dataset: { testid: "new-conversation-dialog" } }, form);

  const setMode = (next) => {
    mode = next;
    directTab.setAttribute("aria-selected", String(mode === "direct"));
    groupTab.setAttribute("aria-selected", String(mode === "group"));
    titleRow.hidden = mode !== "group";
    create.hidden = mode !== "group";
    chips.hidden = mode !== "group";
    renderChips();
    (mode === "group" ? title : search).focus();
  };
  directTab.addEventListener("click", () => setMode("direct"));
  groupTab.addEventListener("click", () => setMode("group"));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());

  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });

  async function runSearch() {
    const query = search.value.trim();
    const mine = ++searchSeq;
    if (!query) {
      results.replaceChildren();
      return;
    }
    try {
      const users = await chat.searchUsers(query.slice(0, 64));
      if (mine !== searchSeq) return;
      results.replaceChildren(...(users.length ? users.map(resultItem)
        : [h("li", { class: "empty" }, `Nobody found for “${query}”.`)]));
    } catch (failure) {
      if (mine === searchSeq) showError(failure.userMessage || failure.message);
    }
  }

  function resultItem(user) {
    const picked = selected.has(user.id);
    return h("li", {},
      h("button", {
        type: "button", class: "user-result", dataset: { testid: "user-result", username: user.username, userId: user.id },
        "aria-pressed": mode === "group" ? String(picked) : null,
        onclick: () => choose(user),
      },
      h("span", { class: "avatar small", "aria-hidden": "true" }, initials(user.displayName || user.username)),
      h("span", {}, h("strong", {}, user.displayName || user.username), " ", h("span", { class: "hint" }, `@${user.username}`))));
  }

  async function choose(user) {
    error.hidden = true;
    if (mode === "group") {
      if (selected.has(user.id)) selected.delete(user.id);
      else selected.set(user.id, user);
      renderChips();
      runSearch();
      return;
    }
    try {
      const conversation = await chat.openDirect(user);
      dialog.close();
      onCreated(conversation);
    } catch (failure) {
      showError(failure.status === 403 ? `You cannot message ${user.displayName || user.username}.` : failure.userMessage || failure.message);
    }
  }

  function renderChips() {
    chips.replaceChildren(...[...selected.values()].map((user) => h("li", { class: "chip" },
      user.displayName || user.username,
      h("button", { type: "button", class: "icon", "aria-label": `Remove ${user.displayName || user.username}`,
        onclick: () => { selected.delete(user.id); renderChips(); } }, "✕"))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (mode !== "group") return;
    const name = title.value.trim();
    if (!name) {
      showError("Give the group a name.");
      title.focus();
      return;
    }
    create.disabled = true;
    try {
      const conversation = await chat.createGroup(name, [...selected.values()]);
      dialog.close();
      onCreated(conversation);
    } catch (failure) {
      showError(failure.userMessage || failure.message);
    } finally {
      create.disabled = false;
    }
  });

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  document.body.append(dialog);
  dialog.showModal();
  search.focus();
  return dialog;
}
