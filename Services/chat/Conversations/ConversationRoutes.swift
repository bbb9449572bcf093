import ChatEvents
import Foundation
import Hummingbird
import ServiceKit

/// `/v1/conversations` (contract: Conversations).
struct ConversationRoutes {
    let messaging: Messaging

    func register(on router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/conversations", use: create)
        router.get("/v1/conversations", use: list)
        router.get("/v1/conversations/:id", use: get)
        router.patch("/v1/conversations/:id", use: rename)
        router.post("/v1/conversations/:id/members", use: addMembers)
        router.delete("/v1/conversations/:id/members/:userId", use: removeMember)
        router.post("/v1/conversations/:id/read", use: read)
    }

    @Sendable func create(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let input = try await request.decodeJSON(as: CreateConversationRequest.self, context: context)
        switch input.type {
        case "direct":
            let other = try ConversationLimits.userId(input.memberId ?? "")
            guard other != caller else { throw APIError.invalidRequest("a direct conversation needs another user") }
            try await messaging.directory.requireAddable([other], by: caller)
            let (conversation, created) = try await messaging.conversations.openDirect(between: caller, and: other)
            if created {
                await messaging.announce(conversation)
                try await publishCreated(conversation, by: caller)
            }
            return try JSONResponse.make(created ? .created : .ok, conversation.view(for: caller))
        case "group":
            let title = try ConversationLimits.title(input.title)
            let members = try (input.memberIds ?? []).map(ConversationLimits.userId)
            guard members.count < ConversationLimits.maxGroupSize else { throw APIError.invalidRequest("too many members") }
            try await messaging.directory.requireAddable(members.filter { $0 != caller }, by: caller)
            let conversation = try await messaging.conversations.createGroup(owner: caller, title: title, memberIds: members)
            await messaging.announce(conversation)
            try await publishCreated(conversation, by: caller)
            return try JSONResponse.make(.created, conversation.view(for: caller))
        default:
            throw APIError.invalidRequest("type must be direct or group")
        }
    }

    private func publishCreated(_ conversation: ConversationStore.Conversation, by caller: String) async throws {
        guard let id = UUID(uuidString: conversation.id), let creator = UUID(uuidString: caller) else { return }
        try await messaging.producer.publish(
            EventEnvelope(
                ConversationCreated(
                    conversationId: id, createdBy: creator, title: conversation.title,
                    memberIds: conversation.members.compactMap { UUID(uuidString: $0.userId) })))
    }

    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let page = try PageRequest<ConversationListPosition>(request)
        let rows = try await messaging.conversations.list(for: caller, limit: page.fetchLimit, after: page.cursor)
        return try JSONResponse.make(
            .ok,
            try page.page(
                rows, item: { $0.view(for: caller) }, position: { ConversationListPosition(activity: $0.activity, id: $0.id) }))
    }

    @Sendable func get(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller, fresh: true)
        return try JSONResponse.make(.ok, conversation.view(for: caller))
    }

    @Sendable func rename(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller, fresh: true)
        let title = try ConversationLimits.title(try await request.decodeJSON(as: RenameConversationRequest.self, context: context).title)
        try Self.requireManager(caller, of: conversation)
        guard conversation.type == .group else { throw APIError.invalidRequest("direct conversations have no title") }
        try await messaging.conversations.rename(conversation.id, to: title)
        let renamed = try await messaging.conversation(conversation.id, for: caller, fresh: true)
        await messaging.announce(renamed)
        if let id = UUID(uuidString: renamed.id), let by = UUID(uuidString: caller) {
            try await messaging.producer.publish(EventEnvelope(ConversationRenamed(conversationId: id, renamedBy: by, title: title)))
        }
        return try JSONResponse.make(.ok, renamed.view(for: caller))
    }

    @Sendable func addMembers(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller, fresh: true)
        let input = try await request.decodeJSON(as: AddMembersRequest.self, context: context)
        try Self.requireManager(caller, of: conversation)
        guard conversation.type == .group else { throw APIError.invalidRequest("direct conversations have exactly two members") }
        let userIds = try input.userIds.map(ConversationLimits.userId)
        guard !userIds.isEmpty, conversation.members.count + userIds.count <= ConversationLimits.maxGroupSize else {
            throw APIError.invalidRequest("userIds must name 1 or more users, within the group size limit")
        }
        try await messaging.directory.requireAddable(userIds.filter { $0 != caller }, by: caller)
        let added = try await messaging.conversations.addMembers(conversation.id, userIds)
        let updated = try await messaging.conversation(conversation.id, for: caller, fresh: true)
        await messaging.announce(updated)
        for userId in added {
            if let id = UUID(uuidString: updated.id), let user = UUID(uuidString: userId), let by = UUID(uuidString: caller) {
                try await messaging.producer.publish(EventEnvelope(MemberAdded(conversationId: id, userId: user, addedBy: by)))
            }
        }
        return try JSONResponse.make(.ok, updated.view(for: caller))
    }

    @Sendable func removeMember(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let conversation = try await messaging.conversation(try context.parameters.require("id"), for: caller, fresh: true)
        let target = try ConversationLimits.userId(try context.parameters.require("userId"))
        if target != caller { try Self.requireManager(caller, of: conversation) }
        guard conversation.type == .group else { throw APIError.invalidRequest("nobody leaves a direct conversation") }
        guard let member = conversation.member(target) else { throw APIError.notFound("no such member") }
        if member.role == .owner && target != caller { throw APIError.forbidden("the owner cannot be removed") }
        guard try await messaging.conversations.removeMember(conversation.id, target) else { throw APIError.notFound("no such member") }
        messaging.forget(conversation.id)
        if let remaining = try await messaging.conversations.find(conversation.id) {
            await messaging.announce(remaining, alsoTo: [target])
        }
        if let id = UUID(uuidString: conversation.id), let user = UUID(uuidString: target), let by = UUID(uuidString: caller) {
            try await messaging.producer.publish(EventEnvelope(MemberRemoved(conversationId: id, userId: user, removedBy: by)))
        }
        return Response(status: .noContent)
    }

    @Sendable func read(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let caller = try context.requireIdentity().userId
        let input = try await request.decodeJSON(as: ReadRequest.self, context: context)
        try await messaging.markRead(try context.parameters.require("id"), seq: input.seq, by: caller)
        return Response(status: .noContent)
    }

    static func requireManager(_ userId: String, of conversation: ConversationStore.Conversation) throws {
        guard conversation.member(userId)?.role.manages == true else {
            throw APIError.forbidden("only the owner or an admin may do this")
        }
    }
}

extension Request {
    /// The JSON body as `type`; 400 (never 500) when it is not.
    func decodeJSON<T: Decodable>(as type: T.Type, context: ServiceRequestContext) async throws -> T {
        let body = try await self.body.collect(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw APIError.invalidRequest("the body is not the expected JSON")
        }
    }
}
