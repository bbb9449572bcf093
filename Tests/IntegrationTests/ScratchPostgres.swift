import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of one test's own, run by `scripts/stack/postgres-scratch.sh`, for tests that restart or stop
/// their server: the stack's server is shared by every suite running in parallel.
struct ScratchPostgres {
    let directory: String
    let port: Int

    /// A libpq URL of the server's `postgres` database (trusted on loopback).
    var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }

    /// Initialises and starts a server in a fresh directory under `.local/scratch`, on a free port.
    static func start() throws -> ScratchPostgres {
        let server = ScratchPostgres(
            directory: TestStack.repositoryRoot.appending(path: ".local/scratch/\(TestStack.unique("postgres"))").path,
            port: try freePort())
        try server.script("start", server.directory, String(server.port))
        return server
    }

    /// Fast restart: every session is terminated; returns once the server accepts connections again.
    func restart() throws { try script("restart", directory) }

    /// Stops the server and removes its directory.
    func stop() throws { try script("stop", directory) }

    private func script(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = TestStack.repositoryRoot.appending(path: "scripts/stack/postgres-scratch.sh")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ScratchPostgresError(message: "postgres-scratch.sh \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    /// A loopback TCP port nothing listens on right now (the kernel's choice for an ephemeral bind).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ScratchPostgresError(message: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ScratchPostgresError(message: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ScratchPostgresError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
