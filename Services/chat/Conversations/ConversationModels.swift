import Foundation
import ServiceKit

/// A member as the contract shows it.
struct MemberView: Codable, Sendable, Equatable {
    let userId: String
    let role: String
    let joinedAt: String
}

/// The contract's `conversation` object, in the caller's view (`unreadCount`, `lastMessage`).
struct ConversationView: Codable, Sendable {
    let id: String
    let type: String
    let title: String?
    let members: [MemberView]
    let lastSeq: Int64
    let lastMessage: MessageView?
    let unreadCount: Int64
    let createdAt: String
    let updatedAt: String
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
        guard (1...maxTitleLength).contains(title.count) else {
            throw APIError.invalidRequest("title must be 1–\(maxTitleLength) characters")
        }
        return title
    }

    /// A user id must look like one (UUID text); anything else cannot name a user.
    static func userId(_ raw: String) throws -> String {
        guard let uuid = UUID(uuidString: raw) else { throw APIError.invalidRequest("\(raw.prefix(64)) is not a user id") }
        return uuid.uuidString.lowercased()
    }
}
