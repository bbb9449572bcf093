// Starts the web client: the session from storage, the login form or the chat, and an error report for anything
// unexpected (never a blank page).

import { Api } from "./api.js";
import { Session } from "./session.js";
import { Store } from "./store.js";
import { Realtime } from "./socket.js";
import { Chat } from "./chat.js";
import { h, toast } from "./dom.js";
import { renderLogin } from "./views/login.js";
import { renderShell } from "./views/shell.js";

const root = document.getElementById("app");
const session = new Session();
const api = new Api(session);
session.api = api;
const store = new Store();
const realtime = new Realtime({ session, store });
const chat = new Chat({ api, session, store, realtime });
let shell = null;

// Exposed for debugging in the console and for the browser tests; nothing depends on it.
window.chatApp = { session, api, store, realtime, chat };

function showLogin(notice = null) {
  shell?.dispose();
  shell = null;
  chat.stop();
  renderLogin(root, {
    notice,
    onSubmit: async ({ mode, username, password, displayName }) => {
      const answer = mode === "register"
        ? await api.register(username, password, displayName)
        : await api.login(username, password);
      session.set(answer);
      await showChat();
    },
  });
}

async function showChat() {
  root.replaceChildren(h("p", { class: "boot-status", role: "status", dataset: { testid: "loading" } }, "Loading your conversations…"));
  try {
    await chat.start();
  } catch (failure) {
    if (!session.loggedIn) return; // the session ended meanwhile: the login is showing
    renderFailure(failure);
    return;
  }
  shell = renderShell(root, {
    store,
    chat,
    onLogout: async () => {
      try {
        await session.logout();
      } catch (failure) {
        // Logged out here anyway; the server forgets the session when its tokens expire.
        console.warn("logout", failure);
      }
    },
  });
}

function renderFailure(failure) {
  root.replaceChildren(h("main", { class: "login-page" }, h("div", { class: "login-card", role: "alert", dataset: { testid: "start-error" } },
    h("h1", {}, "Chat"),
    h("p", {}, `The chat could not be loaded: ${failure.userMessage || failure.message}`),
    h("p", {}, h("button", { type: "button", class: "primary", onclick: () => showChat() }, "Try again"), " ",
      h("button", { type: "button", onclick: () => session.end(null) }, "Log out")))));
}

session.addEventListener("ended", (event) => showLogin(event.detail.reason));
realtime.addEventListener("problem", (event) => toast(event.detail.text, { kind: "error" }));
chat.addEventListener("problem", (event) => toast(event.detail.error?.userMessage || String(event.detail.error), { kind: "error" }));
realtime.addEventListener("notification", (event) => {
  // Mentions and additions; an ordinary message already shows in the list as unread.
  const notification = event.detail;
  const who = store.displayName(notification.actorId);
  if (notification.type === "mention") toast(`${who} mentioned you: ${notification.preview}`);
  if (notification.type === "added_to_conversation") toast(`${who} added you to a conversation`);
});

window.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason;
  toast(`Something went wrong: ${reason?.userMessage || reason?.message || reason}`, { kind: "error" });
});
window.addEventListener("error", (event) => {
  if (event.error) toast(`Something went wrong: ${event.error.message}`, { kind: "error" });
});

document.documentElement.dataset.app = "started";
if (session.loggedIn) showChat();
else showLogin();
