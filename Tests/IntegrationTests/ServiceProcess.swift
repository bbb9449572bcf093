import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// One of the product's executables running as a child process on a test port.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let logFile: URL
    private let process = Process()
    private let exited = AsyncStream<Int32>.makeStream()

    /// Starts `name` with the stack's environment, `CHAT_HTTP_PORT=port` and `environment` on top.
    init(_ name: String, port: Int, environment: [String: String] = [:]) throws {
        self.name = name
        self.port = port
        self.logFile = FileManager.default.temporaryDirectory.appending(path: "\(TestStack.unique(name)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = TestStack.binDirectory.appending(path: name)
        process.environment = ProcessInfo.processInfo.environment
            .merging(TestStack.environment) { _, stack in stack }
            .merging(["CHAT_HTTP_PORT": String(port), "CHAT_LOG_LEVEL": "info", "CHAT_ADMIN_PORT": String(Self.adminPort(of: port))]) { _, own in own
            }
            .merging(environment) { _, own in own }
        let output = try FileHandle(forWritingTo: logFile)
        process.standardOutput = output
        process.standardError = output
        let continuation = exited.continuation
        process.terminationHandler = {
            continuation.yield($0.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    /// The gateway's internal listener (`/metrics`, detailed `/ready`) of a process on `port`: 1000 above it.
    static func adminPort(of port: Int) -> Int { port + 1000 }

    /// A test that fails midway must not leave the process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `GET path` on this service (on its internal listener when `admin`): status and body text.
    func get(_ path: String, admin: Bool = false) async throws -> (status: Int, body: String) {
        let target = admin ? Self.adminPort(of: port) : port
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(target)\(path)"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// Polls `GET path` until it answers `status`, failing after `timeout`; returns the last body.
    @discardableResult
    func waitFor(_ path: String, status: Int, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let answer = try? await get(path) {
                if answer.status == status { return answer.body }
                last = "\(answer.status) \(answer.body)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WaitFailure(description: "\(name) \(path) never answered \(status); last: \(last); log:\n\(log)")
    }

    /// Kills the process outright (SIGKILL), like a crash, and waits until it is gone (its port is free again).
    func crash() {
        crashed.withLock { $0 = true }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Whether a test crashed the process on purpose (its exit status then means nothing).
    var wasCrashed: Bool { crashed.withLock { $0 } }
    private let crashed = Mutex(false)
    /// Whether ``terminate(timeout:)`` already waited for the exit (the exit status can be awaited only once).
    private let exitedBefore = Mutex(false)

    /// Sends SIGTERM and waits (at most `timeout`) for the exit status.
    func terminate(timeout: Duration = .seconds(15)) async throws -> Int32 {
        // Stopped already (by a test): its status, once.
        if !process.isRunning, exitedBefore.withLock({ $0 }) { return process.terminationStatus }
        exitedBefore.withLock { $0 = true }
        if process.isRunning { process.terminate() }
        return try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { [exited] in await exited.stream.first { _ in true } ?? -1 }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let status = first else {
                kill(process.processIdentifier, SIGKILL)
                throw WaitFailure(description: "\(name) did not stop within \(timeout) of SIGTERM; log:\n\(log)")
            }
            return status
        }
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    struct WaitFailure: Error, CustomStringConvertible { let description: String }
}

/// Runs an executable to completion and returns its exit status and standard output.
func runToCompletion(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    // Standard error is the log's: a C library may warn there (libmongoc does when its shared-memory counters
    // cannot be created) without changing what the command printed.
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
