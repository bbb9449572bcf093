// The open conversation: its header (title, presence or members), the messages (older pages load when scrolled to
// the top), typing indicator, read state of one's own messages, actions (react, edit, delete) and the composer
// (text and attachments; a message shows as pending until its ack).

import { h, formatTime, formatSize, toast } from "../dom.js";

const REACTIONS = ["👍", "❤️", "😂", "😮", "🎉"];
const MAX_BODY = 4000;

export class MessagePane {
  constructor({ store, chat, signal }) {
    this.store = store;
    this.chat = chat;
    this.conversationId = null;
    this.nodes = new Map(); // key → {node, signature}
    this.editing = null; // seq being edited
    this.confirmingDelete = null; // seq awaiting confirmation
    this.files = [];

    this.title = h("h2", { class: "pane-title", dataset: { testid: "conversation-title" } });
    this.subtitle = h("p", { class: "pane-subtitle", dataset: { testid: "conversation-subtitle" } });
    this.header = h("header", { class: "pane-head" }, h("div", {}, this.title, this.subtitle));
    this.olderButton = h("button", { type: "button", class: "link", dataset: { testid: "load-older" },
      onclick: () => this.loadOlder() }, "Load older messages");
    this.historyStart = h("p", { class: "history-start", dataset: { testid: "history-start" }, hidden: true },
      "This is the beginning of the conversation.");
    this.list = h("ol", { class: "messages", dataset: { testid: "message-list" } });
    this.scroller = h("div", { class: "scroller", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Messages", tabindex: "0", dataset: { testid: "message-scroller" } },
      h("div", { class: "history-controls" }, this.olderButton, this.historyStart), this.list);
    this.typingLine = h("p", { class: "typing", dataset: { testid: "typing-indicator" }, "aria-live": "polite" });
    this.composer = this.buildComposer();
    this.placeholder = h("div", { class: "placeholder", dataset: { testid: "no-conversation-selected" } },
      h("p", {}, "Choose a conversation, or start one with “New conversation”."));
    this.pane = h("div", { class: "pane-inner", hidden: true }, this.header, this.scroller, this.typingLine, this.composer);
    this.element = h("section", { class: "message-pane", "aria-label": "Conversation", dataset: { testid: "message-pane" } },
      this.placeholder, this.pane);

    this.scroller.addEventListener("scroll", () => {
      if (this.scroller.scrollTop < 80) this.loadOlder();
    });
    store.addEventListener("messages", (event) => {
      if (event.detail.conversationId === this.conversationId) this.renderMessages(event.detail);
    }, { signal });
    store.addEventListener("read", (event) => {
      if (event.detail.conversationId === this.conversationId) this.renderMessages({});
    }, { signal });
    store.addEventListener("typing", (event) => {
      if (event.detail.conversationId === this.conversationId) this.renderTyping();
    }, { signal });
    store.addEventListener("conversation", (event) => {
      if (event.detail.id === this.conversationId) this.renderHeader();
    }, { signal });
    store.addEventListener("presence", () => this.renderHeader(), { signal });
    store.addEventListener("conversations", () => {
      if (this.conversationId && !store.conversations.has(this.conversationId)) this.show(null);
    }, { signal });
  }

  /** Shows `conversationId` (null: none). */
  show(conversationId) {
    this.conversationId = conversationId;
    this.nodes.clear();
    this.list.replaceChildren();
    this.editing = null;
    this.confirmingDelete = null;
    this.placeholder.hidden = Boolean(conversationId);
    this.pane.hidden = !conversationId;
    if (!conversationId) return;
    this.renderHeader();
    this.renderMessages({});
    this.renderTyping();
    this.scrollToBottom();
    this.input.focus();
  }

  // -- header ----------------------------------------------------------------------------------------------------------

  renderHeader() {
    const conversation = this.store.conversations.get(this.conversationId);
    if (!conversation) return;
    this.title.textContent = this.store.titleOf(conversation);
    if (conversation.type === "direct") {
      const other = this.store.otherMember(conversation);
      const status = other ? this.store.presenceOf(other) : "unknown";
      this.subtitle.replaceChildren(
        h("span", { class: `presence-dot inline ${status}`, "aria-hidden": "true" }),
        h("span", { dataset: { testid: "presence-status", status } },
          status === "online" ? "Online" : status === "offline" ? "Offline" : ""));
    } else {
      const members = conversation.members.map((member) => {
        const status = this.store.presenceOf(member.userId);
        return h("span", { class: "member", dataset: { testid: "member", userId: member.userId, status } },
          h("span", { class: `presence-dot inline ${status}`, "aria-hidden": "true" }),
          this.store.displayName(member.userId),
          h("span", { class: "visually-hidden" }, ` (${status})`));
      });
      this.subtitle.replaceChildren(`${conversation.members.length} members: `, ...members);
    }
  }

  renderTyping() {
    const names = this.store.typingUsers(this.conversationId).map((id) => this.store.displayName(id));
    this.typingLine.textContent = names.length === 0 ? ""
      : names.length === 1 ? `${names[0]} is typing…`
      : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
      : "Several people are typing…";
  }

  // -- messages ------------------------------------------------------------------------------------------------------

  async loadOlder() {
    const id = this.conversationId;
    const state = this.store.history.get(id);
    if (!id || state?.loading || state?.exhausted) return;
    const before = this.scroller.scrollHeight - this.scroller.scrollTop;
    try {
      await this.chat.loadOlder(id);
    } catch (failure) {
      toast(`Could not load older messages: ${failure.userMessage || failure.message}`, { kind: "error" });
      return;
    }
    if (id !== this.conversationId) return;
    // Keep what was on screen in place while older messages appear above it.
    this.scroller.scrollTop = this.scroller.scrollHeight - before;
    this.fillScreen();
  }

  /** Loads more pages while they do not fill the screen (no scroll bar, nothing to scroll up to). */
  fillScreen() {
    const state = this.store.history.get(this.conversationId);
    if (state && !state.exhausted && !state.loading && this.scroller.scrollHeight <= this.scroller.clientHeight + 80) {
      setTimeout(() => this.loadOlder(), 0);
    }
  }

  renderMessages(detail) {
    const id = this.conversationId;
    const conversation = this.store.conversations.get(id);
    if (!conversation) return;
    const state = this.store.history.get(id);
    this.olderButton.hidden = Boolean(state?.exhausted);
    this.olderButton.disabled = Boolean(state?.loading);
    this.olderButton.textContent = state?.loading ? "Loading…" : "Load older messages";
    this.historyStart.hidden = !state?.exhausted;

    const atBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    const { stored, waiting } = this.store.messagesOf(id);
    const items = [
      ...stored.map((message) => ({ key: `s${message.seq}`, message })),
      ...waiting.map((pending) => ({ key: `p${pending.clientMessageId}`, pending })),
    ];
    const wanted = [];
    let previousSender = null;
    for (const item of items) {
      const sender = item.message ? item.message.senderId : this.store.me.id;
      const showSender = sender !== previousSender;
      previousSender = sender;
      const signature = this.signature(item, showSender);
      let entry = this.nodes.get(item.key);
      if (!entry || entry.signature !== signature) {
        entry = { node: item.message ? this.messageNode(item.message, conversation, showSender) : this.pendingNode(item.pending, showSender), signature };
        this.nodes.set(item.key, entry);
      }
      wanted.push(entry.node);
    }
    const keep = new Set(items.map((item) => item.key));
    for (const key of [...this.nodes.keys()]) if (!keep.has(key)) this.nodes.delete(key);
    // Move only what must move, so a node being edited keeps its focus.
    wanted.forEach((node, index) => {
      if (this.list.children[index] !== node) this.list.insertBefore(node, this.list.children[index] || null);
    });
    while (this.list.children.length > wanted.length) this.list.lastElementChild.remove();

    const mine = detail.live && stored.find((m) => m.seq === detail.seq)?.senderId === this.store.me.id;
    if (!detail.history && (atBottom || mine || (detail.conversationId && waiting.length && !detail.seq))) this.scrollToBottom();
    if (detail.history === undefined && state?.loaded) this.fillScreen();
  }

  signature(item, showSender) {
    if (item.pending) return `p|${item.pending.status}|${item.pending.error}|${showSender}`;
    const m = item.message;
    const readers = m.senderId === this.store.me.id ? this.store.readersOf(m.conversationId, m.seq).join(",") : "";
    return [m.seq, m.editedAt, m.deleted, JSON.stringify(m.reactions), m.attachments?.length, readers, showSender,
      this.store.displayName(m.senderId), this.editing === m.seq, this.confirmingDelete === m.seq].join("|");
  }

  scrollToBottom() {
    requestAnimationFrame(() => { this.scroller.scrollTop = this.scroller.scrollHeight; });
  }

  messageNode(message, conversation, showSender) {
    const me = this.store.me.id;
    const mine = message.senderId === me;
    const readers = mine ? this.store.readersOf(message.conversationId, message.seq) : [];
    const status = mine ? (readers.length ? "read" : "sent") : "received";
    const role = this.store.roleOf(conversation, me);
    const canDelete = !message.deleted && (mine || (conversation.type === "group" && (role === "owner" || role === "admin")));
    const node = h("li", {
      class: `message ${mine ? "mine" : "theirs"}${message.deleted ? " deleted" : ""}`,
      dataset: { testid: "message", seq: message.seq, clientMessageId: message.clientMessageId, senderId: message.senderId, status },
    });
    const body = this.editing === message.seq ? this.editForm(message)
      : message.deleted ? h("p", { class: "body tombstone", dataset: { testid: "message-body" } }, "Message deleted")
      : message.body ? h("p", { class: "body", dataset: { testid: "message-body" } }, message.body) : null;
    node.append(h("div", { class: "bubble" },
      showSender ? h("div", { class: "meta" },
        h("span", { class: "sender", dataset: { testid: "message-sender" } }, this.store.displayName(message.senderId))) : null,
      body,
      message.deleted ? null : this.attachmentList(message.attachments || []),
      this.reactionBar(message),
      h("div", { class: "footer" },
        h("time", { datetime: message.createdAt, title: new Date(message.createdAt).toLocaleString() }, formatTime(message.createdAt)),
        message.editedAt && !message.deleted ? h("span", { class: "edited", dataset: { testid: "message-edited" } }, " · edited") : null,
        mine ? h("span", { class: `status ${status}`, dataset: { testid: "message-status" },
          title: readers.length ? `Seen by ${readers.map((id) => this.store.displayName(id)).join(", ")}` : "Delivered to the server" },
          readers.length ? (conversation.type === "direct" ? " · Seen" : ` · Seen by ${readers.map((id) => this.store.displayName(id)).join(", ")}`) : " · Sent")
          : null)));
    if (!message.deleted && this.editing !== message.seq) node.append(this.actions(message, mine, canDelete));
    return node;
  }

  pendingNode(pending, showSender) {
    const failed = pending.status === "failed";
    return h("li", {
      class: `message mine pending${failed ? " failed" : ""}`,
      dataset: { testid: "message", clientMessageId: pending.clientMessageId, status: failed ? "failed" : "pending" },
      "aria-busy": failed ? null : "true",
    },
    h("div", { class: "bubble" },
      showSender ? h("div", { class: "meta" }, h("span", { class: "sender" }, "You")) : null,
      pending.body ? h("p", { class: "body", dataset: { testid: "message-body" } }, pending.body) : null,
      pending.attachments?.length ? h("ul", { class: "attachments" },
        pending.attachments.map((a) => h("li", { class: "attachment-file" }, `📎 ${a.fileName}`))) : null,
      h("div", { class: "footer" },
        failed
          ? h("span", { class: "status failed", role: "alert", dataset: { testid: "message-status" } },
            `Not sent: ${pending.error}. `,
            h("button", { type: "button", class: "link", dataset: { testid: "retry-send" },
              onclick: () => this.chat.retry(pending.clientMessageId) }, "Retry"),
            " ",
            h("button", { type: "button", class: "link", dataset: { testid: "discard-send" },
              onclick: () => this.chat.discard(pending.clientMessageId) }, "Discard"))
          : h("span", { class: "status pending", dataset: { testid: "message-status" } }, "Sending…"))));
  }

  attachmentList(attachments) {
    if (!attachments.length) return null;
    return h("ul", { class: "attachments" }, attachments.map((attachment) => {
      const label = `${attachment.fileName} (${formatSize(attachment.size)})`;
      if (attachment.contentType.startsWith("image/")) {
        const image = h("img", { alt: attachment.fileName, loading: "lazy", dataset: { testid: "attachment-image", attachmentId: attachment.id } });
        let retried = false;
        const load = () => this.chat.downloadUrl(attachment.id).then((url) => { image.src = url; },
          (failure) => { image.alt = `${attachment.fileName}: ${failure.userMessage || failure.message}`; });
        image.addEventListener("error", () => {
          if (!retried) {
            retried = true;
            this.chat.downloads.cache.delete(attachment.id);
            load();
          }
        });
        load();
        return h("li", { class: "attachment-image", dataset: { testid: "attachment", attachmentId: attachment.id } },
          h("figure", {}, image, h("figcaption", {}, label)));
      }
      const button = h("button", { type: "button", class: "attachment-file", dataset: { testid: "attachment-download", attachmentId: attachment.id } },
        `📎 ${label}`);
      button.addEventListener("click", async () => {
        try {
          const url = await this.chat.downloadUrl(attachment.id);
          button.dataset.downloadUrl = url;
          const link = h("a", { href: url, download: attachment.fileName, rel: "noopener", target: "_blank" });
          document.body.append(link);
          link.click();
          link.remove();
        } catch (failure) {
          toast(`Could not download ${attachment.fileName}: ${failure.userMessage || failure.message}`, { kind: "error" });
        }
      });
      return h("li", { dataset: { testid: "attachment", attachmentId: attachment.id } }, button);
    }));
  }

  reactionBar(message) {
    const entries = Object.entries(message.reactions || {}).filter(([, users]) => users.length);
    if (!entries.length || message.deleted) return null;
    const me = this.store.me.id;
    return h("div", { class: "reactions", dataset: { testid: "reactions" } }, entries.map(([emoji, users]) => h("button", {
      type: "button", class: "reaction", "aria-pressed": String(users.includes(me)),
      title: users.map((id) => this.store.displayName(id)).join(", "),
      "aria-label": `${emoji} ${users.length}: ${users.map((id) => this.store.displayName(id)).join(", ")}`,
      dataset: { testid: "reaction", emoji, count: users.length },
      onclick: () => this.react(message, emoji),
    }, `${emoji} ${users.length}`)));
  }

  actions(message, mine, canDelete) {
    const bar = h("div", { class: "actions", role: "toolbar", "aria-label": "Message actions" });
    if (this.confirmingDelete === message.seq) {
      bar.classList.add("confirming");
      bar.append(
        h("span", {}, "Delete this message? "),
        h("button", { type: "button", class: "danger small", dataset: { testid: "confirm-delete" }, onclick: () => this.remove(message) }, "Delete"),
        h("button", { type: "button", class: "small", onclick: () => { this.confirmingDelete = null; this.renderMessages({}); } }, "Cancel"));
      return bar;
    }
    for (const emoji of REACTIONS) {
      bar.append(h("button", { type: "button", class: "icon", "aria-label": `React with ${emoji}`,
        dataset: { testid: "react", emoji }, onclick: () => this.react(message, emoji) }, emoji));
    }
    if (mine) {
      bar.append(h("button", { type: "button", class: "small", dataset: { testid: "edit-message" },
        onclick: () => { this.editing = message.seq; this.renderMessages({}); } }, "Edit"));
    }
    if (canDelete) {
      bar.append(h("button", { type: "button", class: "small", dataset: { testid: "delete-message" },
        onclick: () => { this.confirmingDelete = message.seq; this.renderMessages({}); } }, "Delete"));
    }
    return bar;
  }

  editForm(message) {
    const field = h("textarea", { class: "edit-input", "aria-label": "Edit message", maxlength: MAX_BODY, dataset: { testid: "edit-input" } });
    field.value = message.body;
    const cancel = () => { this.editing = null; this.renderMessages({}); };
    const form = h("form", { class: "edit-form" }, field,
      h("div", { class: "edit-actions" },
        h("button", { type: "submit", class: "primary small", dataset: { testid: "save-edit" } }, "Save"),
        h("button", { type: "button", class: "small", onclick: cancel }, "Cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!text) {
        toast("A message cannot be empty; delete it instead.", { kind: "error" });
        return;
      }
      try {
        await this.chat.edit(message, text);
        this.editing = null;
        this.renderMessages({});
      } catch (failure) {
        toast(`Could not edit: ${failure.userMessage || failure.message}`, { kind: "error" });
      }
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel();
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    requestAnimationFrame(() => field.focus());
    return form;
  }

  async react(message, emoji) {
    try {
      await this.chat.toggleReaction(this.store.messages.get(message.conversationId)?.get(message.seq) ?? message, emoji);
    } catch (failure) {
      toast(`Could not react: ${failure.userMessage || failure.message}`, { kind: "error" });
    }
  }

  async remove(message) {
    this.confirmingDelete = null;
    try {
      await this.chat.remove(message);
    } catch (failure) {
      toast(`Could not delete: ${failure.userMessage || failure.message}`, { kind: "error" });
      this.renderMessages({});
    }
  }

  // -- composer --------------------------------------------------------------------------------------------------------

  buildComposer() {
    this.input = h("textarea", {
      id: "composer-input", rows: 1, placeholder: "Write a message…", "aria-label": "Message", maxlength: MAX_BODY,
      dataset: { testid: "composer-input" },
    });
    this.fileInput = h("input", { type: "file", id: "attach-input", multiple: true, class: "file-input", dataset: { testid: "attach-input" },
      "aria-label": "Attach files" });
    this.fileList = h("ul", { class: "pending-files", dataset: { testid: "pending-files" }, "aria-live": "polite" });
    this.composerError = h("p", { class: "form-error", role: "alert", hidden: true, dataset: { testid: "composer-error" } });
    this.sendButton = h("button", { type: "submit", class: "primary", dataset: { testid: "send-button" } }, "Send");
    const form = h("form", { class: "composer", dataset: { testid: "composer" } },
      this.composerError,
      this.fileList,
      h("div", { class: "composer-row" },
        h("label", { class: "attach-button", title: "Attach files" }, h("span", { "aria-hidden": "true" }, "📎"), this.fileInput),
        this.input,
        this.sendButton));

    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => {
      this.composerError.hidden = true;
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
      if (this.conversationId && this.input.value.trim()) this.chat.typing(this.conversationId);
    });
    this.fileInput.addEventListener("change", () => {
      this.files.push(...this.fileInput.files);
      this.fileInput.value = "";
      this.renderFiles();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    return form;
  }

  renderFiles(progress = new Map()) {
    this.fileList.replaceChildren(...this.files.map((file, index) => h("li", { class: "chip", dataset: { testid: "pending-file" } },
      `📎 ${file.name} (${formatSize(file.size)})`,
      progress.has(index) ? h("progress", { max: 1, value: progress.get(index), "aria-label": `Uploading ${file.name}` }) : null,
      progress.size ? null : h("button", { type: "button", class: "icon", "aria-label": `Remove ${file.name}`,
        onclick: () => { this.files.splice(index, 1); this.renderFiles(); } }, "✕"))));
  }

  async submit() {
    const id = this.conversationId;
    const text = this.input.value.trim();
    const files = [...this.files];
    if (!id || (!text && files.length === 0)) return;
    if (text.length > MAX_BODY) {
      this.showComposerError(`A message is at most ${MAX_BODY} characters (this one has ${text.length}).`);
      return;
    }
    this.input.value = "";
    this.input.style.height = "auto";
    const progress = new Map();
    if (files.length) {
      this.sendButton.disabled = true;
      this.renderFiles(progress);
    }
    try {
      await this.chat.send(id, text, files, (index, fraction) => {
        progress.set(index, fraction);
        this.renderFiles(progress);
      });
      this.files = [];
      this.renderFiles();
      this.scrollToBottom();
    } catch (failure) {
      // Nothing was sent: give the text and files back.
      if (!this.input.value) this.input.value = text;
      this.renderFiles();
      this.showComposerError(`Not sent: ${failure.userMessage || failure.message}`);
    } finally {
      this.sendButton.disabled = false;
    }
  }

  showComposerError(text) {
    this.composerError.textContent = text;
    this.composerError.hidden = false;
  }
}
