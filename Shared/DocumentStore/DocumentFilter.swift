/// A query filter built from field names chosen in code and typed values.
///
/// This is the only way the collection API accepts a filter, which is what keeps user input from ever becoming a
/// query operator: field names come from the program (a name starting with `$` is rejected), and every value is
/// encoded as BSON data under an explicit operator. Equality is written `{field: {$eq: value}}`, so even a document
/// value supplied by a user is compared literally instead of being read as `{$gt: …}`-style operators.
///
/// ```swift
/// let page: DocumentFilter = .equal("conversationId", conversation) && .greaterThan("seq", lastSeq)
/// ```
public struct DocumentFilter: Sendable {
    /// The conditions, in order; several on one field are merged into one operator document.
    private var conditions: [(field: String, operator: String, value: BSONValue)]

    private init(_ conditions: [(field: String, operator: String, value: BSONValue)]) { self.conditions = conditions }

    private static func condition(_ field: String, _ operator: String, _ value: some Encodable) throws -> DocumentFilter {
        precondition(!field.hasPrefix("$") && !field.isEmpty, "a filter field name is chosen in code and never starts with $")
        return DocumentFilter([(field: field, operator: `operator`, value: try BSONEncoder().encodeValue(value))])
    }

    /// A condition on a value already in BSON form (the last range value of a ``DocumentCursor``).
    static func raw(_ field: String, _ operator: String, _ value: BSONValue) -> DocumentFilter {
        DocumentFilter([(field: field, operator: `operator`, value: value)])
    }

    /// Matches every document.
    public static let all = DocumentFilter([])

    /// `field` equals `value`.
    public static func equal(_ field: String, _ value: some Encodable) throws -> DocumentFilter { try condition(field, "$eq", value) }
    /// `field` differs from `value` (or is missing).
    public static func notEqual(_ field: String, _ value: some Encodable) throws -> DocumentFilter { try condition(field, "$ne", value) }
    /// `field` is greater than `value`.
    public static func greaterThan(_ field: String, _ value: some Encodable) throws -> DocumentFilter { try condition(field, "$gt", value) }
    /// `field` is greater than or equal to `value`.
    public static func greaterThanOrEqual(_ field: String, _ value: some Encodable) throws -> DocumentFilter {
        try condition(field, "$gte", value)
    }
    /// `field` is less than `value`.
    public static func lessThan(_ field: String, _ value: some Encodable) throws -> DocumentFilter { try condition(field, "$lt", value) }
    /// `field` is less than or equal to `value`.
    public static func lessThanOrEqual(_ field: String, _ value: some Encodable) throws -> DocumentFilter {
        try condition(field, "$lte", value)
    }
    /// `field` equals one of `values`.
    public static func isIn<Value: Encodable>(_ field: String, _ values: [Value]) throws -> DocumentFilter {
        try condition(field, "$in", values)
    }
    /// `field` is present (`true`) or absent (`false`).
    public static func exists(_ field: String, _ present: Bool = true) throws -> DocumentFilter { try condition(field, "$exists", present) }

    /// Both filters must match.
    public static func && (lhs: DocumentFilter, rhs: DocumentFilter) -> DocumentFilter {
        DocumentFilter(lhs.conditions + rhs.conditions)
    }

    /// The filter as the server receives it: `{field: {$op: value, …}, …}`.
    public var document: BSONDocument {
        var result = BSONDocument()
        for condition in conditions {
            var operators: BSONDocument
            if case .document(let existing)? = result[condition.field] { operators = existing } else { operators = BSONDocument() }
            if operators[condition.operator] != nil {
                // The same operator twice on one field: keep both through $and instead of overwriting one.
                var clauses: [BSONValue] = []
                if case .array(let existing)? = result["$and"] { clauses = existing }
                clauses.append(.document([condition.field: .document([condition.operator: condition.value])]))
                result["$and"] = .array(clauses)
                continue
            }
            operators[condition.operator] = condition.value
            result[condition.field] = .document(operators)
        }
        return result
    }
}
