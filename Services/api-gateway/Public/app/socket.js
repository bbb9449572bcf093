// The WebSocket (docs/websocket.md): connects with the access token, follows `hello` with `sync` of every known
// conversation, dedupes what arrives through the Store, resends sends without an ack, reconnects with exponential
// backoff and full jitter, pings every heartbeatSeconds, and re-authenticates with an `auth` frame whenever the
// session gets new tokens (before the old one expires). Events: "hello", "message", "conversation",
// "notification", "problem" {text}.

import { webSocketUrl } from "./api.js";
import { randomId } from "./dom.js";

const SYNC_PER_FRAME = 200;
const SYNC_FRAMES_PER_WINDOW = 5;
const SYNC_WINDOW_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const STABLE_AFTER_MS = 10_000;
const GAP_WAIT_MS = 1000;
const SEND_RETRIES = 4;

export class Realtime extends EventTarget {
  constructor({ session, store }) {
    super();
    this.session = session;
    this.store = store;
    this.ws = null;
    this.ready = false; // hello received on this.ws
    this.stopped = true;
    this.attempt = 0;
    this.timers = { reconnect: null, heartbeat: null, stable: null, sync: null };
    this.syncQueue = new Map(); // conversationId → true, in the order asked
    this.syncTimes = [];
    this.gapTimers = new Map();
    this.authRefs = new Set();
    this.sendRetries = new Map(); // clientMessageId → retries after rate_limited/unavailable
    this.openedWith = null; // the access token the socket last authenticated with
    this.lastFrameAt = 0;
    this.lastSentAt = 0;
    this.heartbeatMs = 15_000;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.store.setConnection("offline");
    this.onTokens = () => this.authenticate();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.session.addEventListener("change", this.onTokens);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.session.removeEventListener("change", this.onTokens);
    for (const timer of Object.values(this.timers)) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    for (const timer of this.gapTimers.values()) clearTimeout(timer);
    this.gapTimers.clear();
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) ws.close(1000, "logout");
    this.store.setConnection("offline");
  }

  get connected() {
    return this.ready;
  }

  // -- connection lifecycle ------------------------------------------------------------------------------------------

  async connect() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timers.reconnect);
    this.store.setConnection(this.attempt ? "reconnecting" : "connecting");
    let token;
    try {
      token = await this.session.validAccessToken();
    } catch (error) {
      if (this.session.loggedIn) this.scheduleReconnect();
      return;
    }
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(webSocketUrl(token));
    this.ws = ws;
    this.ready = false;
    this.openedWith = token;
    ws.addEventListener("message", (event) => this.onFrame(ws, event.data));
    ws.addEventListener("close", (event) => this.onClose(ws, event.code, event.reason));
  }

  onClose(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    clearInterval(this.timers.heartbeat);
    clearTimeout(this.timers.stable);
    if (this.stopped) return;
    this.store.setConnection("reconnecting");
    if (code === 4001) {
      // Token expired or revoked: a refresh decides whether this session goes on (a revoked one ends here).
      this.session.refresh().then(() => this.reconnectNow(), (error) => {
        if (this.session.loggedIn) this.scheduleReconnect();
        else this.problem("Your session has ended. Please log in again.", error);
      });
      return;
    }
    if (code === 1009) this.problem("A message was too large for the connection.");
    // Going away (a chat instance stopping) or too slow: every client reconnects, spread over a second.
    this.scheduleReconnect(code === 1001 || code === 4008 ? 1000 : undefined);
  }

  /** Waits a random time up to min(30 s, 0.5 s × 2^attempt) (or up to `ceiling`), then connects. */
  scheduleReconnect(ceiling) {
    clearTimeout(this.timers.reconnect);
    const limit = ceiling ?? Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = Math.random() * limit;
    this.timers.reconnect = setTimeout(() => this.connect(), delay);
  }

  /** The network is back (or the token was renewed): connect now instead of waiting for the backoff. */
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    clearTimeout(this.timers.reconnect);
    this.connect();
  }

  /** Drops a connection that stopped answering, without waiting for a close handshake that may never come. */
  drop(ws) {
    if (ws !== this.ws) return;
    try {
      ws.close(4000, "no heartbeat");
    } catch {
      // already closing
    }
    this.onClose(ws, 1006);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.lastSentAt = Date.now();
    return true;
  }

  // -- inbound frames ----------------------------------------------------------------------------------------------

  onFrame(ws, text) {
    if (ws !== this.ws) return;
    this.lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    const store = this.store;
    switch (frame.type) {
      case "hello":
        this.onHello(frame);
        break;
      case "ack":
        this.sendRetries.delete(frame.message?.clientMessageId);
        store.ack(frame.ref, frame.message);
        break;
      case "message": {
        const { gap } = store.addMessage(frame.message, { live: true });
        if (gap) this.watchGap(frame.message.conversationId);
        this.dispatchEvent(new CustomEvent("message", { detail: frame.message }));
        break;
      }
      case "message.updated":
        store.updateMessage(frame.message);
        break;
      case "typing":
        store.setTyping(frame.conversationId, frame.userId, frame.state);
        break;
      case "read":
        store.setRead(frame.conversationId, frame.userId, frame.seq);
        break;
      case "presence":
        store.setPresence(frame.userId, frame.status);
        break;
      case "conversation":
        store.upsertConversation(frame.conversation);
        this.dispatchEvent(new CustomEvent("conversation", { detail: frame.conversation }));
        break;
      case "notification":
        this.dispatchEvent(new CustomEvent("notification", { detail: frame.notification }));
        break;
      case "synced": {
        const conversation = store.conversations.get(frame.conversationId);
        if (conversation && frame.lastSeq > conversation.lastSeen) conversation.lastSeen = frame.lastSeq;
        break;
      }
      case "error":
        this.onError(frame);
        break;
      case "authenticated":
        this.authRefs.delete(frame.ref);
        break;
      default:
        break; // pong, and frame types of later versions
    }
  }

  onHello(frame) {
    this.ready = true;
    this.heartbeatMs = Math.max(5, Number(frame.heartbeatSeconds) || 15) * 1000;
    this.store.setConnection("online");
    clearTimeout(this.timers.stable);
    this.timers.stable = setTimeout(() => { this.attempt = 0; }, STABLE_AFTER_MS);
    this.startHeartbeat();
    this.syncAll();
    this.resendPending();
    // Tokens renewed while the socket was connecting: authenticate with the newest.
    if (this.session.accessToken && this.openedWith !== this.session.accessToken) this.authenticate();
    this.dispatchEvent(new CustomEvent("hello", { detail: frame }));
  }

  onError(frame) {
    const waiting = frame.ref ? this.store.pendingByRef(frame.ref) : null;
    if (waiting) {
      const tries = this.sendRetries.get(waiting.clientMessageId) ?? 0;
      if ((frame.code === "rate_limited" || frame.code === "unavailable") && tries < SEND_RETRIES) {
        // The same clientMessageId again after a pause: never a duplicate.
        this.sendRetries.set(waiting.clientMessageId, tries + 1);
        setTimeout(() => this.transmit(waiting), 1000 * 2 ** tries);
        return;
      }
      this.store.failPending(frame.ref, frame.message || frame.code);
      return;
    }
    if (frame.ref && this.authRefs.has(frame.ref)) {
      // Refused: the socket lasts until the old token's expiry, then closes with 4001 and reconnects.
      this.authRefs.delete(frame.ref);
      return;
    }
    // A sync, typing or read of a conversation this user has left, or a frame this server does not know.
    if (frame.code === "not_found" || frame.code === "invalid_request") return;
    this.problem(frame.message || frame.code);
  }

  problem(text, error) {
    this.dispatchEvent(new CustomEvent("problem", { detail: { text, error } }));
  }

  // -- heartbeat and re-authentication -----------------------------------------------------------------------------

  startHeartbeat() {
    clearInterval(this.timers.heartbeat);
    const ws = this.ws;
    this.timers.heartbeat = setInterval(() => {
      const now = Date.now();
      if (now - this.lastFrameAt > 2 * this.heartbeatMs) {
        this.drop(ws);
        return;
      }
      if (now - this.lastSentAt >= this.heartbeatMs) this.send({ type: "ping", ref: randomId() });
    }, this.heartbeatMs);
  }

  /** Sends the session's current access token (`auth`), so the socket outlives the token it was opened with. */
  authenticate() {
    if (!this.ready || !this.session.accessToken || this.openedWith === this.session.accessToken) return;
    const ref = randomId();
    this.authRefs.add(ref);
    this.openedWith = this.session.accessToken;
    this.send({ type: "auth", ref, accessToken: this.session.accessToken });
  }

  // -- sync ----------------------------------------------------------------------------------------------------------

  /** Every known conversation, most recent first (what a person looks at first catches up first). */
  syncAll() {
    this.syncQueue.clear();
    this.sync(this.store.sortedConversations().map((conversation) => conversation.id));
  }

  /** Asks for what follows lastSeen in `conversationIds`: 200 per frame, at most 5 frames per 10 s. */
  sync(conversationIds) {
    for (const id of conversationIds) this.syncQueue.set(id, true);
    this.drainSync();
  }

  drainSync() {
    clearTimeout(this.timers.sync);
    if (!this.ready) return; // the next hello syncs everything
    while (this.syncQueue.size) {
      const now = Date.now();
      this.syncTimes = this.syncTimes.filter((time) => now - time < SYNC_WINDOW_MS);
      if (this.syncTimes.length >= SYNC_FRAMES_PER_WINDOW) {
        this.timers.sync = setTimeout(() => this.drainSync(), this.syncTimes[0] + SYNC_WINDOW_MS - now + 50);
        return;
      }
      const conversations = {};
      for (const id of [...this.syncQueue.keys()].slice(0, SYNC_PER_FRAME)) {
        this.syncQueue.delete(id);
        const known = this.store.conversations.get(id);
        if (known) conversations[id] = known.lastSeen ?? 0;
      }
      if (Object.keys(conversations).length === 0) continue;
      if (!this.send({ type: "sync", conversations })) return;
      this.syncTimes.push(now);
    }
  }

  /** A seq was skipped: if it has not come a second later, ask for it. */
  watchGap(conversationId) {
    if (this.gapTimers.has(conversationId)) return;
    this.gapTimers.set(conversationId, setTimeout(() => {
      this.gapTimers.delete(conversationId);
      const conversation = this.store.conversations.get(conversationId);
      if (conversation && conversation.lastSeq > conversation.lastSeen) this.sync([conversationId]);
    }, GAP_WAIT_MS));
  }

  // -- client frames ---------------------------------------------------------------------------------------------------

  /** Shows the message as pending at once and sends it when the socket is ready (again after a reconnect). */
  sendMessage(conversationId, body, attachmentIds = [], attachments = []) {
    const waiting = {
      ref: randomId(), conversationId, clientMessageId: randomId(), body, attachmentIds, attachments,
      sentAt: new Date().toISOString(),
    };
    this.store.addPending(waiting);
    this.transmit(waiting);
    return waiting;
  }

  transmit(waiting) {
    if (!this.ready) return false;
    const frame = { type: "send", ref: waiting.ref, conversationId: waiting.conversationId,
      clientMessageId: waiting.clientMessageId, body: waiting.body };
    if (waiting.attachmentIds?.length) frame.attachmentIds = waiting.attachmentIds;
    return this.send(frame);
  }

  /** A failed send, once more with the same clientMessageId. */
  retry(clientMessageId) {
    this.sendRetries.delete(clientMessageId);
    const waiting = this.store.retryPending(clientMessageId, randomId());
    if (waiting) this.transmit(waiting);
  }

  resendPending() {
    for (const waiting of this.store.pending.values()) {
      if (waiting.status === "pending") this.transmit(waiting);
    }
  }

  typing(conversationId, state) {
    if (this.ready) this.send({ type: "typing", conversationId, state });
  }

  /** Moves the read marker; false when the socket is not ready (the caller then uses REST). */
  read(conversationId, seq) {
    return this.ready && this.send({ type: "read", conversationId, seq });
  }
}
