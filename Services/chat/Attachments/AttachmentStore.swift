import ChatEvents
import Foundation
import Postgres
import S3
import ServiceKit

/// The contract's `attachment` object (the same shape travels in `message.created`).
typealias AttachmentView = MessageAttachment

/// Attachments: metadata in PostgreSQL, bytes in S3 under `attachments/<conversationId>/<attachmentId>`, uploaded
/// and downloaded by clients with presigned URLs.
struct AttachmentStore: Sendable {
    let postgres: PostgresClient
    let s3: S3Client
    static let maxSize: Int64 = 25 * 1024 * 1024
    static let downloadExpiry = 300
    static let allowedTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "video/mp4", "video/quicktime",
        "audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm", "application/pdf", "text/plain", "application/zip",
    ]

    /// Records a new attachment of `conversationId` and returns it with its presigned PUT.
    func create(
        conversationId: String, uploader: String, fileName: String, contentType: String, size: Int64
    ) async throws -> (AttachmentView, uploadURL: String, headers: [String: String], expiresAt: String) {
        let name = fileName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...255).contains(name.count), !name.contains("/"), !name.contains("\\"), !TextRules.hasHiddenCharacters(name) else {
            throw APIError.invalidRequest(
                "fileName must be 1–255 characters without slashes, control, bidirectional-override or zero-width characters")
        }
        let type = contentType.lowercased()
        guard Self.allowedTypes.contains(type) else { throw APIError.invalidRequest("contentType \(type.prefix(80)) is not allowed") }
        guard size > 0 else { throw APIError.invalidRequest("size must be positive") }
        guard size <= Self.maxSize else { throw APIError.payloadTooLarge("attachments are at most \(Self.maxSize) bytes") }
        let id = UUID().uuidString.lowercased()
        let key = "attachments/\(conversationId)/\(id)"
        let rows = try await postgres.query(
            """
            INSERT INTO attachments (id, conversation_id, uploader_id, file_name, content_type, size, object_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at
            """, [id, conversationId, uploader, name, type, String(size), key])
        let createdAt = try rows.first?.decode("created_at", as: Date.self) ?? Date()
        // The signature covers type, length and `If-None-Match: *`: the URL uploads exactly the announced file, once,
        // and can never overwrite it (S3 refuses the PUT when the object exists).
        let headers = [("content-type", type), ("content-length", String(size)), ("if-none-match", "*")]
        let expiry = Self.uploadExpiry(size: size)
        let url = s3.presignedURL(method: "PUT", key: key, expires: expiry, headers: headers)
        let view = AttachmentView(
            id: id, conversationId: conversationId, fileName: name, contentType: type, size: size, createdAt: RFC3339.string(from: createdAt))
        return (
            view, url, ["Content-Type": type, "Content-Length": String(size), "If-None-Match": "*"],
            RFC3339.string(from: Date().addingTimeInterval(TimeInterval(expiry)))
        )
    }

    /// Seconds an upload URL stays valid: a minute, plus the file at 50 kB/s (at most 10 minutes).
    static func uploadExpiry(size: Int64) -> Int {
        Int(min(600, 60 + size / 50_000))
    }

    /// The attachment `id`, with its object key, its uploader and whether its upload was confirmed.
    func find(_ id: String) async throws -> (AttachmentView, key: String, uploader: String, uploaded: Bool)? {
        guard UUID(uuidString: id) != nil else { return nil }
        let rows = try await postgres.query(
            """
            SELECT id, conversation_id, uploader_id, file_name, content_type, size, object_key, uploaded, created_at
            FROM attachments WHERE id = $1
            """, [id.lowercased()])
        guard let row = rows.first else { return nil }
        let view = AttachmentView(
            id: row["id"] ?? id, conversationId: row["conversation_id"] ?? "", fileName: row["file_name"] ?? "",
            contentType: row["content_type"] ?? "", size: try row.decode("size", as: Int64.self),
            createdAt: RFC3339.string(from: try row.decode("created_at", as: Date.self)))
        return (view, row["object_key"] ?? "", row["uploader_id"] ?? "", try row.decode("uploaded", as: Bool.self))
    }

    /// A presigned GET for the attachment, valid ``downloadExpiry`` seconds.
    func downloadURL(key: String) -> (url: String, expiresAt: String) {
        (
            s3.presignedURL(method: "GET", key: key, expires: Self.downloadExpiry),
            RFC3339.string(from: Date().addingTimeInterval(TimeInterval(Self.downloadExpiry)))
        )
    }

    /// The attachment `id` and its uploader once its upload is confirmed: stored with the announced size and type
    /// (checked with HEAD once, then remembered). Nil when there is no such attachment or it was not uploaded as
    /// announced.
    func uploaded(_ id: String) async throws -> (view: AttachmentView, uploader: String)? {
        guard let (view, key, uploader, uploaded) = try await find(id) else { return nil }
        if !uploaded {
            guard let stored = try await s3.headObject(key: key), Int64(stored.size) == view.size,
                stored.contentType == view.contentType
            else { return nil }
            try await postgres.query("UPDATE attachments SET uploaded = true WHERE id = $1", [view.id])
        }
        return (view, uploader)
    }

    /// The attachments a message from `sender` may carry: of `conversationId`, uploaded by the sender as announced.
    /// 400 otherwise.
    func verifiedForMessage(_ ids: [String], conversationId: String, sender: String) async throws -> [AttachmentView] {
        var views: [AttachmentView] = []
        for id in ids {
            guard let (view, uploader) = try await uploaded(id), view.conversationId == conversationId, uploader == sender else {
                throw APIError.invalidRequest(
                    "attachment \(id.prefix(64)) is not a finished upload of yours to this conversation (its size and type as announced)")
            }
            views.append(view)
        }
        return views
    }
}
