/// One row of a query result, with values in PostgreSQL's text format (`nil` for SQL NULL).
public struct PostgresRow: Sendable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, parallel to ``columns``.
    public let values: [String?]

    /// The raw text of column `name`, `nil` when the value is NULL or the column does not exist.
    public subscript(_ name: String) -> String? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return values[index]
    }

    /// Column `name` decoded as `T`; throws when it is missing, NULL or not a valid `T`.
    public func decode<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let text = self[name] else {
            throw PostgresError(kind: .decoding, message: "column \(name) is NULL or missing")
        }
        guard let value = T(text) else {
            throw PostgresError(kind: .decoding, message: "column \(name) value \(text) is not a \(T.self)")
        }
        return value
    }
}
