import NIOCore
import ServiceKit
import Testing

@testable import APIGateway

/// Which service serves a path, whose address a request comes from, and which token it presents.
struct RoutingTests {
    @Test func everyPrefixGoesToItsServiceAndOnlyTheSignInPathsArePublic() {
        #expect(RouteTable.route(for: "/v1/auth/login") == .init(service: .auth, requiresToken: false))
        #expect(RouteTable.route(for: "/v1/auth/jwks") == .init(service: .auth, requiresToken: false))
        #expect(RouteTable.route(for: "/v1/auth/logout") == .init(service: .auth, requiresToken: true))
        #expect(RouteTable.route(for: "/v1/users/me") == .init(service: .user, requiresToken: true))
        #expect(RouteTable.route(for: "/v1/conversations/x/messages") == .init(service: .chat, requiresToken: true))
        #expect(RouteTable.route(for: "/v1/attachments") == .init(service: .chat, requiresToken: true))
        #expect(RouteTable.route(for: "/v1/ws") == .init(service: .chat, requiresToken: true))
        #expect(RouteTable.route(for: "/v1/notifications/unread-count") == .init(service: .notification, requiresToken: true))
        for path in ["/v1/usersX", "/v1/internal", "/internal/v1/relations", "/v1/", "/v1/wss"] {
            #expect(RouteTable.route(for: path) == nil, "\(path)")
        }
    }

    @Test func metricsNameAForwardedRouteWithoutItsIds() {
        #expect(RouteTable.label(for: "/v1/auth/login") == "/v1/auth/login")
        #expect(RouteTable.label(for: "/v1/auth/logout") == "/v1/auth/*")
        #expect(RouteTable.label(for: "/v1/users/0b9e3f0c-0000-4000-8000-000000000001/presence") == "/v1/users/*")
        #expect(RouteTable.label(for: "/v1/conversations") == "/v1/conversations")
        #expect(RouteTable.label(for: "/v1/ws") == "/v1/ws")
    }

    @Test func theClientAddressIsTheEntryTheTrustedHopsAdded() throws {
        let peer = try SocketAddress(ipAddress: "10.0.0.9", port: 4000)
        #expect(ClientAddress.of(forwardedFor: ["1.2.3.4"], peer: peer, trustedHops: 0) == "10.0.0.9")
        #expect(ClientAddress.of(forwardedFor: ["6.6.6.6, 1.2.3.4"], peer: peer, trustedHops: 1) == "1.2.3.4")
        // Entries further left are the client's own claims.
        #expect(ClientAddress.of(forwardedFor: ["6.6.6.6, 1.2.3.4, 10.1.1.1"], peer: peer, trustedHops: 2) == "1.2.3.4")
        #expect(ClientAddress.of(forwardedFor: ["6.6.6.6", "1.2.3.4"], peer: peer, trustedHops: 1) == "1.2.3.4")
        // Fewer entries than trusted hops: the header cannot be what the load balancers wrote.
        #expect(ClientAddress.of(forwardedFor: [], peer: peer, trustedHops: 1) == "10.0.0.9")
        #expect(ClientAddress.of(forwardedFor: [], peer: nil, trustedHops: 0) == "unknown")
    }

    @Test func aBearerTokenComesFromTheHeaderOrWhereAllowedTheQuery() throws {
        #expect(try BearerToken.of(authorization: "Bearer abc") == "abc")
        #expect(try BearerToken.of(authorization: "bearer  abc ") == "abc")
        #expect(try BearerToken.of(authorization: nil, accessTokenParameter: "q") == "q")
        // The header wins, and a header that is not a bearer token is refused even with a query token.
        #expect(try BearerToken.of(authorization: "Bearer h", accessTokenParameter: "q") == "h")
        for (header, parameter) in [("Basic abc", "q"), ("Bearer", nil), ("Bearer ", nil)] as [(String?, String?)] + [(nil, nil), (nil, "")] {
            #expect(throws: APIError.self) { try BearerToken.of(authorization: header, accessTokenParameter: parameter) }
        }
    }
}
