import IdentityData
import ServiceKit

/// `PATCH /v1/users/me` `{displayName?, bio?, avatarAttachmentId?}`: a field left out stays as it is; `null` clears
/// `bio` or `avatarAttachmentId` (a display name cannot be cleared).
struct ProfilePatch: Decodable, Sendable {
    /// What to do with one optional field.
    enum Change<Value: Sendable>: Sendable {
        case keep
        case clear
        case set(Value)
    }

    static let bioLimit = 500
    static let attachmentIdLimit = 128

    private(set) var displayName: String?
    private(set) var bio: Change<String> = .keep
    private(set) var avatarAttachmentId: Change<String> = .keep

    private enum CodingKeys: String, CodingKey { case displayName, bio, avatarAttachmentId }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        displayName = try container.decodeIfPresent(String.self, forKey: .displayName)
        if container.contains(.displayName), displayName == nil {
            throw APIError.invalidRequest("displayName cannot be null")
        }
        bio = try Self.change(container, .bio)
        avatarAttachmentId = try Self.change(container, .avatarAttachmentId)
    }

    private static func change(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Change<String> {
        guard container.contains(key) else { return .keep }
        return try container.decodeNil(forKey: key) ? .clear : .set(container.decode(String.self, forKey: key))
    }

    /// The patch with the contract's limits applied; 400 `invalid_request` when a field breaks one. An empty or
    /// blank bio clears it.
    func validated() throws -> ProfilePatch {
        var patch = self
        patch.displayName = try displayName.map(UserRecord.validatedDisplayName)
        if case .set(let text) = bio {
            guard text.count <= Self.bioLimit else { throw APIError.invalidRequest("bio must be at most \(Self.bioLimit) characters") }
            guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
                throw APIError.invalidRequest("bio must not contain control characters")
            }
            patch.bio = text.allSatisfy(\.isWhitespace) ? .clear : .set(text)
        }
        if case .set(let id) = avatarAttachmentId {
            guard (1...Self.attachmentIdLimit).contains(id.count),
                id.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                })
            else {
                throw APIError.invalidRequest("avatarAttachmentId must be an attachment id")
            }
        }
        return patch
    }
}
