import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RedisCluster
import Testing

/// The cluster client over TLS, against the stack's TLS-only cluster (`redis-tls`: `CHAT_TEST_REDIS_TLS_NODES`, the CA
/// of its nodes' certificate in `CHAT_TEST_REDIS_TLS_CA_FILE`): topology discovery, routing to every master, a redirect
/// and a new connection after a failover, and sharded pub/sub, all over verified TLS; a certificate of another CA, or
/// one that does not name the node's address, fails at once with ``RedisError/Kind/tls``.
///
/// Serialized: one test fails a master over, which the others need not see.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RedisClusterTLSTests {
    static let seeds = TestStack["CHAT_TEST_REDIS_TLS_NODES"].split(separator: ",").compactMap { NodeAddress(String($0)) }
    static let caFile = TestStack["CHAT_TEST_REDIS_TLS_CA_FILE"]

    static func client(seeds: [NodeAddress] = seeds, caFile: String = caFile, commandTimeoutMilliseconds: Int = 1000) throws -> RedisClusterClient {
        RedisClusterClient(
            configuration: .init(
                seeds: seeds, commandTimeoutMilliseconds: commandTimeoutMilliseconds, retryDeadlineMilliseconds: 15_000,
                tls: try RedisClusterConfiguration.TLS(caFile: caFile)),
            logger: TestStack.logger)
    }

    @Test func keysOfEveryMasterRoundTripAndAFailoverRedirectIsFollowed() async throws {
        // One seed: every other node is learned from the topology, and reached over TLS.
        let client = try Self.client(seeds: [Self.seeds[0]])
        let nodes = try TLSNodes.current()
        let masters = nodes.filter(\.isMaster)
        #expect(masters.count == 3)
        var keys: [(key: String, master: TLSNodes.Node)] = []
        for master in masters {
            var key: String
            repeat { key = "tls:\(UUID().uuidString)" } while !master.slots.contains { $0.contains(Int(HashSlot(key: key).rawValue)) }
            keys.append((key, master))
        }
        for (key, master) in keys {
            #expect(try await client.set(key, "on \(master.port)", expiration: .seconds(60)))
        }
        for (key, master) in keys {
            #expect(try await client.get(key) == "on \(master.port)")
        }
        #expect(client.redirectsFollowed == 0)

        // A coordinated failover of the first key's shard: the old master now answers MOVED, which the client follows
        // to the promoted replica, a node it has no connection to yet.
        let (key, oldMaster) = keys[0]
        let replica = try #require(nodes.first { $0.masterId == oldMaster.id })
        // A manual failover needs the replica's link up (after an earlier run's failover it may still be syncing);
        // otherwise it is silently given up after 5 s.
        try await TLSNodes.waitUntil("\(replica.port) replicates \(oldMaster.port)") {
            let replicaSide = try TLSNodes.cli(replica.port, ["INFO", "replication"]).contains("master_link_status:up")
            let masterSide = try TLSNodes.cli(oldMaster.port, ["INFO", "replication"]).contains("port=\(replica.port),state=online")
            return replicaSide && masterSide
        }
        #expect(try TLSNodes.cli(replica.port, ["CLUSTER", "FAILOVER"]) == "OK")
        try await TLSNodes.waitUntil("\(replica.port) is a master and \(oldMaster.port) its replica") {
            let promoted = try TLSNodes.cli(replica.port, ["ROLE"]).hasPrefix("master")
            let demoted = try TLSNodes.cli(oldMaster.port, ["ROLE"]).hasPrefix("slave")
            return promoted && demoted
        }
        #expect(try await client.get(key) == "on \(oldMaster.port)")
        #expect(client.redirectsFollowed >= 1)
        #expect(try await client.set(key, "after the failover"))
        #expect(try await client.get(key) == "after the failover")
        await client.close()
    }

    @Test func aShardedSubscriptionReceivesOverTLS() async throws {
        let client = try Self.client()
        let channel = "tls:channel:\(UUID().uuidString)"
        let subscription = try await client.ssubscribe(channel)
        // Once ssubscribe returned, the server knows the subscriber (and the loop below cannot wait forever).
        try #require(try await client.spublish(channel, "sealed") == 1)
        var received: String?
        for await message in subscription {
            received = message.text
            break
        }
        #expect(received == "sealed")
        subscription.cancel()
        await client.close()
    }

    @Test func aNodeCertificateOfAnotherCAIsRefusedAtOnce() async throws {
        let other = try TestCertificates()
        defer { other.remove() }
        let client = try Self.client(caFile: other.caFile)
        let started = ContinuousClock.now
        await #expect { try await client.get("tls:any") } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .tls && error.message.contains("TLS handshake failed")
        }
        await #expect { try await client.ssubscribe("tls:any") } throws: { error in
            (error as? RedisError)?.kind == .tls
        }
        // Not retried until the retry deadline (15 s): a certificate does not become trusted by waiting.
        #expect(ContinuousClock.now - started < .seconds(3))
        await client.close()
    }

    /// NIOSSL checks the IP subject alternative names against the address connected to: a node certificate of the
    /// trusted CA made for another address is refused; one made for this address gets past the handshake (and then
    /// waits for a reply this server never sends).
    @Test func aCertificateNotNamingTheNodesAddressIsRefused() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try await TLSServer.start(certificate: certificates.leaf(for: "127.0.0.2"))
        let client = try Self.client(
            seeds: [NodeAddress(host: "127.0.0.1", port: server.port)], caFile: certificates.caFile, commandTimeoutMilliseconds: 500)
        await #expect { try await client.get("tls:any") } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .tls && error.message.contains("does not name the IP address 127.0.0.1")
        }
        await client.close()
        try await server.stop()

        let named = try await TLSServer.start(certificate: certificates.leaf(for: "127.0.0.1"))
        let control = try Self.client(
            seeds: [NodeAddress(host: "127.0.0.1", port: named.port)], caFile: certificates.caFile, commandTimeoutMilliseconds: 500)
        await #expect { try await control.get("tls:any") } throws: { error in
            (error as? RedisError)?.kind == .timeout
        }
        await control.close()
        try await named.stop()
    }
}

