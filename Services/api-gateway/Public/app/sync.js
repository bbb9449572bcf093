// The catch-up requests (`sync` frames), within the server's limits (docs/websocket.md, "Limits"): at most 200
// conversations per frame and at most 5 frames per 10 s. Conversations asked for while that budget is spent wait, in
// the order asked, for the next frame the budget allows; a frame the server refuses with `rate_limited` is asked for
// again.

import { randomId } from "./dom.js";

export const SYNC_PER_FRAME = 200;
export const SYNC_FRAMES_PER_WINDOW = 5;
export const SYNC_WINDOW_MS = 10_000;

export class SyncScheduler {
  /**
   * @param lastSeen  (conversationId) → the seq to sync after, or undefined for a conversation no longer known
   * @param transmit  (frame) → whether the frame went out (false: the socket is not open)
   */
  constructor({ lastSeen, transmit }) {
    this.lastSeen = lastSeen;
    this.transmit = transmit;
    this.queue = new Set(); // conversation ids, in the order asked
    this.sentAt = []; // when the frames of the last 10 s went out
    this.frames = new Map(); // ref → conversation ids, of the last 5 frames
    this.ready = false;
    this.timer = null;
  }

  /** Asks for what follows lastSeen in each of `conversationIds`. */
  request(conversationIds) {
    for (const id of conversationIds) this.queue.add(id);
    this.drain();
  }

  /** The socket got its `hello`: every conversation in `conversationIds` (most urgent first) is synced anew. */
  start(conversationIds) {
    this.ready = true;
    this.queue.clear();
    this.request(conversationIds);
  }

  /** The socket closed: nothing goes out until the next start. */
  stop() {
    this.ready = false;
    clearTimeout(this.timer);
  }

  /** The server refused the frame `ref` (an `error` frame): its conversations are asked for again later. */
  refused(ref, code) {
    const ids = this.frames.get(ref);
    if (!ids || code !== "rate_limited") return Boolean(ids);
    this.frames.delete(ref);
    this.request(ids);
    return true;
  }

  drain() {
    clearTimeout(this.timer);
    while (this.ready && this.queue.size) {
      const now = Date.now();
      this.sentAt = this.sentAt.filter((time) => now - time < SYNC_WINDOW_MS);
      if (this.sentAt.length >= SYNC_FRAMES_PER_WINDOW) {
        this.timer = setTimeout(() => this.drain(), this.sentAt[0] + SYNC_WINDOW_MS - now + 50);
        return;
      }
      const conversations = {};
      for (const id of [...this.queue].slice(0, SYNC_PER_FRAME)) {
        this.queue.delete(id);
        const seq = this.lastSeen(id);
        if (seq !== undefined) conversations[id] = seq;
      }
      const ids = Object.keys(conversations);
      if (ids.length === 0) continue;
      const ref = randomId();
      if (!this.transmit({ type: "sync", ref, conversations })) return; // the next start asks for everything
      this.sentAt.push(now);
      this.frames.set(ref, ids);
      if (this.frames.size > SYNC_FRAMES_PER_WINDOW) this.frames.delete(this.frames.keys().next().value);
    }
  }
}
