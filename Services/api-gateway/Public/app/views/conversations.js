// The conversation list: most recent activity first, each with its last message, time, unread count and (for a
// direct conversation) the other person's presence.

import { h, formatTime, initials } from "../dom.js";

export class ConversationList {
  constructor({ store, onOpen, onNew, signal }) {
    this.store = store;
    this.onOpen = onOpen;
    this.list = h("ul", { class: "conversation-list", dataset: { testid: "conversation-list" }, "aria-label": "Conversations" });
    this.empty = h("p", { class: "empty", dataset: { testid: "no-conversations" } },
      "No conversations yet. Start one with “New conversation”.");
    this.element = h("nav", { class: "sidebar", "aria-label": "Conversations" },
      h("div", { class: "sidebar-head" },
        h("h2", {}, "Conversations"),
        h("button", { type: "button", class: "primary small", onclick: onNew, dataset: { testid: "new-conversation" } },
          "New conversation")),
      this.empty,
      this.list);
    const redraw = () => this.render();
    for (const type of ["conversations", "conversation", "presence"]) store.addEventListener(type, redraw, { signal });
    this.render();
  }

  render() {
    const conversations = this.store.sortedConversations();
    this.empty.hidden = conversations.length > 0;
    this.list.replaceChildren(...conversations.map((conversation) => this.item(conversation)));
  }

  item(conversation) {
    const store = this.store;
    const title = store.titleOf(conversation);
    const active = conversation.id === store.activeId;
    const unread = store.unreadOf(conversation);
    const other = conversation.type === "direct" ? store.otherMember(conversation) : null;
    const presence = other ? store.presenceOf(other) : null;
    return h("li", {},
      h("button", {
        type: "button", class: `conversation${active ? " active" : ""}${unread ? " unread" : ""}`,
        "aria-current": active ? "true" : null,
        dataset: { testid: "conversation-item", conversationId: conversation.id, title },
        onclick: () => this.onOpen(conversation.id),
      },
      h("span", { class: "avatar", "aria-hidden": "true" }, conversation.type === "group" ? "#" : initials(title),
        presence ? h("span", { class: `presence-dot ${presence}`, dataset: { testid: "presence-dot", status: presence } }) : null),
      h("span", { class: "conversation-text" },
        h("span", { class: "conversation-title" }, title,
          presence ? h("span", { class: "visually-hidden" }, ` (${presence})`) : null),
        h("span", { class: "conversation-preview", dataset: { testid: "conversation-preview" } }, preview(store, conversation))),
      h("span", { class: "conversation-meta" },
        h("time", { datetime: conversation.lastMessage?.createdAt || conversation.updatedAt },
          formatTime(conversation.lastMessage?.createdAt || conversation.updatedAt)),
        unread ? h("span", { class: "badge", dataset: { testid: "unread-count" }, "aria-label": `${unread} unread` }, String(unread)) : null)));
  }
}

function preview(store, conversation) {
  const message = conversation.lastMessage;
  if (!message) return conversation.type === "group" ? `${conversation.members.length} members` : "No messages yet";
  const who = message.senderId === store.me?.id ? "You: " : conversation.type === "group" ? `${store.displayName(message.senderId)}: ` : "";
  if (message.deleted) return `${who}Message deleted`;
  const text = message.body || (message.attachments?.length ? `📎 ${message.attachments.map((a) => a.fileName).join(", ")}` : "");
  return who + text.replace(/\s+/g, " ").slice(0, 80);
}