/// The TLS cluster's nodes as `redis-cli --tls` sees them.
enum TLSNodes {
    struct Node {
        let id: String
        let port: Int
        let isMaster: Bool
        let masterId: String?
        let slots: [ClosedRange<Int>]
    }

    /// Runs `redis-cli --tls --cacert <CA> -p port args…` and returns its output.
    static func cli(_ port: Int, _ arguments: [String]) throws -> String {
        try run("redis-cli", ["--tls", "--cacert", RedisClusterTLSTests.caFile, "-p", String(port)] + arguments)
    }

    static func current() throws -> [Node] {
        let text = try cli(RedisClusterTLSTests.seeds[0].port, ["CLUSTER", "NODES"])
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8, !fields[2].contains("fail"), let port = NodeAddress(String(fields[1].split(separator: "@")[0]))?.port
            else { return nil }
            let slots = fields.dropFirst(8).compactMap { field -> ClosedRange<Int>? in
                let bounds = field.split(separator: "-").compactMap { Int($0) }
                return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.count == 1 && !field.hasPrefix("[") ? bounds[0]...bounds[0] : nil
            }
            return Node(id: fields[0], port: port, isMaster: fields[2].contains("master"), masterId: fields[3] == "-" ? nil : fields[3], slots: slots)
        }
    }

    /// Polls `condition` every 50 ms for at most 10 s.
    static func waitUntil(_ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError(kind: .timeout, message: "not within 10 s: \(what)")
    }
}

/// Runs a program found on PATH and returns its output (standard output and error), trimmed; fails on a non-zero exit.
@discardableResult
private func run(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(filePath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw RedisError(kind: .server, message: "\(program) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(output)")
    }
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A CA of the test's own, made with openssl in a temporary directory, and node certificates it signs.
struct TestCertificates {
    let directory: URL
    var caFile: String { directory.appending(path: "ca.crt").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appending(path: "redis-tls-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=another Redis CA", "-keyout", directory.appending(path: "ca.key").path, "-out", caFile,
            ])
    }

    /// A certificate (and its key) signed by this CA whose only subject alternative name is the IP address `ip`.
    func leaf(for ip: String) throws -> (certificate: String, key: String) {
        let base = directory.appending(path: "node-\(ip)").path
        try run(
            "openssl",
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=redis node",
                "-keyout", "\(base).key", "-out", "\(base).csr",
            ])
        try "subjectAltName=IP:\(ip)\nextendedKeyUsage=serverAuth\n".write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
        try run(
            "openssl",
            [
                "x509", "-req", "-days", "1", "-in", "\(base).csr", "-CA", caFile, "-CAkey", directory.appending(path: "ca.key").path,
                "-set_serial", String(Int.random(in: 1..<Int(Int32.max))), "-extfile", "\(base).ext", "-out", "\(base).crt",
            ])
        return ("\(base).crt", "\(base).key")
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A TLS server on a free loopback port that completes handshakes with the given certificate and never answers.
struct TLSServer {
    let channel: Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(certificate: (certificate: String, key: String)) async throws -> TLSServer {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSServer(channel: channel)
    }

    func stop() async throws { try await channel.close() }
}
