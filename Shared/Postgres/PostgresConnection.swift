import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Every method blocks: call them only from ``PostgresClient``'s thread pool.
final class PostgresConnection {
    private let handle: OpaquePointer

    /// Opens a connection, blocking until it is established or fails.
    init(configuration: PostgresConfiguration) throws {
        let keywords = ["dbname", "connect_timeout", "application_name"]
        let values = [configuration.url, String(configuration.connectTimeoutSeconds), "chat-backend"]
        // expand_dbname=1 lets `dbname` carry the whole URI; the other keywords then fill what it leaves unset.
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "out of memory creating a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.errorMessage(connection)
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        self.handle = connection
        // Session settings every query relies on: dates in ISO format and UTC (see `Date: PostgresDecodable`), and
        // the configured statement timeout (0 disables it).
        try execute(
            "SELECT set_config('statement_timeout', $1, false), set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO', false)",
            [String(configuration.statementTimeoutMilliseconds)])
    }

    private var closed = false

    /// Ends the session (PQfinish: a message to the server and closing the socket); later calls do nothing. The
    /// client calls it on its thread pool; `deinit` only catches a connection nobody closed.
    func close() {
        guard !closed else { return }
        closed = true
        PQfinish(handle)
    }

    deinit { close() }

    /// Whether libpq still considers the connection usable.
    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether an idle connection is still open: a server that restarted or closed the session leaves the socket
    /// readable (its goodbye message, then EOF), which libpq only notices once it reads and parses. The product never
    /// uses LISTEN, so an idle connection with anything to read is treated as closing and replaced.
    func isAliveWhileIdle() -> Bool {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 { return false }
        return isHealthy
    }

    /// Runs one parameterised statement (`$1`, `$2`, …) and returns its rows.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?]) throws -> [PostgresRow] {
        let result = withOptionalCStringArray(parameters) { parameterPointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, parameterPointers, nil, nil, 0)
        }
        guard let result else {
            throw PostgresError(kind: isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        default:
            throw failure(of: result)
        }
    }

    /// Runs a trusted SQL script that may hold several statements (migrations); it takes no parameters.
    func executeScript(_ sql: String) throws {
        guard let result = PQexec(handle, sql) else {
            throw PostgresError(kind: isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw failure(of: result)
        }
    }

    /// The typed error of a failed result; any failure that left the connection broken is a lost connection.
    private func failure(of result: OpaquePointer) -> PostgresError {
        let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = (PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error").trimmed
        if !isHealthy { return PostgresError(kind: .connectionLost, sqlState: sqlState, message: message) }
        return PostgresError(sqlState: sqlState, message: message)
    }

    private static func rows(of result: OpaquePointer) -> [PostgresRow] {
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { PostgresDataType(rawValue: PQftype(result, $0)) }
        return (0..<PQntuples(result)).map { row in
            let values: [String?] = (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
            return PostgresRow(columns: columns, values: values, types: types)
        }
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        PQerrorMessage(connection).map { String(cString: $0) }?.trimmed ?? "unknown error"
    }

    /// The libpq version, e.g. `150020` for 15.20.
    static var libraryVersion: Int { Int(PQlibVersion()) }
}

extension String {
    fileprivate var trimmed: String {
        var text = self
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

/// Calls `body` with a NULL-terminated C array of the UTF-8 copies of `strings`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStringArray(strings) { body($0!) }
}

/// Calls `body` with a C array of `strings`, where `nil` elements become NULL pointers (SQL NULL parameters).
private func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
