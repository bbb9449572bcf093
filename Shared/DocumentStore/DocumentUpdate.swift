/// An update built from field names chosen in code and typed values: `$set`, `$inc` and `$unset`.
///
/// Like ``DocumentFilter`` it never lets a value become an operator: values are encoded as BSON data.
///
/// ```swift
/// let update = try DocumentUpdate.set("title", newTitle).increment("version", by: 1)
/// ```
public struct DocumentUpdate: Sendable {
    private var sets = BSONDocument()
    private var increments = BSONDocument()
    private var unsets = BSONDocument()

    private init() {}

    private static func checked(_ field: String) -> String {
        precondition(!field.hasPrefix("$") && !field.isEmpty, "an update field name is chosen in code and never starts with $")
        return field
    }

    /// Sets `field` to `value`.
    public static func set(_ field: String, _ value: some Encodable) throws -> DocumentUpdate { try DocumentUpdate().set(field, value) }
    /// Adds `amount` to the number in `field` (a missing field counts as 0).
    public static func increment(_ field: String, by amount: Int64) -> DocumentUpdate { DocumentUpdate().increment(field, by: amount) }
    /// Removes `field`.
    public static func unset(_ field: String) -> DocumentUpdate { DocumentUpdate().unset(field) }

    /// This update, also setting `field` to `value`.
    public func set(_ field: String, _ value: some Encodable) throws -> DocumentUpdate {
        var copy = self
        copy.sets[Self.checked(field)] = try BSONEncoder().encodeValue(value)
        return copy
    }

    /// This update, also adding `amount` to `field`.
    public func increment(_ field: String, by amount: Int64) -> DocumentUpdate {
        var copy = self
        copy.increments[Self.checked(field)] = .int64(amount)
        return copy
    }

    /// This update, also removing `field`.
    public func unset(_ field: String) -> DocumentUpdate {
        var copy = self
        copy.unsets[Self.checked(field)] = .string("")
        return copy
    }

    /// The update as the server receives it: `{$set: {…}, $inc: {…}, $unset: {…}}` without empty parts.
    public var document: BSONDocument {
        var result = BSONDocument()
        if !sets.fields.isEmpty { result["$set"] = .document(sets) }
        if !increments.fields.isEmpty { result["$inc"] = .document(increments) }
        if !unsets.fields.isEmpty { result["$unset"] = .document(unsets) }
        return result
    }
}
