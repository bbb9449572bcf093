import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// `chatctl`: a command-line client of the chat backend, for people who operate it and for scripts: sign up or in,
/// list conversations, send, read history, follow a conversation live, and `smoke`, the post-deploy smoke test.
@main
struct ChatCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatctl",
        abstract: "Command-line client of the chat backend, and its post-deploy smoke test.",
        subcommands: [Register.self, Login.self, Conversations.self, Send.self, History.self, Tail.self, Smoke.self])
}

/// Options of every command that talks to a gateway as a signed-in user.
struct ClientOptions: ParsableArguments {
    @Option(help: "The gateway's base URL.") var gateway = ProcessInfo.processInfo.environment["CHATCTL_GATEWAY"] ?? "http://127.0.0.1:8080"
    @Option(help: "Where the signed-in session is kept.") var session = SessionFile.defaultPath

    /// Runs `body` with a client of the gateway and shuts the HTTP client down after it.
    func withClient<T>(_ body: (GatewayClient) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body(GatewayClient(base: gateway.trimmingSuffix("/"), http: http))) } catch { outcome = .failure(error) }
        try await http.shutdown()
        return try outcome.get()
    }
}

extension ChatCtl {
    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account and sign in.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "3–32 of a–z, 0–9, '_' and '.'.") var username: String
        @Option(help: "8–128 characters (default: the CHATCTL_PASSWORD environment variable).") var password =
            ProcessInfo.processInfo.environment["CHATCTL_PASSWORD"] ?? ""

        func run() async throws {
            try await options.withClient { client in
                let reply = try await client.call(.POST, "/v1/auth/register", body: ["username": username, "password": password], expecting: [201])
                try saveSession(reply, client: client, options: options)
            }
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign in.")
        @OptionGroup var options: ClientOptions
        @Argument var username: String
        @Option(help: "Default: the CHATCTL_PASSWORD environment variable.") var password =
            ProcessInfo.processInfo.environment["CHATCTL_PASSWORD"] ?? ""

        func run() async throws {
            try await options.withClient { client in
                let reply = try await client.call(.POST, "/v1/auth/login", body: ["username": username, "password": password])
                try saveSession(reply, client: client, options: options)
            }
        }
    }

    struct Conversations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your conversations, most recent first.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let session = try SessionFile(path: options.session).load()
            try await options.withClient { client in
                var cursor: String?
                repeat {
                    let query = cursor.map { "?cursor=\($0)" } ?? ""
                    let page = try await client.call(.GET, "/v1/conversations\(query)", token: session.accessToken).object
                    for conversation in page["items"] as? [[String: Any]] ?? [] {
                        let title = conversation["title"] as? String ?? "(direct)"
                        print("\(conversation["id"] ?? "")  \(conversation["type"] ?? "")  unread \(conversation["unreadCount"] ?? 0)  \(title)")
                    }
                    cursor = page["nextCursor"] as? String
                } while cursor != nil
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a message to a conversation.")
        @OptionGroup var options: ClientOptions
        @Argument var conversationId: String
        @Argument var body: String

        func run() async throws {
            let session = try SessionFile(path: options.session).load()
            try await options.withClient { client in
                let reply = try await client.call(
                    .POST, "/v1/conversations/\(conversationId)/messages",
                    body: ["clientMessageId": UUID().uuidString.lowercased(), "body": body], token: session.accessToken, expecting: [200, 201])
                print("sent as seq \(reply.object["seq"] ?? "?")")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a conversation's messages, oldest first.")
        @OptionGroup var options: ClientOptions
        @Argument var conversationId: String
        @Option(help: "Start after this seq.") var after: Int = 0

        func run() async throws {
            let session = try SessionFile(path: options.session).load()
            try await options.withClient { client in
                var query = "?after=\(after)&limit=200"
                while true {
                    let page = try await client.call(.GET, "/v1/conversations/\(conversationId)/messages\(query)", token: session.accessToken).object
                    for message in page["items"] as? [[String: Any]] ?? [] { print(Self.line(message)) }
                    guard let cursor = page["nextCursor"] as? String else { break }
                    query = "?cursor=\(cursor)&limit=200"
                }
            }
        }

        static func line(_ message: [String: Any]) -> String {
            let deleted = message["deleted"] as? Bool ?? false
            return
                "#\(message["seq"] ?? "?")  \(message["createdAt"] ?? "")  \(message["senderId"] ?? "")  \(deleted ? "(deleted)" : message["body"] as? String ?? "")"
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a conversation over the WebSocket: new messages as they arrive.")
        @OptionGroup var options: ClientOptions
        @Argument var conversationId: String

        func run() async throws {
            let session = try SessionFile(path: options.session).load()
            try await options.withClient { client in
                let connection = try await RealtimeConnection(url: client.webSocketURL, token: session.accessToken)
                for await text in connection.incoming {
                    guard let frame = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                        frame["type"] as? String == "message", let message = frame["message"] as? [String: Any],
                        message["conversationId"] as? String == conversationId
                    else { continue }
                    print(History.line(message))
                }
            }
        }
    }
}

/// Keeps the session `register` or `login` answered and says who is signed in.
private func saveSession(_ reply: GatewayClient.Reply, client: GatewayClient, options: ClientOptions) throws {
    let body = reply.object
    guard let user = body["user"] as? [String: Any], let id = user["id"] as? String, let username = user["username"] as? String,
        let access = body["accessToken"] as? String, let refresh = body["refreshToken"] as? String
    else { throw GatewayClient.CallFailure(description: "the answer is not a session (request id \(reply.requestId))") }
    try SessionFile(path: options.session).save(
        .init(
            gateway: client.base, userId: id, username: username, accessToken: access, refreshToken: refresh))
    print("signed in as \(username) (\(id))")
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
