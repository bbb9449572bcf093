import Foundation
import Hummingbird
import ServiceKit

/// Where a page of messages starts: the direction of the listing and the seq it continues from (exclusive; nil:
/// the newest messages).
struct MessageListPosition: Codable, Sendable {
    let newestFirst: Bool
    let seq: Int64?

    init(newestFirst: Bool, seq: Int64?) {
        self.newestFirst = newestFirst
        self.seq = seq
    }

    /// The start a first request names with `?after=` or `?before=`; 400 when both are given or one is not a seq.
    init(_ request: Request) throws {
        func seq(_ name: String) throws -> Int64? {
            guard let raw = request.uri.queryParameters[Substring(name)] else { return nil }
            guard let value = Int64(String(raw)), value >= 0 else { throw APIError.invalidRequest("\(name) must be a seq") }
            return value
        }
        let after = try seq("after")
        let before = try seq("before")
        guard after == nil || before == nil else { throw APIError.invalidRequest("give before or after, not both") }
        self.init(newestFirst: after == nil, seq: after ?? before)
    }
}

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
        case .created(let message): return try JSONResponse.make(.created, message)
        case .existing(let message): return try JSONResponse.make(.ok, message)
        }
    }

    /// `?before=<seq>` pages newest first, `?after=<seq>` oldest first, neither: the newest page. The cursor of a
    /// page carries the direction and the last seq served, and decides whatever else the query says.
    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller)
        let page = try PageRequest<MessageListPosition>(request)
        let start = try page.cursor ?? MessageListPosition(request)
        let documents = try await messaging.messages.page(
            conversation.id, from: start.seq, newestFirst: start.newestFirst, limit: page.fetchLimit)
        return try JSONResponse.make(
            .ok,
            try page.page(
                documents, item: \.view, position: { MessageListPosition(newestFirst: start.newestFirst, seq: $0.seq) }))
    }

    private func seq(_ context: ServiceRequestContext) throws -> Int64 {
        guard let seq = Int64(try context.parameters.require("seq")), seq > 0 else { throw APIError.notFound("no such message") }
        return seq
    }

    @Sendable func edit(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let body = try Messaging.messageBody(try await request.decodeJSON(as: EditRequest.self, context: context).body, allowEmpty: false)
        let view = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, _ in
            guard document.senderId == caller else { throw APIError.forbidden("only the sender edits a message") }
            guard !document.deleted else { throw APIError.conflict("the message was deleted") }
            document.body = body
            document.editedAtMs = Date().milliseconds
        }
        return try JSONResponse.make(.ok, view)
    }

    @Sendable func delete(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        _ = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, conversation in
            guard document.senderId == caller || conversation.member(caller)?.role.manages == true else {
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

    /// The most distinct reactions a message holds, and the most of them one user may add to one message.
    static let maximumDistinctReactions = 50
    static let maximumReactionsPerUser = 20

    private func changeReaction(_ request: Request, context: ServiceRequestContext, adding: Bool) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let emoji = try context.parameters.require("emoji").removingPercentEncoding ?? ""
        guard TextRules.isSingleEmoji(emoji) else { throw APIError.invalidRequest("a reaction is one emoji") }
        let entry = "\(emoji)\(MessageDocument.reactionSeparator)\(caller)"
        _ = try await messaging.update(try context.parameters.require("id"), seq: try seq(context), by: caller) { document, _ in
            guard !document.deleted else { throw APIError.conflict("the message was deleted") }
            let alreadyThere = document.reactions.contains(entry)
            if adding && !alreadyThere {
                let distinct = Set(document.reactions.compactMap { $0.split(separator: MessageDocument.reactionSeparator).first })
                guard distinct.contains(Substring(emoji)) || distinct.count < Self.maximumDistinctReactions else {
                    throw APIError.invalidRequest("a message holds at most \(Self.maximumDistinctReactions) distinct reactions")
                }
                let suffix = "\(MessageDocument.reactionSeparator)\(caller)"
                guard document.reactions.filter({ $0.hasSuffix(suffix) }).count < Self.maximumReactionsPerUser else {
                    throw APIError.invalidRequest("a user adds at most \(Self.maximumReactionsPerUser) reactions to one message")
                }
                document.reactions.append(entry)
            } else if !adding {
                document.reactions.removeAll { $0 == entry }
            }
        }
        return Response(status: .noContent)
    }
}
