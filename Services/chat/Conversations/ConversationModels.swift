import Foundation
import ServiceKit

/// What kind of conversation: two people, or a titled group.
enum ConversationType: String, Codable, Sendable {
    case direct
    case group
}

/// A member's role. A direct conversation has two `member`s; a group one `owner`, who with its `admin`s manages it.
enum MemberRole: String, Codable, Sendable {
    case owner
    case admin
    case member

    /// May rename the group, add and remove members, and delete others' messages.
    var manages: Bool { self == .owner || self == .admin }
}

/// A member as the contract shows it.
struct MemberView: Codable, Sendable, Equatable {
    let userId: String
    let role: MemberRole
    let joinedAt: String
}

/// The contract's `conversation` object, in the caller's view (`unreadCount`, `lastMessage`).
struct ConversationView: Codable, Sendable {
    let id: String
    let type: ConversationType
    let title: String?
    let members: [MemberView]
    let lastSeq: Int64
    let lastMessage: MessageView?
    let unreadCount: Int64
    let createdAt: String
    let updatedAt: String

    private enum CodingKeys: String, CodingKey {
        case id, type, title, members, lastSeq, lastMessage, unreadCount, createdAt, updatedAt
    }

    /// Writes `title` and `lastMessage` as `null` when unset: the contract's keys are always present.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(members, forKey: .members)
        try container.encode(lastSeq, forKey: .lastSeq)
        try container.encode(lastMessage, forKey: .lastMessage)
        try container.encode(unreadCount, forKey: .unreadCount)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// Where a page of `GET /v1/conversations` starts: after the conversation with this last activity and id.
struct ConversationListPosition: Codable, Sendable {
    /// `updated_at` in microseconds since 1970.
    let activity: Int64
    let id: String
}

/// `POST /v1/conversations`.
struct CreateConversationRequest: Decodable {
    let type: String
    let memberId: String?
    let title: String?
    let memberIds: [String]?
}

/// `PATCH /v1/conversations/{id}`.
struct RenameConversationRequest: Decodable {
    let title: String
}

/// `POST /v1/conversations/{id}/members`.
struct AddMembersRequest: Decodable {
    let userIds: [String]
}

/// `POST /v1/conversations/{id}/read`.
struct ReadRequest: Decodable {
    let seq: Int64
}

/// Limits on what clients send.
enum ConversationLimits {
    static let maxTitleLength = 200
    static let maxGroupSize = 1000

    /// A title trimmed and checked, or 400.
    static func title(_ raw: String?) throws -> String {
        let title = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maxTitleLength).contains(title.count), !TextRules.hasHiddenCharacters(title) else {
            throw APIError.invalidRequest(
                "title must be 1–\(maxTitleLength) characters without control, bidirectional-override or zero-width characters")
        }
        return title
    }

    /// A user id must look like one (UUID text); anything else cannot name a user.
    static func userId(_ raw: String) throws -> String {
        guard let uuid = UUID(uuidString: raw) else { throw APIError.invalidRequest("\(raw.prefix(64)) is not a user id") }
        return uuid.uuidString.lowercased()
    }
}
