// What a person does in the chat, on top of the REST API, the Store and the WebSocket: loading conversations and
// the people in them, opening one and paging its history, sending (with attachments), editing, deleting, reacting,
// typing and read markers. The views call these and redraw from the Store's events.

import { uploadAttachment, DownloadLinks } from "./attachments.js";

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;
const HISTORY_PAGE = 50;

export class Chat extends EventTarget {
  constructor({ api, session, store, realtime }) {
    super();
    this.api = api;
    this.session = session;
    this.store = store;
    this.realtime = realtime;
    this.downloads = new DownloadLinks(api);
    this.typingState = new Map(); // conversationId → {sentAt, idleTimer}
    this.loadingUsers = new Map();
    realtime.addEventListener("hello", () => this.afterReconnect());
    realtime.addEventListener("conversation", (event) => this.ensureUsers(event.detail.members.map((m) => m.userId)));
    realtime.addEventListener("message", (event) => this.onLiveMessage(event.detail));
  }

  async start() {
    let me = this.session.user;
    try {
      me = await this.api.me();
      this.session.updateUser(me);
    } catch (error) {
      if (!me) throw error;
    }
    this.store.reset(me);
    await this.loadConversations();
    this.realtime.start();
  }

  stop() {
    this.realtime.stop();
    for (const state of this.typingState.values()) clearTimeout(state.idleTimer);
    this.typingState.clear();
  }

  // -- conversations and people ----------------------------------------------------------------------------------------

