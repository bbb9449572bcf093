import Foundation

/// CPU time and memory of named processes, read from `/proc` (user + system time from `stat`, resident memory from
/// `status`), to tell what each process of the product and its stand-ins spent during a step of the load.
struct WatchedProcesses: Sendable {
    /// A process to watch.
    struct Watched: Sendable {
        let name: String
        let pid: Int32
        /// Whether its children count too (PostgreSQL's backends are children of the postmaster).
        let withChildren: Bool
    }

    let processes: [Watched]

    /// Parses `name=pid,name=pid+` (`+`: with its children; a name given twice adds up); this program itself is
    /// always watched as `chat-load`.
    init(_ list: String) throws {
        var processes = [Watched(name: "chat-load", pid: getpid(), withChildren: false)]
        for entry in list.split(separator: ",") where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1)
            let withChildren = parts.last?.hasSuffix("+") == true
            guard parts.count == 2, let pid = Int32(withChildren ? parts[1].dropLast() : parts[1]) else {
                throw LoadError("--processes: expected name=pid or name=pid+, got \(entry)")
            }
            processes.append(Watched(name: String(parts[0]), pid: pid, withChildren: withChildren))
        }
        self.processes = processes
    }

    /// Seconds of CPU each process used so far (0 for a process that is gone).
    func sample() -> [String: Double] {
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let parents = processes.contains(where: \.withChildren) ? Self.parents() : [:]
        var seconds: [String: Double] = [:]
        for process in processes {
            var pids = [process.pid]
            if process.withChildren { pids += parents.filter { $0.value == process.pid }.map(\.key) }
            for pid in pids { seconds[process.name, default: 0] += Self.ticks(of: pid).map { Double($0) / ticksPerSecond } ?? 0 }
        }
        return seconds
    }

    /// Resident memory of each process, in kilobytes (`VmRSS`; children not included).
    func residentKilobytes() -> [String: Int] {
        var kilobytes: [String: Int] = [:]
        for process in processes {
            let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            kilobytes[process.name, default: 0] += line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        }
        return kilobytes
    }

    /// Every process's parent.
    private static func parents() -> [Int32: Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let fields = statFields(of: pid), fields.count > 1, let parent = Int32(fields[1]) else { continue }
            parents[pid] = parent
        }
        return parents
    }

    /// utime + stime of `pid`, in clock ticks: fields 14 and 15 of the stat line, counted after the command name's
    /// closing parenthesis (the name may hold spaces).
    private static func ticks(of pid: Int32) -> Int? {
        // fields[0] is the state (field 3); utime is field 14, stime field 15.
        guard let fields = statFields(of: pid), fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// The fields of `/proc/<pid>/stat` from the third (the state) on.
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = line.lastIndex(of: ")")
        else { return nil }
        return line[line.index(after: close)...].split(separator: " ")
    }
}
