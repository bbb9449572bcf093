import Foundation

/// One row of a query result, with values in PostgreSQL's text format (`nil` for SQL NULL) and the type of each
/// column.
public struct PostgresRow: Sendable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, parallel to ``columns``.
    public let values: [String?]
    /// Column types, parallel to ``columns``.
    public let types: [PostgresDataType]

    public init(columns: [String], values: [String?], types: [PostgresDataType]) {
        precondition(columns.count == values.count && columns.count == types.count, "one value and one type per column")
        self.columns = columns
        self.values = values
        self.types = types
    }

    /// The raw text of column `name`, `nil` when the value is NULL or the column does not exist.
    public subscript(_ name: String) -> String? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return values[index]
    }

    /// Column `name` decoded as `T`; throws a ``PostgresError/Kind/decoding`` error when the column is missing,
    /// NULL, or of a type or value that is not a `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let (text, columnType) = try column(name)
        guard let text else {
            throw PostgresError(kind: .decoding, message: "column \(name) is NULL; decode it as \(T.self)? to accept NULL")
        }
        return try decode(text, columnType, name)
    }

    /// Column `name` decoded as `T`, or `nil` when it is NULL; throws when the column is missing or not a `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T?.Type = T?.self) throws -> T? {
        let (text, columnType) = try column(name)
        return try text.map { try decode($0, columnType, name) }
    }

    /// JSON column `name` (json or jsonb) decoded as `T` with `decoder`.
    public func decodeJSON<T: Decodable>(_ name: String, as type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        let data = try decode(name, as: Data.self)
        guard types[columns.firstIndex(of: name)!].isJSON else {
            throw PostgresError(kind: .decoding, message: "column \(name) is not json or jsonb")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw PostgresError(kind: .decoding, message: "column \(name) does not hold a JSON \(T.self): \(error)")
        }
    }

    private func column(_ name: String) throws -> (text: String?, type: PostgresDataType) {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(kind: .decoding, message: "no column \(name) in the result (columns: \(columns.joined(separator: ", ")))")
        }
        return (values[index], types[index])
    }

    private func decode<T: PostgresDecodable>(_ text: String, _ columnType: PostgresDataType, _ name: String) throws -> T {
        guard let value = T.decode(postgresText: text, type: columnType) else {
            let shown = text.count > 64 ? text.prefix(64) + "…" : Substring(text)
            throw PostgresError(kind: .decoding, message: "column \(name) of type \(columnType) holding '\(shown)' is not a \(T.self)")
        }
        return value
    }
}
