import Foundation
import ServiceKit

/// A message as stored in DocumentDB. Times are milliseconds since 1970 and reactions a list of `emoji␟userId`
/// strings: plain values only, so no update depends on how the server stores dates or nested documents.
struct MessageDocument: Codable, Sendable {
    /// `<conversationId>:<seq>`.
    var _id: String
    var conversationId: String
    var seq: Int64
    var senderId: String
    var clientMessageId: String
    var body: String
    var attachments: [AttachmentView]
    var replyToSeq: Int64?
    var createdAtMs: Int64
    var editedAtMs: Int64?
    var deleted: Bool
    var reactions: [String]

    static let reactionSeparator: Character = "\u{1F}"

    /// The contract's `message` object.
    var view: MessageView {
        var grouped: [String: [String]] = [:]
        for entry in reactions {
            let parts = entry.split(separator: Self.reactionSeparator, maxSplits: 1)
            if parts.count == 2 { grouped[String(parts[0]), default: []].append(String(parts[1])) }
        }
        return MessageView(
            id: _id, conversationId: conversationId, seq: seq, senderId: senderId, clientMessageId: clientMessageId,
            body: deleted ? "" : body, attachments: deleted ? [] : attachments,
            replyToSeq: replyToSeq, createdAt: RFC3339.string(from: Date(milliseconds: createdAtMs)),
            editedAt: editedAtMs.map { RFC3339.string(from: Date(milliseconds: $0)) }, deleted: deleted,
            reactions: grouped)
    }
}

/// The contract's `message` object.
struct MessageView: Codable, Sendable, Equatable {
    let id: String
    let conversationId: String
    let seq: Int64
    let senderId: String
    let clientMessageId: String
    let body: String
    let attachments: [AttachmentView]
    let replyToSeq: Int64?
    let createdAt: String
    let editedAt: String?
    let deleted: Bool
    let reactions: [String: [String]]

    private enum CodingKeys: String, CodingKey {
        case id, conversationId, seq, senderId, clientMessageId, body, attachments, replyToSeq, createdAt, editedAt, deleted,
            reactions
    }

    /// Writes `replyToSeq` and `editedAt` as `null` when unset: the contract's keys are always present.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(conversationId, forKey: .conversationId)
        try container.encode(seq, forKey: .seq)
        try container.encode(senderId, forKey: .senderId)
        try container.encode(clientMessageId, forKey: .clientMessageId)
        try container.encode(body, forKey: .body)
        try container.encode(attachments, forKey: .attachments)
        try container.encode(replyToSeq, forKey: .replyToSeq)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(editedAt, forKey: .editedAt)
        try container.encode(deleted, forKey: .deleted)
        try container.encode(reactions, forKey: .reactions)
    }
}

extension Date {
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
