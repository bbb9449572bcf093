// The REST API of the gateway (see /v1/openapi.json): one method per operation the client uses, the bearer token
// from the session (refreshed before it expires, and once more after a 401), and errors as ApiError with the
// contract's code, message and request id.

/** An answer that was not a success, or no answer at all (status 0, code "network"). */
export class ApiError extends Error {
  constructor(status, code, message, { requestId = null, retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  /** What to show a person. */
  get userMessage() {
    switch (this.code) {
      case "network":
        return "Cannot reach the chat server. Check your connection; the app retries by itself.";
      case "rate_limited":
        return `Too many requests. Try again in ${this.retryAfter ?? "a few"} seconds.`;
      case "unavailable":
      case "bad_gateway":
      case "gateway_timeout":
        return "The chat server is busy or restarting. Try again in a moment.";
      case "payload_too_large":
        return `Too large: ${this.message}`;
      default: {
        const text = this.message ? this.message.charAt(0).toUpperCase() + this.message.slice(1) : "Something went wrong";
        return this.status >= 500 && this.requestId ? `${text} (request ${this.requestId})` : text;
      }
    }
  }
}

/** The gateway's base URL: config.js's apiBase, else the page's own origin. */
export function apiBase() {
  const configured = (window.CHAT_CONFIG && window.CHAT_CONFIG.apiBase) || "";
  return (configured || window.location.origin).replace(/\/+$/, "");
}

/** The WebSocket URL with the access token as a query parameter (browsers cannot set headers on a WebSocket). */
export function webSocketUrl(accessToken) {
  const url = new URL(`${apiBase()}/v1/ws`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("access_token", accessToken);
  return url.toString();
}

const enc = encodeURIComponent;

export class Api {
  /** @param session the Session whose access token authenticates calls (see session.js). */
  constructor(session) {
    this.session = session;
  }

  async request(method, path, { body, auth = true, query, retryUnauthorized = true } = {}) {
    const url = new URL(apiBase() + path);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
    }
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) headers.Authorization = `Bearer ${await this.session.validAccessToken()}`;
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, "network", `cannot reach ${url.host}: ${error.message}`);
    }
    if (response.status === 401 && auth && retryUnauthorized) {
      // The token may have been revoked or expired early (a clock off, a suspended laptop): refresh once.
      await this.session.refresh();
      return this.request(method, path, { body, auth, query, retryUnauthorized: false });
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const retryAfter = Number(response.headers.get("Retry-After")) || null;
      throw new ApiError(response.status, error.code || `http_${response.status}`,
        error.message || `${response.status} ${response.statusText}`,
        { requestId: error.requestId || response.headers.get("X-Request-Id"), retryAfter });
    }
    return data;
  }

  // Auth (public, except logout)
  register(username, password, displayName) {
    const body = { username, password };
    if (displayName) body.displayName = displayName;
    return this.request("POST", "/v1/auth/register", { body, auth: false });
  }
  login(username, password) {
    return this.request("POST", "/v1/auth/login", { body: { username, password }, auth: false });
  }
  refresh(refreshToken) {
    return this.request("POST", "/v1/auth/refresh", { body: { refreshToken }, auth: false });
  }
  logout(refreshToken) {
    return this.request("POST", "/v1/auth/logout", { body: { refreshToken }, retryUnauthorized: false });
  }

  // Users
  me() { return this.request("GET", "/v1/users/me"); }
  searchUsers(query, limit = 20) { return this.request("GET", "/v1/users", { query: { query, limit } }); }
  user(id) { return this.request("GET", `/v1/users/${enc(id)}`); }
  presence(id) { return this.request("GET", `/v1/users/${enc(id)}/presence`); }

  // Conversations
  conversations(cursor) { return this.request("GET", "/v1/conversations", { query: { limit: 100, cursor } }); }
  conversation(id) { return this.request("GET", `/v1/conversations/${enc(id)}`); }
  openDirect(memberId) { return this.request("POST", "/v1/conversations", { body: { type: "direct", memberId } }); }
  createGroup(title, memberIds) {
    return this.request("POST", "/v1/conversations", { body: { type: "group", title, memberIds } });
  }
  markRead(conversationId, seq) {
    return this.request("POST", `/v1/conversations/${enc(conversationId)}/read`, { body: { seq } });
  }

  // Messages
  /** A page of history, newest first: `before` starts it, `cursor` (from nextCursor) continues it. */
  messages(conversationId, { before, cursor, limit = 50 } = {}) {
    return this.request("GET", `/v1/conversations/${enc(conversationId)}/messages`, { query: { before, cursor, limit } });
  }
  /** Oldest first, after `after` (catching up). */
  messagesAfter(conversationId, after, cursor, limit = 200) {
    return this.request("GET", `/v1/conversations/${enc(conversationId)}/messages`, { query: { after, cursor, limit } });
  }
  sendMessage(conversationId, message) {
    return this.request("POST", `/v1/conversations/${enc(conversationId)}/messages`, { body: message });
  }
  editMessage(conversationId, seq, body) {
    return this.request("PATCH", `/v1/conversations/${enc(conversationId)}/messages/${seq}`, { body: { body } });
  }
  deleteMessage(conversationId, seq) {
    return this.request("DELETE", `/v1/conversations/${enc(conversationId)}/messages/${seq}`);
  }
  react(conversationId, seq, emoji, on) {
    return this.request(on ? "PUT" : "DELETE",
      `/v1/conversations/${enc(conversationId)}/messages/${seq}/reactions/${enc(emoji)}`);
  }

  // Attachments
  createAttachment(conversationId, file) {
    return this.request("POST", "/v1/attachments", {
      body: { conversationId, fileName: file.name, contentType: file.type || "application/octet-stream", size: file.size },
    });
  }
  attachment(id) { return this.request("GET", `/v1/attachments/${enc(id)}`); }

  // Notifications
  notifications() { return this.request("GET", "/v1/notifications", { query: { limit: 50 } }); }
  unreadNotifications() { return this.request("GET", "/v1/notifications/unread-count"); }
  markAllNotificationsRead() { return this.request("POST", "/v1/notifications/read", { body: { all: true } }); }
}
