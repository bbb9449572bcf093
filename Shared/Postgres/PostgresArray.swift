/// Array parameters: PostgreSQL's text form of an array, bound like any parameter (`$1::text[]`, `$1::bigint[]`,
/// `unnest($1::text[])`), so a list never has to be spliced into SQL.
public enum PostgresArray {
    /// The array literal of `values`, every element quoted and escaped (`{"a","b\"c"}`).
    public static func literal<Values: Sequence>(_ values: Values) -> String where Values.Element: CustomStringConvertible {
        // Byte by byte: `\` and `"` are ASCII, so escaping them in UTF-8 never touches a multi-byte character, and no
        // grapheme breaking is needed.
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for value in values {
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.description.utf8 {
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
