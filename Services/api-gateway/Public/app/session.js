// The logged-in session: user, access token (short-lived) and refresh token (single use, rotated by every refresh).
//
// The access token is refreshed at about 80% of its lifetime (at least 30 s before expiry) and whenever a call
// needs one that is about to expire. Refreshes are single-flight, and shared between tabs: a refresh token may be
// used once only (a second use revokes the whole family), so a tab refreshes under a Web Lock and first adopts a
// token another tab already got. Events: "change" (new tokens: the WebSocket re-authenticates) and "ended" (the
// session is over: show the login).

import { ApiError } from "./api.js";

const STORAGE_KEY = "chat.session";
const EARLY_REFRESH_MS = 30_000;

export class Session extends EventTarget {
  constructor() {
    super();
    this.api = null; // set by main.js (the Api needs the session and the session the Api)
    this.state = this.load();
    this.refreshing = null;
    this.timer = null;
    window.addEventListener("storage", (event) => {
      if (event.key !== STORAGE_KEY) return;
      const next = this.load();
      if (!next) {
        if (this.state) this.end("You logged out in another tab.");
      } else if (!this.state || next.accessToken !== this.state.accessToken) {
        this.state = next;
        this.schedule();
        this.dispatchEvent(new Event("change"));
      }
    });
    if (this.state) this.schedule();
  }

  get loggedIn() { return Boolean(this.state); }
  get user() { return this.state?.user ?? null; }
  get accessToken() { return this.state?.accessToken ?? null; }
  get expiresAt() { return this.state?.expiresAt ?? 0; }

  load() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      return stored && stored.accessToken && stored.refreshToken ? stored : null;
    } catch {
      return null;
    }
  }

  /** Takes the answer of register, login or refresh. */
  set(answer) {
    const now = Date.now();
    this.state = {
      user: answer.user,
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      issuedAt: now,
      expiresAt: now + answer.expiresIn * 1000,
    };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
    this.schedule();
    this.dispatchEvent(new Event("change"));
  }

  updateUser(user) {
    if (!this.state) return;
    this.state.user = user;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
  }

  /** When the next refresh is due: 80% into the token's life, and never later than 30 s before its expiry. */
  refreshDueAt() {
    const { issuedAt, expiresAt } = this.state;
    const lifetime = expiresAt - (issuedAt || expiresAt - 900_000);
    return Math.min(expiresAt - lifetime * 0.2, expiresAt - EARLY_REFRESH_MS);
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.state) return;
    const delay = Math.max(1000, this.refreshDueAt() - Date.now());
    this.timer = setTimeout(() => {
      this.refresh().catch((error) => {
        // A network failure: try again soon (the token may still be valid a while). An ended session needs nothing.
        if (this.state && error.code === "network") this.timer = setTimeout(() => this.schedule(), 10_000);
      });
    }, delay);
  }

  /** An access token valid for at least 30 s more. */
  async validAccessToken() {
    if (!this.state) throw new ApiError(401, "unauthorized", "you are not logged in");
    if (this.state.expiresAt - Date.now() < EARLY_REFRESH_MS) await this.refresh();
    return this.state.accessToken;
  }

  /** Rotates the tokens (once at a time, across tabs). Ends the session when the refresh token is refused. */
  refresh() {
    if (!this.refreshing) {
      const run = () => this.refreshOnce();
      const locked = navigator.locks?.request ? navigator.locks.request("chat-session-refresh", run) : run();
      this.refreshing = locked.finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async refreshOnce() {
    const used = this.state?.refreshToken;
    if (!used) throw new ApiError(401, "unauthorized", "you are not logged in");
    const stored = this.load();
    if (stored && stored.refreshToken !== used && stored.expiresAt - Date.now() > EARLY_REFRESH_MS) {
      // Another tab refreshed first: its tokens are ours now (ours is spent).
      this.state = stored;
      this.schedule();
      this.dispatchEvent(new Event("change"));
      return;
    }
    try {
      this.set(await this.api.refresh(used));
    } catch (error) {
      if (error.status === 401 || error.status === 400) {
        this.end("Your session has ended. Please log in again.");
      }
      throw error;
    }
  }

  /** Logs out on the server (best effort) and here. */
  async logout() {
    const refreshToken = this.state?.refreshToken;
    try {
      if (refreshToken) await this.api.logout(refreshToken);
    } finally {
      this.end(null);
    }
  }

  end(reason) {
    clearTimeout(this.timer);
    const had = Boolean(this.state);
    this.state = null;
    localStorage.removeItem(STORAGE_KEY);
    if (had) this.dispatchEvent(new CustomEvent("ended", { detail: { reason } }));
  }
}
