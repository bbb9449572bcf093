// The logged-in session: user, access token (short-lived) and refresh token (single use, rotated by every refresh).
//
// The access token is refreshed at 80% of its lifetime, and whenever a call needs one that is about to expire (less
// than 30 s, or the last 20% of a shorter life, left). Refreshes are single-flight, and shared between tabs: a refresh
// token may be used once only (a second use revokes the whole family), so a tab refreshes under a Web Lock and first
// adopts the tokens another tab already got. Events: "change" (new tokens: the WebSocket re-authenticates with an
// `auth` frame) and "ended" (the session is over: show the login, with the reason).

import { ApiError } from "./api.js";

const STORAGE_KEY = "chat.session";
const REFRESH_AT = 0.8; // of the token's lifetime
const NEAR_EXPIRY_MS = 30_000;
const RETRY_MS = 10_000;
const DEFAULT_LIFETIME_MS = 900_000; // for a session stored without issuedAt
export const SESSION_ENDED = "Your session has ended. Please log in again.";

export class Session extends EventTarget {
  constructor() {
    super();
    this.api = null; // set by main.js (the Api needs the session and the session the Api)
    this.state = this.load();
    this.refreshing = null;
    this.loggingOut = false;
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

  /** How long the current access token lives in all. */
  lifetime() {
    const { issuedAt, expiresAt } = this.state;
    return issuedAt ? expiresAt - issuedAt : DEFAULT_LIFETIME_MS;
  }

  /** When the next refresh is due: 80% into the token's life. */
  refreshDueAt() {
    return this.state.expiresAt - this.lifetime() * (1 - REFRESH_AT);
  }

  /** Whether the access token is too close to its expiry to be sent. */
  nearExpiry() {
    const margin = Math.min(NEAR_EXPIRY_MS, this.lifetime() * (1 - REFRESH_AT));
    return this.state.expiresAt - Date.now() < margin;
  }

  schedule(delay = Math.max(1000, this.refreshDueAt() - Date.now())) {
    clearTimeout(this.timer);
    if (!this.state) return;
    this.timer = setTimeout(() => {
      this.refresh().catch((error) => {
        // Refused: the session has ended (see refreshOnce). Anything else (network, 429, 503): try again soon, the
        // token may still be valid a while; a socket closed at its expiry refreshes by itself too.
        if (this.state) this.schedule(Math.max(RETRY_MS, (error.retryAfter ?? 0) * 1000));
      });
    }, delay);
  }

  /** An access token that is not about to expire. */
  async validAccessToken() {
    if (!this.state) throw new ApiError(401, "unauthorized", "you are not logged in");
    if (this.nearExpiry()) await this.refresh();
    return this.state.accessToken;
  }

  /**
   * Rotates the tokens (once at a time, across tabs). When the refresh token is refused the session ends, with
   * `endReason` as what the login screen says.
   */
  refresh(endReason = SESSION_ENDED) {
    if (!this.refreshing) {
      const run = () => this.refreshOnce(endReason);
      const locked = navigator.locks?.request ? navigator.locks.request("chat-session-refresh", run) : run();
      this.refreshing = locked.finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async refreshOnce(endReason) {
    let used = this.state?.refreshToken;
    if (!used) throw new ApiError(401, "unauthorized", "you are not logged in");
    const stored = this.load();
    if (stored && stored.refreshToken !== used) {
      // Another tab refreshed first: its tokens are ours now (ours is spent and must never be sent again).
      this.state = stored;
      this.dispatchEvent(new Event("change"));
      if (!this.nearExpiry()) {
        this.schedule();
        return;
      }
      used = stored.refreshToken;
    }
    try {
      this.set(await this.api.refresh(used));
    } catch (error) {
      if (error.status === 401 || error.status === 400) {
        this.end(endReason);
      }
      throw error;
    }
  }

  /** Logs out on the server (best effort) and here. */
  async logout() {
    const refreshToken = this.state?.refreshToken;
    this.loggingOut = true; // the server closes this session's sockets (4001) meanwhile: nothing to refresh
    try {
      if (refreshToken) await this.api.logout(refreshToken);
    } finally {
      this.loggingOut = false;
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
