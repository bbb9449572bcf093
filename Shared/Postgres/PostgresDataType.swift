/// A PostgreSQL column type, by its type OID (`pg_type.oid`), as libpq reports it for each result column.
public struct PostgresDataType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = PostgresDataType(rawValue: 16)
    public static let bytea = PostgresDataType(rawValue: 17)
    public static let int8 = PostgresDataType(rawValue: 20)
    public static let int2 = PostgresDataType(rawValue: 21)
    public static let int4 = PostgresDataType(rawValue: 23)
    public static let text = PostgresDataType(rawValue: 25)
    public static let oid = PostgresDataType(rawValue: 26)
    public static let json = PostgresDataType(rawValue: 114)
    public static let float4 = PostgresDataType(rawValue: 700)
    public static let float8 = PostgresDataType(rawValue: 701)
    public static let bpchar = PostgresDataType(rawValue: 1042)
    public static let varchar = PostgresDataType(rawValue: 1043)
    public static let date = PostgresDataType(rawValue: 1082)
    public static let timestamp = PostgresDataType(rawValue: 1114)
    public static let timestamptz = PostgresDataType(rawValue: 1184)
    public static let numeric = PostgresDataType(rawValue: 1700)
    public static let uuid = PostgresDataType(rawValue: 2950)
    public static let jsonb = PostgresDataType(rawValue: 3802)

    private static let names: [PostgresDataType: String] = [
        .bool: "bool", .bytea: "bytea", .int8: "int8", .int2: "int2", .int4: "int4", .text: "text", .oid: "oid",
        .json: "json", .float4: "float4", .float8: "float8", .bpchar: "bpchar", .varchar: "varchar", .date: "date",
        .timestamp: "timestamp", .timestamptz: "timestamptz", .numeric: "numeric", .uuid: "uuid", .jsonb: "jsonb",
    ]

    /// The type's SQL name for the common types, else `oid <number>`.
    public var description: String { Self.names[self] ?? "oid \(rawValue)" }

    /// The integer types.
    var isInteger: Bool { self == .int2 || self == .int4 || self == .int8 || self == .oid }
    /// The types whose text form is any string.
    var isText: Bool { self == .text || self == .varchar || self == .bpchar }
    /// `json` and `jsonb`.
    var isJSON: Bool { self == .json || self == .jsonb }
}
