import Foundation
import Hummingbird
import ServiceKit

/// The `/v1/notifications` routes of the contract, all behind ``IdentityMiddleware``: the caller's notifications,
/// unread count, marking read, push targets and mutes. Ids that are not the caller's (or not ids at all) answer 404.
struct NotificationRoutes: Sendable {
    let notifications: NotificationStore
    let targets: PushTargetStore
    let mutes: MuteStore
    let settings: PushSettings
    let identitySigner: IdentitySigner

    /// `POST /v1/notifications/read`: `{"ids": [...]}` or `{"all": true}`.
    struct ReadRequest: Decodable, Sendable {
        let ids: [String]?
        let all: Bool?
    }

    /// `POST /v1/notifications/push-targets`: `{"url", "secret"}`.
    struct NewTarget: Decodable, Sendable {
        let url: String
        let secret: String
    }

    /// `{"count"}`.
    struct UnreadCount: ResponseEncodable, Sendable {
        let count: Int
    }

    /// Secrets shorter than this would make signatures guessable.
    static let secretLengths = 16...256

    func add(to router: Router<ServiceRequestContext>) {
        let routes = router.group("/v1/notifications").add(middleware: IdentityMiddleware(signer: identitySigner))
        routes.get { request, context in
            let page = try NotificationPageRequest(request)
            return try page.page(try await notifications.list(userId: try context.requireIdentity().userId, page: page))
        }
        routes.get("unread-count") { _, context in
            UnreadCount(count: try await notifications.unreadCount(userId: try context.requireIdentity().userId))
        }
        routes.post("read") { request, context in
            let userId = try context.requireIdentity().userId
            let body = try await request.decode(as: ReadRequest.self, context: context)
            switch (body.ids, body.all) {
            case (nil, true?):
                try await notifications.markAllRead(userId: userId)
            case (let ids?, nil):
                // At most a page's worth: what a client can have listed at once.
                guard (1...Request.maximumPageLimit).contains(ids.count) else {
                    throw APIError.invalidRequest("ids must hold 1 to \(Request.maximumPageLimit) notification ids")
                }
                let parsed = ids.map { UUID(uuidString: $0) }
                guard parsed.allSatisfy({ $0 != nil }) else { throw APIError.notFound("no such notification") }
                try await notifications.markRead(userId: userId, ids: Set(parsed.compactMap { $0 }))
            default:
                throw APIError.invalidRequest("send either {\"ids\": [...]} or {\"all\": true}")
            }
            return Response(status: .noContent)
        }
        routes.post("push-targets") { request, context in
            let userId = try context.requireIdentity().userId
            let body = try await request.decode(as: NewTarget.self, context: context)
            guard Self.secretLengths.contains(body.secret.count) else {
                throw APIError.invalidRequest("secret must be \(Self.secretLengths.lowerBound) to \(Self.secretLengths.upperBound) characters")
            }
            let url = try await PushTargetURL.validated(body.url, allowPrivate: settings.allowPrivateTargets)
            let target = try await targets.add(userId: userId, url: url, secret: body.secret)
            return EditedResponse(status: .created, response: target)
        }
        routes.get("push-targets") { _, context in
            Page(items: try await targets.list(userId: try context.requireIdentity().userId), nextCursor: nil)
        }
        routes.delete("push-targets/:id") { _, context in
            let userId = try context.requireIdentity().userId
            guard let id = UUID(uuidString: try context.parameters.require("id")),
                try await targets.delete(userId: userId, id: id)
            else { throw APIError.notFound("no such push target") }
            return Response(status: .noContent)
        }
        routes.put("mutes/:conversationId") { _, context in
            try await mutes.mute(userId: try context.requireIdentity().userId, conversationId: try conversationId(context))
            return Response(status: .noContent)
        }
        routes.delete("mutes/:conversationId") { _, context in
            try await mutes.unmute(userId: try context.requireIdentity().userId, conversationId: try conversationId(context))
            return Response(status: .noContent)
        }
    }

    /// The conversation id of the path, as events write it (a lowercased UUID); 404 when it is not one.
    private func conversationId(_ context: ServiceRequestContext) throws -> String {
        guard let id = UUID(uuidString: try context.parameters.require("conversationId")) else {
            throw APIError.notFound("no such conversation")
        }
        return NotificationPlan.text(id)
    }
}
