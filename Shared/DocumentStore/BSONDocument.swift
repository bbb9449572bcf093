/// An ordered BSON document. Field order is kept, which matters for sort and index specifications.
public struct BSONDocument: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The fields, in order.
    public private(set) var fields: [(key: String, value: BSONValue)]

    public init(_ fields: [(key: String, value: BSONValue)] = []) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.fields = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The value of the first field named `key`; setting replaces it in place or appends it.
    public subscript(_ key: String) -> BSONValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append((key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
