import Foundation
import Synchronization

/// A child process started with `posix_spawn` and reaped by `waitpid` on a thread of its own.
///
/// Not Foundation's `Process`: on Linux it hands every child one end of a socket pair and takes the child for running
/// until that socket closes, so a server that a script starts (and that inherits the socket) keeps the script
/// "running" for good, and a product process started after another inherits the other's socket, which hides the
/// other's death. Here the child closes every inherited descriptor above 2 before it runs the executable.
final class Child: Sendable {
    let pid: pid_t
    private let status = Mutex<Int32?>(nil)
    private let waiters = Mutex<[CheckedContinuation<Int32, Never>]>([])

    /// Starts `executable` with `arguments` and exactly `environment`; standard input is /dev/null, standard output and
    /// error are appended to `output`. The child leads a process group of its own, so a Ctrl-C meant for the suite does
    /// not reach it (the suite ends its children itself).
    init(executable: String, arguments: [String], environment: [String: String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        // bash closes what it inherited above standard error, then becomes the executable (same PID).
        let closeInherited =
            #"for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null; fi; done; exec "$@""#
        let argv = ["/bin/bash", "-c", closeInherited, "fault-suite-child", executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnvp = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArgv { free(pointer) }
            for pointer in cEnvp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &cArgv, &cEnvp)
        guard result == 0 else { throw SuiteError("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(self.pid, &raw, 0) == -1 && errno == EINTR {}
            // Exit status, or 128 + the signal that ended it.
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            let waiting = status.withLock { status in
                status = code
                return waiters.withLock { waiters in
                    defer { waiters = [] }
                    return waiters
                }
            }
            for waiter in waiting { waiter.resume(returning: code) }
        }
    }

    var isRunning: Bool { status.withLock { $0 == nil } }

    /// Waits for the exit; its status (128 + signal for a signal).
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done: Int32? = status.withLock { status in
                if let status { return status }
                waiters.withLock { $0.append(continuation) }
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Waits at most `timeout` for the exit; whether it happened.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return !isRunning
    }

    func signal(_ number: Int32) { if isRunning { kill(pid, number) } }
}

/// Runs a command to completion: exit status and output (standard output and error together, through a temporary
/// file: a server the command starts may keep its output open for good).
func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    let outputFile = FileManager.default.temporaryDirectory.appending(path: "fault-suite-\(UUID().uuidString).out")
    defer { try? FileManager.default.removeItem(at: outputFile) }
    let child = try Child(
        executable: executable, arguments: arguments,
        environment: ProcessInfo.processInfo.environment.merging(extra) { _, own in own }, output: outputFile.path)
    let status = await child.exitStatus()
    return (status, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
}
