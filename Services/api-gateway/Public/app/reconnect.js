// When the WebSocket closes: what the close code means for the client, and how long to wait before the next attempt
// (docs/websocket.md, "Close codes" and "Reconnect and sync"). After any reconnect the socket sends `sync`.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const STABLE_AFTER_MS = 10_000;
const SPREAD_MS = 1000;

/**
 * What to do after a close the client did not ask for:
 *   {refresh: true, endReason}  4001: the token expired or the session was revoked. Refresh the tokens, then
 *                               reconnect; when the refresh is refused, the session is over (endReason is the text
 *                               for the login screen).
 *   {within: ms}                1001 (an instance going away) and 4008 (the client fell behind): every client
 *                               reconnects, spread over a second.
 *   {within: undefined}         anything else (network loss, a refused upgrade, 1009, 1011 …): exponential backoff.
 *   problem                     a text to show, when there is something the person should know.
 */
export function afterClose(code, reason) {
  switch (code) {
    case 4001:
      return {
        refresh: true,
        endReason: reason === "session revoked"
          ? "You were logged out: this session was ended by a logout or revoked for safety. Please log in again."
          : "Your session has expired. Please log in again.",
      };
    case 1001:
    case 4008:
      return { within: SPREAD_MS };
    case 1009:
      return { problem: "A message was too large for the connection." };
    default:
      return {};
  }
}

/**
 * Exponential backoff with full jitter: a random wait up to min(30 s, 0.5 s × 2^attempt). The attempt count starts
 * again once a connection got its `hello` and stayed open 10 s.
 */
export class Backoff {
  constructor() {
    this.attempt = 0;
    this.stableTimer = null;
  }

  /** The next wait in ms, at most `ceiling` when given. */
  next(ceiling) {
    const limit = ceiling ?? Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    this.attempt += 1;
    return Math.random() * limit;
  }

  /** A connection got its `hello`. */
  connected() {
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => { this.attempt = 0; }, STABLE_AFTER_MS);
  }

  /** The connection closed (before it was stable or after). */
  disconnected() {
    clearTimeout(this.stableTimer);
  }

  reset() {
    clearTimeout(this.stableTimer);
    this.attempt = 0;
  }
}
