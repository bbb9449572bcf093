import ChatEvents
import Foundation
import NIOCore
import ServiceKit

/// A client frame: its `type` and the fields the types use, decoded in one pass; each handler checks that the
/// fields of its type are there (`send`, `sync`, `typing`, `read`, `auth`, `ping`).
struct ClientFrame: Decodable, Equatable {
    let type: String
    let ref: String?
    let conversationId: String?
    let clientMessageId: String?
    let body: String?
    let attachmentIds: [String]?
    let replyToSeq: Int64?
    /// `sync`: conversation id → last seen seq.
    let conversations: [String: Int64]?
    /// `typing`: start or stop.
    let state: String?
    /// `read`: the seq read up to.
    let seq: Int64?
    /// `auth`: the fresh access token.
    let accessToken: String?
}

/// Frames the server sends, encoded once per event and shared by every recipient.
enum ServerFrame {
    struct Hello: Encodable {
        let type = "hello"
        let connectionId: String
        let userId: String
        let heartbeatSeconds: Int
    }

    struct Ack: Encodable {
        let type = "ack"
        let ref: String?
        let message: MessageView

        private enum CodingKeys: String, CodingKey { case type, ref, message }

        /// `ref` is `null` when the send had none.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(ref, forKey: .ref)
            try container.encode(message, forKey: .message)
        }
    }

    struct Message: Encodable {
        let type: String
        let message: MessageView
    }

    struct Synced: Encodable {
        let type = "synced"
        let conversationId: String
        let lastSeq: Int64
    }

    struct Typing: Encodable {
        let type = "typing"
        let conversationId: String
        let userId: String
        let state: String
    }

    struct Read: Encodable {
        let type = "read"
        let conversationId: String
        let userId: String
        let seq: Int64
    }

    struct Presence: Encodable {
        let type = "presence"
        let userId: String
        let status: PresenceStatus
    }

    struct Conversation: Encodable {
        let type = "conversation"
        let conversation: ConversationView
    }

    struct Notification: Encodable {
        let type = "notification"
        let notification: UserNotification
    }

    struct Authenticated: Encodable {
        let type = "authenticated"
        let ref: String?
        let expiresAt: String

        private enum CodingKeys: String, CodingKey { case type, ref, expiresAt }

        /// `ref` is `null` when the `auth` frame had none.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(ref, forKey: .ref)
            try container.encode(expiresAt, forKey: .expiresAt)
        }
    }

    struct Pong: Encodable {
        let type = "pong"
        let ref: String?

        private enum CodingKeys: String, CodingKey { case type, ref }

        /// `ref` is `null` when the ping had none.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(ref, forKey: .ref)
        }
    }

    struct Failure: Encodable {
        let type = "error"
        let ref: String?
        let code: String
        let message: String

        private enum CodingKeys: String, CodingKey { case type, ref, code, message }

        /// `ref` is `null` for an error that answers no frame with a ref.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(ref, forKey: .ref)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The frame's text; throws when it cannot be encoded (a programming error, never a silent empty frame).
    static func text(_ frame: some Encodable) throws -> String {
        String(decoding: try encoder.encode(frame), as: UTF8.self)
    }

    /// The frame's text as the bytes a connection writes.
    static func buffer(_ frame: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(frame))
    }
}
