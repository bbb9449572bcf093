import Foundation
import Logging

/// The local stack started by `scripts/stack.sh`, as described by its environment file.
///
/// `CHAT_STACK_ENV` names the file (`scripts/test.sh` sets it); otherwise `.local/stack.env` in the repository.
/// A missing file is a failure, never a skip: integration tests need the real servers.
enum TestStack {
    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let environment: [String: String] = {
        let path =
            ProcessInfo.processInfo.environment["CHAT_STACK_ENV"]
            ?? repositoryRoot.appending(path: ".local/stack.env").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            fatalError("no stack environment at \(path): start the stack with scripts/stack.sh start (scripts/test.sh does)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }()

    static subscript(_ name: String) -> String {
        guard let value = environment[name], !value.isEmpty else { fatalError("\(name) is not in the stack environment") }
        return value
    }

    /// A PostgreSQL URL for `database` on the stack's server.
    static func postgresURL(database: String) -> String {
        self["CHAT_POSTGRES_ADMIN_URL"].replacingOccurrences(of: "/postgres", with: "/\(database)")
    }

    /// Where the built service executables are (`CHAT_BIN_DIR`, else `.build/debug`).
    static var binDirectory: URL {
        ProcessInfo.processInfo.environment["CHAT_BIN_DIR"].map { URL(filePath: $0) }
            ?? repositoryRoot.appending(path: ".build/debug")
    }

    static let logger = Logger(label: "integration-tests")

    /// A name unlikely to collide across test runs.
    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
