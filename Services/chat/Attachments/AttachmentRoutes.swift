import Foundation
import Hummingbird
import ServiceKit

/// `/v1/attachments` (contract: Attachments).
struct AttachmentRoutes {
    let attachments: AttachmentStore
    let messaging: Messaging

    struct CreateRequest: Decodable {
        let conversationId: String
        let fileName: String
        let contentType: String
        let size: Int64
    }

    struct Created: Encodable {
        let attachment: AttachmentView
        let uploadUrl: String
        let uploadHeaders: [String: String]
        let expiresAt: String
    }

    struct Download: Encodable {
        let attachment: AttachmentView
        let downloadUrl: String
        let expiresAt: String
    }

    func register(on router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/attachments", use: create)
        router.get("/v1/attachments/:id", use: get)
    }

    @Sendable func create(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let input = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let conversation = try await messaging.conversation(input.conversationId, for: caller)
        let (view, url, headers, expiresAt) = try await attachments.create(
            conversationId: conversation.id, uploader: caller, fileName: input.fileName, contentType: input.contentType,
            size: input.size)
        return try JSONResponse.make(.created, Created(attachment: view, uploadUrl: url, uploadHeaders: headers, expiresAt: expiresAt))
    }

    @Sendable func get(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        guard let (view, key, _, _) = try await attachments.find(try context.parameters.require("id")) else {
            throw APIError.notFound("no such attachment")
        }
        _ = try await messaging.conversation(view.conversationId, for: caller)  // 404 for non-members
        let (url, expiresAt) = attachments.downloadURL(key: key)
        return try JSONResponse.make(.ok, Download(attachment: view, downloadUrl: url, expiresAt: expiresAt))
    }
}
