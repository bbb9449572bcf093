import ServiceKit

/// Checks that an avatar is an image its user uploaded, asking chat, which owns attachments
/// (`GET /internal/v1/attachments/{id}`).
struct AvatarUploads: Sendable {
    let chat: InternalServiceClient

    private struct Upload: Decodable {
        let exists: Bool
        let uploaderId: String?
        let contentType: String?
        let uploaded: Bool
    }

    /// 400 unless `attachmentId` is a finished image upload of `userId`'s; 503 when chat cannot say.
    func requireOwnImage(_ attachmentId: String, of userId: String) async throws {
        let upload = try await chat.get("/internal/v1/attachments/\(attachmentId)", as: Upload.self)
        guard upload.exists else { throw APIError.invalidRequest("avatarAttachmentId names no attachment") }
        guard upload.uploaded, upload.uploaderId == userId, upload.contentType?.hasPrefix("image/") == true else {
            throw APIError.invalidRequest("avatarAttachmentId must be an image you uploaded")
        }
    }
}
