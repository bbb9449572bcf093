// What the client knows: users, conversations, messages (deduplicated by conversation and seq), sends awaiting
// their ack, typing, read markers and presence. The REST calls and the WebSocket feed it; the views listen to its
// events and redraw:
//   "conversations"                  the list changed (order, a conversation added or removed)
//   "conversation" {id}              one conversation's fields changed (unread count, last message, title, members)
//   "messages" {conversationId}      messages or pending sends of a conversation changed
//   "typing" {conversationId}, "read" {conversationId}, "presence" {userId}, "connection" {state}

const TYPING_TIMEOUT_MS = 6000;

export class Store extends EventTarget {
  constructor() {
    super();
    this.reset(null);
  }

  reset(me) {
    this.me = me;
    this.users = new Map(); // id → user, with .presence when known
    this.conversations = new Map(); // id → conversation, with .lastSeen (see addMessage) and .readSeq
    this.messages = new Map(); // conversationId → Map(seq → message)
    this.pending = new Map(); // clientMessageId → {ref, conversationId, clientMessageId, body, attachmentIds, status, error}
    this.history = new Map(); // conversationId → {nextCursor, exhausted, loading, loaded}
    this.typing = new Map(); // conversationId → Map(userId → expiry)
    this.reads = new Map(); // conversationId → Map(userId → seq): other members' read markers seen live
    this.activeId = null;
    this.connection = "offline";
    if (me) this.rememberUser(me);
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // -- users and presence --------------------------------------------------------------------------------------------

  rememberUser(user) {
    const known = this.users.get(user.id);
    this.users.set(user.id, { ...known, ...user, presence: user.presence ?? known?.presence });
  }

  displayName(userId) {
    if (this.me && userId === this.me.id) return "You";
    const user = this.users.get(userId);
    return user ? user.displayName || user.username : "Someone";
  }

  setPresence(userId, status) {
    const user = this.users.get(userId) || { id: userId };
    this.users.set(userId, { ...user, presence: { ...(user.presence || {}), userId, status } });
    this.emit("presence", { userId });
  }

  presenceOf(userId) {
    return this.users.get(userId)?.presence?.status ?? "unknown";
  }

  setConnection(state) {
    this.connection = state;
    this.emit("connection", { state });
  }

  // -- conversations ---------------------------------------------------------------------------------------------------

  /** Merges a conversation from REST or a `conversation` frame. */
  upsertConversation(conversation, { quiet = false } = {}) {
    const known = this.conversations.get(conversation.id);
    const merged = { ...known, ...conversation };
    // lastSeen: the highest seq up to which nothing is missing. A conversation first learned of starts at its lastSeq
    // (what lies below is history, loaded over REST when opened); a known one keeps its own, so `sync` fills gaps.
    merged.lastSeen = known ? known.lastSeen : conversation.lastSeq ?? 0;
    merged.lastSeq = Math.max(known?.lastSeq ?? 0, conversation.lastSeq ?? 0);
    if (known?.lastMessage && (!conversation.lastMessage || known.lastMessage.seq > conversation.lastMessage.seq)) {
      merged.lastMessage = known.lastMessage;
    }
    // readSeq: up to where the caller has read, own messages included (unread = lastSeq − readSeq). markerSeq: the
    // read marker as the server has it, which only a `read` moves (own messages do not).
    if (merged.readSeq === undefined) merged.readSeq = merged.lastSeq - (conversation.unreadCount ?? 0);
    if (merged.markerSeq === undefined) merged.markerSeq = merged.readSeq;
    this.conversations.set(conversation.id, merged);
    if (this.me && !merged.members?.some((member) => member.userId === this.me.id)) {
      this.removeConversation(conversation.id);
      return;
    }
    if (!quiet) {
      this.emit("conversation", { id: conversation.id });
      this.emit("conversations");
    }
  }

  setConversations(list) {
    for (const conversation of list) this.upsertConversation(conversation, { quiet: true });
    this.emit("conversations");
  }

  removeConversation(id) {
    this.conversations.delete(id);
    this.messages.delete(id);
    this.history.delete(id);
    if (this.activeId === id) this.activeId = null;
    this.emit("conversations");
  }

  /** Most recent activity first. */
  sortedConversations() {
    const activity = (c) => Date.parse(c.lastMessage?.createdAt || c.updatedAt || c.createdAt || 0) || 0;
    return [...this.conversations.values()].sort((a, b) => activity(b) - activity(a));
  }

  /** A conversation's name as the caller sees it: the group title, or the other member's name. */
  titleOf(conversation) {
    if (!conversation) return "";
    if (conversation.type === "group") return conversation.title || "Group";
    const other = this.otherMember(conversation);
    return other ? this.displayName(other) : "Just you";
  }

  otherMember(conversation) {
    return conversation.members?.map((member) => member.userId).find((id) => id !== this.me?.id) ?? null;
  }

  roleOf(conversation, userId) {
    return conversation?.members?.find((member) => member.userId === userId)?.role ?? null;
  }

  // -- messages --------------------------------------------------------------------------------------------------------

  messageMap(conversationId) {
    let map = this.messages.get(conversationId);
    if (!map) {
      map = new Map();
      this.messages.set(conversationId, map);
    }
    return map;
  }

  /** Messages in seq order, then this client's sends that have no ack yet. */
  messagesOf(conversationId) {
    const stored = [...(this.messages.get(conversationId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const waiting = [...this.pending.values()].filter((p) => p.conversationId === conversationId);
    return { stored, waiting };
  }

  /**
   * Adds a message unless (conversationId, seq) is already known (delivery is at least once). Live messages from
   * others count as unread. Returns {added, gap}: gap when a seq between lastSeen and this one is missing.
   */
  addMessage(message, { live = false } = {}) {
    const map = this.messageMap(message.conversationId);
    const added = !map.has(message.seq);
    if (added) map.set(message.seq, message);
    for (const [key, waiting] of this.pending) {
      if (waiting.clientMessageId === message.clientMessageId && waiting.conversationId === message.conversationId
          && message.senderId === this.me?.id) {
        this.pending.delete(key);
      }
    }
    const conversation = this.conversations.get(message.conversationId);
    let gap = false;
    if (conversation) {
      if (message.seq > conversation.lastSeq) conversation.lastSeq = message.seq;
      if (!conversation.lastMessage || message.seq >= conversation.lastMessage.seq) {
        conversation.lastMessage = map.get(message.seq);
        conversation.updatedAt = message.createdAt;
      }
      if (live) {
        if (message.seq === conversation.lastSeen + 1) {
          conversation.lastSeen = message.seq;
          while (map.has(conversation.lastSeen + 1)) conversation.lastSeen += 1;
        } else if (message.seq > conversation.lastSeen + 1) {
          gap = true;
        }
      }
      if (message.senderId === this.me?.id) {
        conversation.readSeq = Math.max(conversation.readSeq ?? 0, message.seq);
      }
      conversation.unreadCount = this.unreadOf(conversation);
      this.emit("conversation", { id: conversation.id });
      if (added) this.emit("conversations");
    }
    this.emit("messages", { conversationId: message.conversationId, seq: message.seq, live, added });
    return { added, gap };
  }

  /** unread = lastSeq − read seq (own messages count as read). */
  unreadOf(conversation) {
    return Math.max(0, (conversation.lastSeq ?? 0) - (conversation.readSeq ?? 0));
  }

  /** Adds a page of history (any order). */
  addHistory(conversationId, messages) {
    const map = this.messageMap(conversationId);
    for (const message of messages) {
      if (!map.has(message.seq)) map.set(message.seq, message);
    }
    const conversation = this.conversations.get(conversationId);
    if (conversation && messages.length) {
      const newest = Math.max(...messages.map((m) => m.seq));
      if (newest > conversation.lastSeq) conversation.lastSeq = newest;
    }
    this.emit("messages", { conversationId, history: true });
  }

  /** A `message.updated`: the message's whole new state. */
  updateMessage(message) {
    const map = this.messageMap(message.conversationId);
    map.set(message.seq, message);
    const conversation = this.conversations.get(message.conversationId);
    if (conversation?.lastMessage?.seq === message.seq) {
      conversation.lastMessage = message;
      this.emit("conversation", { id: conversation.id });
    }
    this.emit("messages", { conversationId: message.conversationId, seq: message.seq, updated: true });
  }

  /** When the history around `seq` is loaded, so an update of an unseen older message is not kept alone. */
  oldestLoadedSeq(conversationId) {
    const map = this.messages.get(conversationId);
    if (!map || map.size === 0) return Infinity;
    return Math.min(...map.keys());
  }

  // -- sends awaiting their ack ----------------------------------------------------------------------------------------

  addPending(send) {
    this.pending.set(send.clientMessageId, { ...send, status: "pending", error: null });
    this.emit("messages", { conversationId: send.conversationId });
  }

  pendingByRef(ref) {
    for (const waiting of this.pending.values()) if (waiting.ref === ref) return waiting;
    return null;
  }

  /** The `ack`: the send is durable; its message replaces the pending entry. */
  ack(ref, message) {
    const waiting = this.pendingByRef(ref);
    if (waiting) this.pending.delete(waiting.clientMessageId);
    this.addMessage(message, { live: true });
  }

  failPending(ref, error) {
    const waiting = this.pendingByRef(ref);
    if (!waiting) return null;
    waiting.status = "failed";
    waiting.error = error;
    this.emit("messages", { conversationId: waiting.conversationId });
    return waiting;
  }

  retryPending(clientMessageId, ref) {
    const waiting = this.pending.get(clientMessageId);
    if (!waiting) return null;
    waiting.status = "pending";
    waiting.error = null;
    waiting.ref = ref;
    this.emit("messages", { conversationId: waiting.conversationId });
    return waiting;
  }

  discardPending(clientMessageId) {
    const waiting = this.pending.get(clientMessageId);
    if (!waiting) return;
    this.pending.delete(clientMessageId);
    this.emit("messages", { conversationId: waiting.conversationId });
  }

  // -- typing and read markers ------------------------------------------------------------------------------------------

  setTyping(conversationId, userId, state) {
    let map = this.typing.get(conversationId);
    if (!map) {
      map = new Map();
      this.typing.set(conversationId, map);
    }
    if (state === "start") {
      map.set(userId, Date.now() + TYPING_TIMEOUT_MS);
      setTimeout(() => this.emit("typing", { conversationId }), TYPING_TIMEOUT_MS + 50);
    } else {
      map.delete(userId);
    }
    this.emit("typing", { conversationId });
  }

  typingUsers(conversationId) {
    const map = this.typing.get(conversationId);
    if (!map) return [];
    const now = Date.now();
    return [...map.entries()].filter(([, expiry]) => expiry > now).map(([userId]) => userId);
  }

  /** A `read` frame: another member's marker, or the caller's own (from this or another device). */
  setRead(conversationId, userId, seq) {
    const conversation = this.conversations.get(conversationId);
    if (userId === this.me?.id) {
      if (conversation) {
        conversation.readSeq = Math.max(conversation.readSeq ?? 0, seq);
        conversation.markerSeq = Math.max(conversation.markerSeq ?? 0, seq);
        conversation.unreadCount = this.unreadOf(conversation);
        this.emit("conversation", { id: conversationId });
      }
    } else {
      let map = this.reads.get(conversationId);
      if (!map) {
        map = new Map();
        this.reads.set(conversationId, map);
      }
      map.set(userId, Math.max(map.get(userId) ?? 0, seq));
    }
    this.emit("read", { conversationId, userId, seq });
  }

  /** The other members who have read up to at least `seq`. */
  readersOf(conversationId, seq) {
    const map = this.reads.get(conversationId);
    if (!map) return [];
    return [...map.entries()].filter(([, read]) => read >= seq).map(([userId]) => userId);
  }
}
