// The WebSocket (docs/websocket.md): connects with the access token, follows `hello` with `sync` of every known
// conversation (sync.js keeps those within the server's limits), dedupes what arrives through the Store, resends
// sends without an ack, pings every heartbeatSeconds, and keeps the socket past its token's expiry: whenever the
// session gets new tokens (at 80% of the old one's life) it sends them in an `auth` frame. After a close it
// refreshes the tokens or reconnects, as reconnect.js says. Events: "hello", "message", "conversation",
// "notification", "problem" {text}.

import { webSocketUrl } from "./api.js";
import { randomId } from "./dom.js";
import { afterClose, Backoff } from "./reconnect.js";
import { SyncScheduler } from "./sync.js";

const GAP_WAIT_MS = 1000;
const SEND_RETRIES = 4;
const AUTH_RETRY_MS = 2000;

export class Realtime extends EventTarget {
  constructor({ session, store }) {
    super();
    this.session = session;
    this.store = store;
    this.ws = null;
    this.ready = false; // hello received on this.ws
    this.connecting = false; // waiting for a token before opening a socket
    this.stopped = true;
    this.backoff = new Backoff();
    this.syncer = new SyncScheduler({
      lastSeen: (id) => (this.store.conversations.has(id) ? this.store.conversations.get(id).lastSeen ?? 0 : undefined),
      transmit: (frame) => this.send(frame),
    });
    this.timers = { reconnect: null, heartbeat: null, auth: null };
    this.gapTimers = new Map();
    this.authRefs = new Set();
    this.sendRetries = new Map(); // clientMessageId → retries after rate_limited/unavailable
    this.openedWith = null; // the access token the socket last authenticated with
    this.expiresAt = 0; // when the server closes this socket unless it gets a fresh token (ms since the epoch)
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
    this.syncer.stop();
    this.backoff.reset();
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
    if (this.stopped || this.ws || this.connecting) return;
    clearTimeout(this.timers.reconnect);
    this.store.setConnection(this.backoff.attempt ? "reconnecting" : "connecting");
    let token;
    this.connecting = true;
    try {
      token = await this.session.validAccessToken();
    } catch {
      if (this.session.loggedIn) this.scheduleReconnect();
      return;
    } finally {
      this.connecting = false;
    }
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(webSocketUrl(token));
    this.ws = ws;
    this.ready = false;
    this.openedWith = token;
    this.expiresAt = this.session.expiresAt;
    ws.addEventListener("message", (event) => this.onFrame(ws, event.data));
    ws.addEventListener("close", (event) => this.onClose(ws, event.code, event.reason));
  }

  onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    this.syncer.stop();
    this.backoff.disconnected();
    clearInterval(this.timers.heartbeat);
    clearTimeout(this.timers.auth);
    if (this.stopped) return;
    this.store.setConnection("reconnecting");
    const next = afterClose(code, reason);
    if (next.problem) this.problem(next.problem);
    if (next.refresh) {
      if (this.session.loggingOut) return; // the logout ends the session and stops this
      // A refused refresh ends the session (the login shows, saying why); a failed one (network, 503) is retried.
      this.session.refresh(next.endReason).then(() => this.reconnectNow(), () => {
        if (this.session.loggedIn) this.scheduleReconnect();
      });
      return;
    }
    this.scheduleReconnect(next.within);
  }

  scheduleReconnect(ceiling) {
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), this.backoff.next(ceiling));
  }

  /** The network is back (or the token was renewed): connect now instead of waiting for the backoff. */
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.backoff.reset();
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
        this.expiresAt = Date.parse(frame.expiresAt) || this.expiresAt;
        break;
      default:
        break; // pong, and frame types of later versions
    }
  }

  onHello(frame) {
    this.ready = true;
    this.heartbeatMs = Math.max(5, Number(frame.heartbeatSeconds) || 15) * 1000;
    this.store.setConnection("online");
    this.backoff.connected();
    this.startHeartbeat();
    this.syncer.start(this.store.sortedConversations().map((conversation) => conversation.id));
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
      this.authRefs.delete(frame.ref);
      // `unauthorized`: the socket lasts until the old token's expiry, then closes with 4001, and the client refreshes
      // and reconnects. Anything else (unavailable …): the same token once more, a little later.
      if (frame.code !== "unauthorized") {
        this.openedWith = null;
        this.timers.auth = setTimeout(() => this.authenticate(), AUTH_RETRY_MS);
      }
      return;
    }
    if (frame.ref && this.syncer.refused(frame.ref, frame.code)) return;
    // A sync, typing or read of a conversation this user has left, or a frame this server does not know.
    if (frame.code === "not_found" || frame.code === "invalid_request") return;
    this.problem(frame.message || frame.code);
  }

  problem(text, error) {
    this.dispatchEvent(new CustomEvent("problem", { detail: { text, error } }));
  }

  // -- heartbeat and re-authentication -----------------------------------------------------------------------------

  /** A ping after heartbeatSeconds without sending; no frame at all for twice that: the connection is dead. */
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
    }, this.heartbeatMs / 2);
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

  /** Asks for what follows lastSeen in `conversationIds` (sent when the socket and the sync budget allow). */
  sync(conversationIds) {
    this.syncer.request(conversationIds);
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
