import CMongoC
import Logging
import NIOPosix
import ServiceLifecycle

/// A pooled libmongoc client for DocumentDB (or any MongoDB wire-protocol server).
///
/// libmongoc's calls block, so each runs on this client's own thread pool, never on an event loop. The URI carries
/// DocumentDB's options (`tls=true&tlsCAFile=...&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false`).
public final class DocumentStoreClient: Service, @unchecked Sendable {
    /// The database named in the URI's path (`chat` when none is given).
    public let databaseName: String
    private let pool: OpaquePointer
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// Parses `uri` and prepares a pool of at most `poolSize` connections; nothing connects until first use.
    public init(uri: String, poolSize: Int = 10, logger: Logger) throws {
        Self.initializeDriver
        var error = bson_error_t()
        guard let parsed = mongoc_uri_new_with_error(uri, &error) else {
            throw DocumentStoreError(kind: .invalidURI, message: DocumentStoreError(error).message)
        }
        defer { mongoc_uri_destroy(parsed) }
        self.databaseName = mongoc_uri_get_database(parsed).map { String(cString: $0) } ?? "chat"
        guard let pool = mongoc_client_pool_new(parsed) else {
            throw DocumentStoreError(kind: .invalidURI, message: "libmongoc refused the URI")
        }
        mongoc_client_pool_set_error_api(pool, Int32(MONGOC_ERROR_API_VERSION_2))
        mongoc_client_pool_max_size(pool, UInt32(poolSize))
        self.pool = pool
        self.threadPool = NIOThreadPool(numberOfThreads: poolSize)
        self.threadPool.start()
        self.logger = logger
    }

    deinit { mongoc_client_pool_destroy(pool) }

    private static let initializeDriver: Void = mongoc_init()

    /// The linked libmongoc version, e.g. `1.23.1`.
    public static var libraryVersion: String { String(cString: mongoc_get_version()) }

    /// Runs the ``ServiceLifecycle/Service``: waits for graceful shutdown, then stops the worker threads.
    public func run() async throws {
        try? await gracefulShutdown()
        try await threadPool.shutdownGracefully()
    }

    /// Sends `ping` to the server and waits for its answer.
    public func ping() async throws {
        _ = try await runCommand(["ping": .int32(1)])
    }

    /// Runs a database command and returns the server's reply.
    public func runCommand(_ command: BSONDocument) async throws -> BSONDocument {
        let database = databaseName
        return try await withClient { client in
            try LibBSON.withBSON(command) { native in
                var error = bson_error_t()
                let (succeeded, reply) = LibBSON.withReply { reply in
                    mongoc_client_command_simple(client, database, native, nil, reply, &error)
                }
                guard succeeded else { throw DocumentStoreError(error) }
                return reply
            }
        }
    }

    /// Inserts one document into `collection`.
    public func insertOne(_ document: BSONDocument, into collection: String) async throws {
        try await withCollection(collection) { handle in
            try LibBSON.withBSON(document) { native in
                var error = bson_error_t()
                guard mongoc_collection_insert_one(handle, native, nil, nil, &error) else {
                    throw DocumentStoreError(error)
                }
            }
        }
    }

    /// Returns the documents of `collection` matching `filter`, in `sort` order, at most `limit` of them, with the
    /// fields of `projection` (`{field: 1, …}`) or all of them.
    ///
    /// `filter` is built by the caller from typed values (``DocumentFilter/document``): user input goes into values,
    /// never into keys, so it can never become a query operator.
    public func find(
        _ filter: BSONDocument, in collection: String, sort: BSONDocument? = nil, limit: Int? = nil,
        projection: BSONDocument? = nil
    ) async throws -> [BSONDocument] {
        var findOptions = BSONDocument()
        if let sort { findOptions["sort"] = .document(sort) }
        if let limit { findOptions["limit"] = .int64(Int64(limit)) }
        if let projection { findOptions["projection"] = .document(projection) }
        let options = findOptions
        return try await withCollection(collection) { handle in
            try LibBSON.withBSON(filter) { nativeFilter in
                try LibBSON.withBSON(options) { nativeOptions in
                    let cursor = mongoc_collection_find_with_opts(handle, nativeFilter, nativeOptions, nil)!
                    defer { mongoc_cursor_destroy(cursor) }
                    var results: [BSONDocument] = []
                    var current: OpaquePointer?
                    while mongoc_cursor_next(cursor, &current), let current {
                        results.append(LibBSON.document(from: current))
                    }
                    var error = bson_error_t()
                    if mongoc_cursor_error(cursor, &error) { throw DocumentStoreError(error) }
                    return results
                }
            }
        }
    }

    /// Runs `body` on a worker thread with a handle on `collection` of this client's database.
    func withCollection<T: Sendable>(
        _ name: String, _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        let database = databaseName
        return try await withClient { client in
            let collection = mongoc_client_get_collection(client, database, name)!
            defer { mongoc_collection_destroy(collection) }
            return try body(collection)
        }
    }

    /// Pops a client from the pool on a worker thread, runs `body` with it and pushes it back.
    private func withClient<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let pool = SendablePointer(pointer: self.pool)
        return try await threadPool.runIfActive {
            let client = mongoc_client_pool_pop(pool.pointer)!
            defer { mongoc_client_pool_push(pool.pointer, client) }
            return try body(client)
        }
    }
}

/// libmongoc's client pool is thread-safe; this wrapper lets its pointer cross into worker threads.
private struct SendablePointer: @unchecked Sendable { let pointer: OpaquePointer }
