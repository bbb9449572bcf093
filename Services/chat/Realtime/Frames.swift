import ChatEvents
import Foundation
import ServiceKit

/// The first field of every client frame, to pick the decoder.
struct ClientFrameType: Decodable {
    let type: String
}

/// `{"type":"send","ref","conversationId","clientMessageId","body","attachmentIds"?,"replyToSeq"?}`.
struct SendFrame: Decodable {
    let ref: String?
    let conversationId: String
    let clientMessageId: String
    let body: String
    let attachmentIds: [String]?
    let replyToSeq: Int64?
}

/// `{"type":"sync","conversations":{"<id>": lastSeenSeq}}`.
struct SyncFrame: Decodable {
    let conversations: [String: Int64]
}

/// `{"type":"typing","conversationId","state"}`.
struct TypingFrame: Decodable {
    let conversationId: String
    let state: String
}

/// `{"type":"read","conversationId","seq"}`.
struct ReadFrame: Decodable {
    let conversationId: String
    let seq: Int64
}

/// `{"type":"ping","ref"}`.
struct PingFrame: Decodable {
    let ref: String?
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
}
