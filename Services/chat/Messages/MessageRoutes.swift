import Foundation
import Hummingbird
import ServiceKit

/// `/v1/conversations/{id}/messages` (contract: Messages).
struct MessageRoutes {
    let messaging: Messaging

    struct SendRequest: Decodable {
        let clientMessageId: String
        let body: String?
        let attachmentIds: [String]?
        let replyToSeq: Int64?
    }

    struct EditRequest: Decodable {
        let body: String
    }

    func register(on router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/conversations/:id/messages", use: send)
        router.get("/v1/conversations/:id/messages", use: list)
        router.patch("/v1/conversations/:id/messages/:seq", use: edit)
        router.delete("/v1/conversations/:id/messages/:seq", use: delete)
        router.put("/v1/conversations/:id/messages/:seq/reactions/:emoji", use: react)
        router.delete("/v1/conversations/:id/messages/:seq/reactions/:emoji", use: unreact)
    }

    @Sendable func send(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let input = try await request.decodeJSON(as: SendRequest.self, context: context)
        let result = try await messaging.send(
            from: caller, to: try context.parameters.require("id"), clientMessageId: input.clientMessageId,
            body: input.body ?? "", attachmentIds: input.attachmentIds ?? [], replyToSeq: input.replyToSeq)
        switch result {
        case .created(let message): return JSONResponse.make(.created, message)
        case .existing(let message): return JSONResponse.make(.ok, message)
        }
    }

    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller)
        let limit = try request.pageLimit()
        func seq(_ name: String) throws -> Int64? {
            guard let raw = request.uri.queryParameters[Substring(name)] else { return nil }
            guard let value = Int64(String(raw)), value >= 0 else { throw APIError.invalidRequest("\(name) must be a seq") }
            return value
        }
        let after = try seq("after"), before = try seq("before")
        guard after == nil || before == nil else { throw APIError.invalidRequest("give before or after, not both") }
        let page = try await messaging.messages.page(conversation.id, after: after, before: before, limit: limit)
        let next = page.count == limit ? page.last.map { String($0.seq) } : nil
        return JSONResponse.make(.ok, Page(items: page.map(\.view), nextCursor: next))
    }

    private func seq(_ context: ServiceRequestContext) throws -> Int64 {
        guard let seq = Int64(try context.parameters.require("seq")), seq > 0 else { throw APIError.notFound("no such message") }
        return seq
    }

    @Sendable func edit(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let body = try await request.decodeJSON(as: EditRequest.self, context: context).body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...Messaging.maxBodyLength).contains(body.count) else { throw APIError.invalidRequest("body must be 1–\(Messaging.maxBodyLength) characters") }
        let view = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, _ in
            guard document.senderId == caller else { throw APIError.forbidden("only the sender edits a message") }
            guard !document.deleted else { throw APIError.conflict("the message was deleted") }
            document.body = body
            document.editedAtMs = Date().milliseconds
        }
        return JSONResponse.make(.ok, view)
    }

    @Sendable func delete(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        _ = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, conversation in
            let role = conversation.member(caller)?.role
            guard document.senderId == caller || role == "owner" || role == "admin" else {
                throw APIError.forbidden("only the sender, the owner or an admin deletes a message")
            }
            document.deleted = true
            document.body = ""
            document.attachments = []
        }
        return Response(status: .noContent)
    }

    @Sendable func react(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try await changeReaction(request, context: context, adding: true)
    }

    @Sendable func unreact(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try await changeReaction(request, context: context, adding: false)
    }

    private func changeReaction(_ request: Request, context: ServiceRequestContext, adding: Bool) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let emoji = try context.parameters.require("emoji").removingPercentEncoding ?? ""
        guard (1...32).contains(emoji.count), !emoji.contains(MessageDocument.reactionSeparator) else {
            throw APIError.invalidRequest("emoji must be 1–32 characters")
        }
        let entry = "\(emoji)\(MessageDocument.reactionSeparator)\(caller)"
        _ = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, _ in
            guard !document.deleted else { throw APIError.conflict("the message was deleted") }
            document.reactions.removeAll { $0 == entry }
            if adding { document.reactions.append(entry) }
        }
        return Response(status: .noContent)
    }
}
