import Foundation

/// A parsed JSON value, for request bodies on hot paths: Foundation's JSONDecoder spends a microsecond or two
/// per small body in Codable's generic containers.
///
/// Objects keep their members in order as an array: bodies are small, and a linear search is cheaper than
/// hashing every key. Strings and keys compare by their exact UTF-8 bytes (RFC 8259 §8.3), not by Swift's
/// canonical equivalence, under which a key "\u212A" (KELVIN SIGN) would equal "K".
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number with no fraction and no exponent that fits `Int64`.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return sameText(a, b)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { sameText($0.key, $1.key) && $0.value == $1.value }
        default: return false
        }
    }
}

public enum JSONParseError: Error, Equatable {
    case malformed
    /// Objects and arrays nest deeper than the caller allowed.
    case tooDeep
}

@inline(__always) private func sameText(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    // On the contiguous bytes: through the UTF8View's iterator this was 6,600 instructions of reading one
    // payment's body (callgrind).
    let contiguous = a.utf8.withContiguousStorageIfAvailable { first in
        b.utf8.withContiguousStorageIfAvailable { second in first.elementsEqual(second) }
    }
    return (contiguous ?? nil) ?? a.utf8.elementsEqual(b.utf8)
}

extension JSONValue {
    /// Parses exactly one JSON text (RFC 8259) from UTF-8 bytes. Stricter than JSONSerialization: a duplicate
    /// key in one object is malformed, since parsers disagree on which one wins, and so is a trailing comma.
    ///
    /// The parser keeps its own stack instead of recursing, but freeing, comparing or walking the result recurses
    /// once per level: `maximumDepth` is what keeps those within the thread's stack, so keep it small.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int = 64) throws(JSONParseError)
        -> JSONValue
    {
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        return try parser.parseText(maximumDepth: maximumDepth)
    }

