/// A request's header fields, names lower-cased, repeated fields joined with ", " (RFC 9110 §5.3).
///
/// A short array searched in order rather than a dictionary: requests carry a dozen fields or so, and hashing
/// every name on arrival cost more than the few lookups a handler makes.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    public init() {
        fields = []
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = []
        fields.reserveCapacity(elements.count)
        for (name, value) in elements { self[name] = value }
    }

    init(reservingCapacity capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    /// The field's value; `name` is matched without regard to case. Setting nil removes the field.
    public subscript(name: String) -> String? {
        get {
            let index = Self.isLowercase(name) ? indexOfLowercased(name) : indexOfLowercased(name.lowercased())
            return index.map { fields[$0].value }
        }
        set {
            let lowercased = Self.isLowercase(name) ? name : name.lowercased()
            let index = indexOfLowercased(lowercased)
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append((lowercased, value))
            case (nil, nil): break
            }
        }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    /// For the server's parser: `name` is already lower-cased; a repeated field joins the earlier value.
    mutating func appendReceived(lowercasedName name: String, value: String) {
        if let index = indexOfLowercased(name) {
            fields[index].value += ", " + value
        } else {
            fields.append((name, value))
        }
    }

    private func indexOfLowercased(_ name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }

    private static func isLowercase(_ name: String) -> Bool {
        ASCII.withBytes(name) { bytes in !bytes.contains { $0 >= 65 && $0 <= 90 } }
    }
}
