import Foundation

/// JSON for responses without Foundation's JSONEncoder, which was a quarter of a one-row JSON GET.
///
/// Produces byte for byte what `Response.json`'s configured JSONEncoder (`sortedKeys`,
/// `withoutEscapingSlashes`) produces, for the values API responses are made of: strings, integers,
/// booleans, nulls, arrays, objects and dictionaries keyed by strings or integers. A value holding anything
/// else — floating point, dates, data, URLs, decimals — makes `encode` throw `Unsupported`, and the caller
/// uses JSONEncoder instead, so no value is ever written differently. A test compares both on many shapes.
enum FastJSON {
    struct Unsupported: Error {}

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = TreeEncoder(codingPath: [])
        try encodeValue(value, into: encoder)
        var output: [UInt8] = []
        output.reserveCapacity(256)
        // JSONEncoder refuses a top-level value that encodes nothing; let it say so.
        guard let root = encoder.result else { throw Unsupported() }
        try write(root, to: &output)
        return Data(output)
    }

    // MARK: The tree

    indirect enum Node {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array(ArrayBox)
        case object(ObjectBox)
        /// Where `superEncoder` was asked for: the fast path gives up when it meets one.
        case unsupported
    }

    final class ArrayBox {
        var items: [Node] = []
    }

    final class ObjectBox {
        var entries: [String: Node] = [:]
    }

    /// The values we write directly; every other Encodable encodes itself through the containers below.
    static func encodeValue<T: Encodable>(_ value: T, into encoder: TreeEncoder) throws {
        if let node = try primitive(value) {
            encoder.result = node
        } else {
            try value.encode(to: encoder)
        }
    }

    static func primitive<T: Encodable>(_ value: T) throws -> Node? {
        switch value {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .number(String(int))
        case let int as Int64: return .number(String(int))
        case let int as Int32: return .number(String(int))
        case let int as Int16: return .number(String(int))
        case let int as Int8: return .number(String(int))
        case let int as UInt: return .number(String(int))
        case let int as UInt64: return .number(String(int))
        case let int as UInt32: return .number(String(int))
        case let int as UInt16: return .number(String(int))
        case let int as UInt8: return .number(String(int))
        case is Double, is Float, is Date, is Data, is URL, is Decimal: throw Unsupported()
        default: return nil
        }
    }

    // MARK: Writing

    static func write(_ node: Node, to output: inout [UInt8]) throws {
        switch node {
        case .unsupported: throw Unsupported()
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let digits): output.append(contentsOf: digits.utf8)
        case .string(let string): writeString(string, to: &output)
        case .array(let box):
            output.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let box):
            output.append(UInt8(ascii: "{"))
            // JSONEncoder's `sortedKeys` order on Linux: the keys' UTF-8 bytes, compared lexicographically.
            let keys = box.entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                try write(box.entries[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): output.append(contentsOf: [92, 92])
            case 0x08: output.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// Builds the tree. Reference semantics: containers handed out keep writing into their encoder's node.
final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    var result: FastJSON.Node?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: FastJSON.ObjectBox
        if case .object(let existing) = result {
            box = existing
        } else {
            box = FastJSON.ObjectBox()
            result = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: FastJSON.ArrayBox
        if case .array(let existing) = result {
            box = existing
        } else {
            box = FastJSON.ArrayBox()
            result = .array(box)
        }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }

    static func node<T: Encodable>(for value: T, at codingPath: [any CodingKey]) throws -> FastJSON.Node {
        let encoder = TreeEncoder(codingPath: codingPath)
        try FastJSON.encodeValue(value, into: encoder)
        // A value that encoded nothing is `{}` in JSONEncoder too.
        return encoder.result ?? .object(FastJSON.ObjectBox())
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: FastJSON.ObjectBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.entries[key.stringValue] = .null }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.entries[key.stringValue] = try TreeEncoder.node(for: value, at: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = FastJSON.ObjectBox()
        box.entries[key.stringValue] = .object(nested)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = FastJSON.ArrayBox()
        box.entries[key.stringValue] = .array(nested)
        return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        box.entries["super"] = .unsupported
        return UnsupportedEncoder(codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        box.entries[key.stringValue] = .unsupported
        return UnsupportedEncoder(codingPath: codingPath)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: FastJSON.ArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try TreeEncoder.node(for: value, at: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = FastJSON.ObjectBox()
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = FastJSON.ArrayBox()
        box.items.append(.array(nested))
        return UnkeyedContainer(box: nested, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        box.items.append(.unsupported)
        return UnsupportedEncoder(codingPath: codingPath)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.result = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.result = try TreeEncoder.node(for: value, at: codingPath)
    }
}

/// `superEncoder` is for class hierarchies, which no response uses; anything written through it fails the
/// fast path, and JSONEncoder takes over.
private final class UnsupportedEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(FailingKeyed<Key>(codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { FailingUnkeyed(codingPath: codingPath) }
    func singleValueContainer() -> any SingleValueEncodingContainer { FailingSingle(codingPath: codingPath) }
}

private struct FailingKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let codingPath: [any CodingKey]
    mutating func encodeNil(forKey key: Key) throws { throw FastJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw FastJSON.Unsupported() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    { KeyedEncodingContainer(FailingKeyed<NestedKey>(codingPath: codingPath)) }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        FailingUnkeyed(codingPath: codingPath)
    }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct FailingUnkeyed: UnkeyedEncodingContainer {
    let codingPath: [any CodingKey]
    var count: Int { 0 }
    mutating func encodeNil() throws { throw FastJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw FastJSON.Unsupported() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    { KeyedEncodingContainer(FailingKeyed<NestedKey>(codingPath: codingPath)) }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { FailingUnkeyed(codingPath: codingPath) }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct FailingSingle: SingleValueEncodingContainer {
    let codingPath: [any CodingKey]
    mutating func encodeNil() throws { throw FastJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw FastJSON.Unsupported() }
}
