/// Array parameters: PostgreSQL's text form of an array, bound like any parameter (`$1::text[]`, `$1::bigint[]`,
/// `unnest($1::text[])`), so a list never has to be spliced into SQL.
public enum PostgresArray {
    /// The array literal of `values`, every element quoted and escaped (`{"a","b\"c"}`).
    public static func literal<Values: Sequence>(_ values: Values) -> String where Values.Element: CustomStringConvertible {
        var text = "{"
        var first = true
        for value in values {
            if !first { text += "," }
            first = false
            text += "\""
            for character in value.description {
                if character == "\\" || character == "\"" { text += "\\" }
                text.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}
