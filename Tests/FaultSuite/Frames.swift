import Foundation

/// The fields of a message object (contract: `message`) that the suite checks.
struct MessageFields: Decodable, Sendable {
    let conversationId: String
    let seq: Int64
    let senderId: String
    let clientMessageId: String
}

/// A WebSocket frame from the server, with only the fields the suite reads.
///
/// `message` is an object in `ack` and `message` frames but human text in `error` frames, so it is decoded by hand.
struct InboundFrame: Decodable, Sendable {
    let type: String
    let ref: String?
    let code: String?
    let message: MessageFields?
    let text: String?
    let conversationId: String?
    let lastSeq: Int64?

    enum CodingKeys: String, CodingKey { case type, ref, code, message, conversationId, lastSeq }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        ref = try container.decodeIfPresent(String.self, forKey: .ref)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        conversationId = try container.decodeIfPresent(String.self, forKey: .conversationId)
        lastSeq = try container.decodeIfPresent(Int64.self, forKey: .lastSeq)
        if type == "error" {
            message = nil
            text = try? container.decodeIfPresent(String.self, forKey: .message)
        } else {
            message = try? container.decodeIfPresent(MessageFields.self, forKey: .message)
            text = nil
        }
    }

    static func decode(_ text: String) -> InboundFrame? {
        try? JSONDecoder().decode(InboundFrame.self, from: Data(text.utf8))
    }
}

/// Client → server frames. Every value the suite puts in them is its own id or token (letters, digits, `-`, `_`, `.`),
/// so they are written as text without escaping.
enum OutboundFrame {
    static func send(conversationId: String, clientMessageId: String, body: String) -> String {
        #"{"type":"send","ref":"\#(clientMessageId)","conversationId":"\#(conversationId)","clientMessageId":"\#(clientMessageId)","body":"\#(body)"}"#
    }

    static func sync(conversationId: String, lastSeen: Int64) -> String {
        #"{"type":"sync","conversations":{"\#(conversationId)":\#(lastSeen)}}"#
    }

    static func ping(ref: String) -> String { #"{"type":"ping","ref":"\#(ref)"}"# }

    static func auth(ref: String, accessToken: String) -> String {
        #"{"type":"auth","ref":"\#(ref)","accessToken":"\#(accessToken)"}"#
    }
}