  /** Every conversation (up to 10 pages of 100), merged into the Store; returns the ids that were new. */
  async loadConversations() {
    const known = new Set(this.store.conversations.keys());
    const all = [];
    let cursor;
    for (let page = 0; page < 10; page += 1) {
      const answer = await this.api.conversations(cursor);
      all.push(...answer.items);
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    this.store.setConversations(all);
    this.ensureUsers(all.flatMap((conversation) => conversation.members.map((member) => member.userId)));
    return all.map((conversation) => conversation.id).filter((id) => !known.has(id));
  }

  /** After a reconnect (the socket already asked `sync` for what it knew): conversations created meanwhile. */
  async afterReconnect() {
    try {
      const added = await this.loadConversations();
      if (added.length) this.realtime.sync(added);
      if (this.store.activeId) this.markRead(this.store.activeId);
    } catch (error) {
      this.dispatchEvent(new CustomEvent("problem", { detail: { error } }));
    }
  }

  /** Loads the profiles (with presence) of users not yet known, a few at a time. */
  async ensureUsers(ids) {
    const missing = [...new Set(ids)].filter((id) => !this.store.users.get(id)?.presence && !this.loadingUsers.has(id));
    const queue = [...missing];
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        const loading = this.api.user(id).then((user) => this.store.rememberUser(user), () => {});
        this.loadingUsers.set(id, loading);
        await loading;
        this.loadingUsers.delete(id);
        this.store.emit("presence", { userId: id });
        this.store.emit("conversations");
      }
    };
    await Promise.all(Array.from({ length: Math.min(6, queue.length) }, worker));
  }

  searchUsers(query) {
    return this.api.searchUsers(query).then((page) => page.items.filter((user) => user.id !== this.store.me?.id));
  }

  async openDirect(user) {
    this.store.rememberUser(user);
    const conversation = await this.api.openDirect(user.id);
    this.store.upsertConversation(conversation);
    this.ensureUsers(conversation.members.map((m) => m.userId));
    return conversation;
  }

  async createGroup(title, users) {
    users.forEach((user) => this.store.rememberUser(user));
    const conversation = await this.api.createGroup(title, users.map((user) => user.id));
    this.store.upsertConversation(conversation);
    this.ensureUsers(conversation.members.map((m) => m.userId));
    return conversation;
  }

  // -- one conversation ----------------------------------------------------------------------------------------------

  async open(conversationId) {
    this.store.activeId = conversationId;
    this.store.emit("conversations");
    const history = this.store.history.get(conversationId);
    if (!history?.loaded) await this.loadOlder(conversationId);
    this.markRead(conversationId);
  }

  /** The next older page: newest first from `before` the oldest loaded message, continued by `nextCursor`. */
  async loadOlder(conversationId) {
    let state = this.store.history.get(conversationId);
    if (!state) {
      state = { nextCursor: null, exhausted: false, loading: false, loaded: false };
      this.store.history.set(conversationId, state);
    }
    if (state.loading || state.exhausted) return false;
    state.loading = true;
    this.store.emit("messages", { conversationId, loading: true });
    try {
      const query = { limit: HISTORY_PAGE };
      const oldest = this.store.oldestLoadedSeq(conversationId);
      if (state.nextCursor) query.cursor = state.nextCursor;
      if (Number.isFinite(oldest)) query.before = oldest;
      const page = await this.api.messages(conversationId, query);
      this.store.addHistory(conversationId, page.items);
      state.nextCursor = page.nextCursor;
      state.exhausted = !page.nextCursor || page.items.length === 0;
      state.loaded = true;
      return page.items.length > 0;
    } finally {
      state.loading = false;
      this.store.emit("messages", { conversationId, loading: false });
    }
  }

  /** Moves the read marker to the newest message while the conversation is on screen. */
  markRead(conversationId) {
    const conversation = this.store.conversations.get(conversationId);
    if (!conversation || document.visibilityState !== "visible") return;
    const seq = conversation.lastSeq;
    if (seq <= (conversation.markerSeq ?? 0)) return;
    if (!this.realtime.read(conversationId, seq)) this.api.markRead(conversationId, seq).catch(() => {});
    this.store.setRead(conversationId, this.store.me.id, seq);
  }

  onLiveMessage(message) {
    if (!this.store.conversations.has(message.conversationId)) {
      // A conversation this client has not heard of yet (its `conversation` frame was missed): load the list.
      this.loadConversations().catch(() => {});
      return;
    }
    if (message.conversationId === this.store.activeId) this.markRead(message.conversationId);
    if (message.senderId !== this.store.me?.id) this.store.setTyping(message.conversationId, message.senderId, "stop");
  }

  // -- sending -----------------------------------------------------------------------------------------------------------

  /**
   * Uploads `files` (reporting progress), then sends the message over the WebSocket. It shows as pending until its
   * ack; without a connection it waits and goes out after the reconnect.
   */
  async send(conversationId, text, files = [], onProgress = () => {}) {
    this.stopTyping(conversationId);
    const attachments = [];
    for (const [index, file] of files.entries()) {
      attachments.push(await uploadAttachment(this.api, conversationId, file, (fraction) => onProgress(index, fraction)));
    }
    return this.realtime.sendMessage(conversationId, text, attachments.map((a) => a.id), attachments);
  }

  retry(clientMessageId) {
    this.realtime.retry(clientMessageId);
  }

  discard(clientMessageId) {
    this.store.discardPending(clientMessageId);
  }

  async edit(message, body) {
    const updated = await this.api.editMessage(message.conversationId, message.seq, body);
    this.store.updateMessage(updated);
  }

  async remove(message) {
    await this.api.deleteMessage(message.conversationId, message.seq);
    this.store.updateMessage({ ...message, deleted: true, body: "", attachments: [], reactions: message.reactions });
  }

  async toggleReaction(message, emoji) {
    const me = this.store.me.id;
    const users = message.reactions?.[emoji] ?? [];
    const on = !users.includes(me);
    await this.api.react(message.conversationId, message.seq, emoji, on);
    const current = this.store.messages.get(message.conversationId)?.get(message.seq) ?? message;
    const reactions = { ...(current.reactions || {}) };
    const next = new Set(reactions[emoji] || []);
    if (on) next.add(me);
    else next.delete(me);
    if (next.size) reactions[emoji] = [...next];
    else delete reactions[emoji];
    this.store.updateMessage({ ...current, reactions });
  }

  // -- typing ----------------------------------------------------------------------------------------------------------

  /** Called on every keystroke: `start` at most every 3 s, `stop` after 4 s without one. */
  typing(conversationId) {
    let state = this.typingState.get(conversationId);
    if (!state) {
      state = { sentAt: 0, idleTimer: null };
      this.typingState.set(conversationId, state);
    }
    const now = Date.now();
    if (now - state.sentAt > TYPING_REPEAT_MS) {
      this.realtime.typing(conversationId, "start");
      state.sentAt = now;
    }
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => this.stopTyping(conversationId), TYPING_IDLE_MS);
  }

  stopTyping(conversationId) {
    const state = this.typingState.get(conversationId);
    if (!state) return;
    clearTimeout(state.idleTimer);
    this.typingState.delete(conversationId);
    if (state.sentAt) this.realtime.typing(conversationId, "stop");
  }

  downloadUrl(attachmentId) {
    return this.downloads.url(attachmentId);
  }
}
