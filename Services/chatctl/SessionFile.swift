import Foundation

/// The signed-in user of `chatctl`, kept between commands in a file only its owner can read (`--session`, default
/// `~/.chatctl/session.json`).
struct SessionFile {
    let path: String

    /// What `register` and `login` answered.
    struct Session: Codable {
        let gateway: String
        let userId: String
        let username: String
        let accessToken: String
        let refreshToken: String
    }

    static var defaultPath: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.chatctl/session.json"
    }

    func save(_ session: Session) throws {
        let url = URL(filePath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try JSONEncoder().encode(session).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    func load() throws -> Session {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewayClient.CallFailure(description: "not signed in: run `chatctl login` or `chatctl register` first (\(path))")
        }
        return try JSONDecoder().decode(Session.self, from: data)
    }
}