    public static func parse(_ data: Data, maximumDepth: Int = 64) throws -> JSONValue {
        try data.withUnsafeBytes { bytes in try parse(bytes, maximumDepth: maximumDepth) }
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Reused for every string with escapes, so decoding them allocates only the resulting String.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseText(maximumDepth: Int) throws(JSONParseError) -> JSONValue {
        // Finished items of every open container, innermost last; object keys run parallel to their values.
        var values: [JSONValue] = []
        var keys: [String] = []
        var open: [(isObject: Bool, firstValue: Int, firstKey: Int)] = []
        values.reserveCapacity(16)
        keys.reserveCapacity(16)
        open.reserveCapacity(8)
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw .malformed }
            var value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let isObject = bytes[index] == UInt8(ascii: "{")
                guard open.count < maximumDepth else { throw .tooDeep }
                index += 1
                skipWhitespace()
                if consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    value = isObject ? .object([]) : .array([])
                } else {
                    open.append((isObject, values.count, keys.count))
                    if isObject { keys.append(try parseKey()) }
                    continue
                }
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"): value = try literal("true", .bool(true))
            case UInt8(ascii: "f"): value = try literal("false", .bool(false))
            case UInt8(ascii: "n"): value = try literal("null", .null)
            default: value = try parseNumber()
            }
            // The value completes an item of the innermost container, and perhaps closes that and its parents.
            while true {
                guard let container = open.last else {
                    skipWhitespace()
                    guard index == bytes.count else { throw .malformed }
                    return value
                }
                values.append(value)
                skipWhitespace()
                if consume(UInt8(ascii: ",")) {
                    if container.isObject { keys.append(try parseKey()) }
                    break
                }
                guard consume(container.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw .malformed }
                open.removeLast()
                if container.isObject {
                    // By index, not by slices: a live slice would make the removals below copy the stacks.
                    guard !hasDuplicates(keys, from: container.firstKey) else { throw .malformed }
                    var members: [(key: String, value: JSONValue)] = []
                    members.reserveCapacity(keys.count - container.firstKey)
                    for offset in 0..<(keys.count - container.firstKey) {
                        members.append((keys[container.firstKey + offset], values[container.firstValue + offset]))
                    }
                    value = .object(members)
                    keys.removeSubrange(container.firstKey...)
                } else {
                    value = .array(Array(values[container.firstValue...]))
                }
                values.removeSubrange(container.firstValue...)
            }
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func literal(_ text: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count,
            expected.elementsEqual(UnsafeBufferPointer(rebasing: bytes[index..<index + expected.count]))
        else { throw .malformed }
        index += expected.count
        return value
    }

    /// A member's key and the colon after it.
    mutating func parseKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .malformed }
        let key = try parseString()
        skipWhitespace()
        guard consume(UInt8(ascii: ":")) else { throw .malformed }
        return key
    }

    /// Pairwise for the small objects of real bodies; hashed for large ones, which only an attacker sends.
    func hasDuplicates(_ keys: [String], from first: Int) -> Bool {
        if keys.count - first <= 16 {
            for i in first..<keys.count {
                for j in (i + 1)..<keys.count where sameText(keys[i], keys[j]) { return true }
            }
            return false
        }
        var seen = Set<ExactKey>(minimumCapacity: keys.count - first)
        return !(first..<keys.count).allSatisfy { seen.insert(ExactKey(text: keys[$0])).inserted }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // the opening quote
        let start = index
        var allBits: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                // ASCII is valid UTF-8 as it stands: no need to compare the decoded bytes.
                return allBits < 0x80 ? String(decoding: utf8, as: UTF8.self) : try validated(utf8)
            case UInt8(ascii: "\\"):
                return try parseEscapedString(from: start)
            case 0..<0x20: throw .malformed
            default:
                allBits |= byte
                index += 1
            }
        }
        throw .malformed
    }

    /// The rest of a string once the first escape shows up, with the bytes before it already scanned.
    mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try scratch.withUnsafeBufferPointer { (utf8) throws(JSONParseError) in try validated(utf8) }
            case 0..<0x20: throw .malformed
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw .malformed }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    // A lone low surrogate, like any surrogate left over, fails `Unicode.Scalar.init` below.
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else { throw .malformed }
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw .malformed }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw .malformed }
                    UTF8.encode(scalar) { scratch.append($0) }
                default: throw .malformed
                }
            default: scratch.append(byte)
            }
        }
        throw .malformed
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .malformed }
        var code: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed
            }
            code = code << 4 | UInt32(digit)
        }
        index += 4
        return code
    }

    /// Validation is the standard library's, which refuses overlongs, encoded surrogates, scalars past U+10FFFF
    /// and truncated sequences: `String(decoding:)` replaces each of those with U+FFFD, so its bytes equal the
    /// input exactly when the input was valid. That is twice as fast as `String(validating:)`, which runs
    /// generic code, and needs no macOS 15.
    func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        var text = String(decoding: utf8, as: UTF8.self)
        let unchanged = text.withUTF8 { decoded in
            decoded.count == utf8.count
                && (utf8.isEmpty || memcmp(decoded.baseAddress!, utf8.baseAddress!, utf8.count) == 0)
        }
        guard unchanged else { throw .malformed }
        return text
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        let negative = consume(UInt8(ascii: "-"))
        let digitsStart = index
        guard index < bytes.count, isDigit(bytes[index]) else { throw .malformed }
        if !consume(UInt8(ascii: "0")) { _ = skipDigits() }
        let integerEnd = index
        if consume(UInt8(ascii: ".")) {
            guard skipDigits() else { throw .malformed }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            _ = consume(UInt8(ascii: "+")) || consume(UInt8(ascii: "-"))
            guard skipDigits() else { throw .malformed }
        }
        if index == integerEnd, let integer = int64(digitsStart..<integerEnd, negative: negative) {
            return .integer(integer)
        }
        // Swift's Double parser, unlike strtod, ignores the C locale's decimal separator.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw .malformed }
        return .number(number)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether there was at least one digit.
    mutating func skipDigits() -> Bool {
        let start = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        return index > start
    }

    /// Accumulated as a negative number, whose range reaches Int64.min; nil when it does not fit.
    func int64(_ digits: Range<Int>, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for byte in bytes[digits] {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, underflow) = shifted.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow, !underflow else { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}

/// A key hashed and compared by its exact UTF-8 bytes, like `sameText`.
private struct ExactKey: Hashable {
    let text: String
    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { sameText(lhs.text, rhs.text) }
    func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

/// Typed access to one JSON object's members, for `JSONReadable` types. Its errors match `decodeJSON`'s, and
/// never quote a submitted value.
public struct JSONObjectReader: Sendable {
    public let members: [(key: String, value: JSONValue)]
    /// The keys leading to this object from the body, for error messages about nested members.
    public let path: [String]

    public init(members: [(key: String, value: JSONValue)], path: [String] = []) {
        self.members = members
        self.path = path
    }

    public func value(_ key: String) -> JSONValue? {
        members.first { sameText($0.key, key) }?.value
    }

    public func string(_ key: String) throws -> String { try required(key, optionalString) }

    public func optionalString(_ key: String) throws -> String? {
        try optional(key) { if case .string(let text) = $0 { text } else { nil } }
    }

    /// Only an integer that fits `Int64`: `1.0` and `1e2` are not integers here.
    public func integer(_ key: String) throws -> Int64 { try required(key, optionalInteger) }

    public func optionalInteger(_ key: String) throws -> Int64? {
        try optional(key) { if case .integer(let integer) = $0 { integer } else { nil } }
    }

    public func bool(_ key: String) throws -> Bool { try required(key, optionalBool) }

    public func optionalBool(_ key: String) throws -> Bool? {
        try optional(key) { if case .bool(let flag) = $0 { flag } else { nil } }
    }

    /// A required member: absent is missing, and null has the wrong type, as with JSONDecoder.
    private func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let result = try read(key) else { throw value(key) == nil ? missing(key) : invalid(key) }
        return result
    }

    /// An optional member: absent or null is nil; any other kind than `extract` accepts has the wrong type.
    private func optional<T>(_ key: String, _ extract: (JSONValue) -> T?) throws -> T? {
        guard let member = value(key), member != .null else { return nil }
        guard let typed = extract(member) else { throw invalid(key) }
        return typed
    }

    public func object(_ key: String) throws -> JSONObjectReader {
        switch value(key) {
        case nil: throw missing(key)
        case .object(let members)?:
            var nested = path
            nested.append(key)
            return JSONObjectReader(members: members, path: nested)
        default: throw invalid(key)
        }
    }

    public func array(_ key: String) throws -> [JSONValue] {
        switch value(key) {
        case nil: throw missing(key)
        case .array(let elements)?: return elements
        default: throw invalid(key)
        }
    }

    private func missing(_ key: String) -> HTTPError {
        HTTPError(status: 400, code: "missing_field", message: "必須の項目 \(key) がありません。")
    }

    private func invalid(_ key: String) -> HTTPError {
        HTTPError(
            status: 400, code: "invalid_field",
            message: "項目 \((path + [key]).joined(separator: ".")) の型が正しくありません。")
    }
}

/// A request body type that reads itself from JSON: the counterpart of `JSONWritable`.
public protocol JSONReadable {
    init(json: JSONObjectReader) throws
}

extension Request {
    /// Reads a JSON body into a `JSONReadable` type: 415 for another content type, 400 for malformed JSON,
    /// a body that is not an object, a missing field or a field of the wrong type.
    public func readJSON<T: JSONReadable>(_ type: T.Type) throws -> T {
        guard contentType == "application/json" else {
            throw HTTPError.unsupportedMediaType(expected: "application/json")
        }
        let value = try? body.withUnsafeBytes { bytes throws(JSONParseError) in try JSONValue.parse(bytes) }
        guard case .object(let members)? = value else {
            throw HTTPError(status: 400, code: "malformed_json", message: "JSON の形式が正しくありません。")
        }
        return try T(json: JSONObjectReader(members: members))
    }
}
