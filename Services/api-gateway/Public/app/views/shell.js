// The logged-in screen: a header (who is logged in, the connection's state, logout), the conversation list and
// the open conversation.

import { h, initials } from "../dom.js";
import { ConversationList } from "./conversations.js";
import { MessagePane } from "./messages.js";
import { openNewConversationDialog } from "./new-conversation.js";

const CONNECTION_TEXT = {
  online: "Connected",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function renderShell(root, { store, chat, onLogout }) {
  // Every listener of this screen goes when it does (logout): the Store outlives it.
  const lifetime = new AbortController();
  const signal = lifetime.signal;
  const me = store.me;
  const status = h("span", { class: "connection", role: "status", dataset: { testid: "connection-status", state: store.connection } },
    CONNECTION_TEXT[store.connection]);
  store.addEventListener("connection", (event) => {
    status.dataset.state = event.detail.state;
    status.textContent = CONNECTION_TEXT[event.detail.state] || event.detail.state;
  }, { signal });

  const pane = new MessagePane({ store, chat, signal });
  const open = async (conversationId) => {
    layout.classList.add("showing-conversation");
    pane.show(conversationId);
    try {
      await chat.open(conversationId);
    } catch (failure) {
      pane.showComposerError(`Could not load this conversation: ${failure.userMessage || failure.message}`);
    }
  };
  const list = new ConversationList({
    store,
    signal,
    onOpen: open,
    onNew: () => openNewConversationDialog({ chat, onCreated: (conversation) => open(conversation.id) }),
  });
  const back = h("button", { type: "button", class: "back small", onclick: () => layout.classList.remove("showing-conversation") },
    "← Conversations");
  const layout = h("div", { class: "layout" }, list.element, h("div", { class: "pane-wrap" }, back, pane.element));

  const logout = h("button", { type: "button", class: "small", dataset: { testid: "logout" } }, "Log out");
  logout.addEventListener("click", () => {
    logout.disabled = true;
    onLogout().finally(() => { logout.disabled = false; });
  });

  root.replaceChildren(
    h("header", { class: "topbar" },
      h("h1", { class: "brand" }, "Chat"),
      status,
      h("span", { class: "me", dataset: { testid: "current-user", username: me.username } },
        h("span", { class: "avatar small", "aria-hidden": "true" }, initials(me.displayName || me.username)),
        h("span", {}, me.displayName || me.username)),
      logout),
    layout);

  // Coming back to the tab marks the open conversation read.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && store.activeId) chat.markRead(store.activeId);
  }, { signal });
  return { open, pane, dispose: () => lifetime.abort() };
}
