import Foundation

/// A type that writes its own JSON, for responses on hot paths. Foundation's JSONEncoder spends about a
/// microsecond per small value in Codable's generic containers; writing the bytes directly costs a tenth.
///
/// The output must be exactly what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` gives for
/// the type's `Encodable` conformance: keys in sorted order, absent optionals omitted. That is why this
/// protocol refines `Encodable`: tests compare the two encodings of every conforming type.
public protocol JSONWritable: Encodable, JSONMemberValue {
    func writeJSON(to writer: inout JSONWriter)
}

/// What `JSONWriter.member` takes: the scalars below, and every `JSONWritable`.
public protocol JSONMemberValue {
    func writeJSONValue(to writer: inout JSONWriter)
}

extension String: JSONMemberValue {
    public func writeJSONValue(to writer: inout JSONWriter) { writer.value(self) }
}

extension Int64: JSONMemberValue {
    public func writeJSONValue(to writer: inout JSONWriter) { writer.value(self) }
}

extension Int: JSONMemberValue {
    public func writeJSONValue(to writer: inout JSONWriter) { writer.value(self) }
}

extension Bool: JSONMemberValue {
    public func writeJSONValue(to writer: inout JSONWriter) { writer.value(self) }
}

extension JSONWritable {
    public func writeJSONValue(to writer: inout JSONWriter) { writeJSON(to: &writer) }
}

/// Writes one JSON value, with no whitespace. Commas are placed for the caller.
public struct JSONWriter {
    private var line = JSONLine()
    /// One bit per open object or array, innermost lowest: whether a member was written yet (so the next
    /// needs a comma). Bits rather than an array of Bool: one allocation fewer per response.
    private var hasMembers: UInt64 = 0
    private var depth = 0
    /// Set by `key`: the next value is that member's, not a new element.
    private var pendingValueAfterKey = false

    public init() {}

    public var data: Data { line.bytes.withUnsafeBufferPointer { Data(buffer: $0) } }

    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        separate()
        line.append(byte: 123)
        open()
        members(&self)
        close()
        line.append(byte: 125)
    }

    public mutating func array<S: Sequence>(_ elements: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        separate()
        line.append(byte: 91)
        open()
        for item in elements { element(&self, item) }
        close()
        line.append(byte: 93)
    }

    /// A member name inside `object`; the value written next belongs to it.
    public mutating func key(_ name: String) {
        separate()
        line.append(quoted: name)
        line.append(byte: 58)
        // The value that follows belongs to this key: no comma before it.
        pendingValueAfterKey = true
    }

    public mutating func value(_ text: String) {
        separate()
        line.append(quoted: text)
    }

    public mutating func value(_ number: Int64) {
        separate()
        line.append(integer: Int(number))
    }

    public mutating func value(_ number: Int) {
        separate()
        line.append(integer: number)
    }

    public mutating func value(_ flag: Bool) {
        separate()
        line.append(raw: flag ? "true" : "false")
    }

    public mutating func null() {
        separate()
        line.append(raw: "null")
    }

    /// A nested value that writes itself.
    public mutating func value(_ nested: some JSONWritable) {
        nested.writeJSON(to: &self)
    }

    /// `key` and `value` together, skipped when the value is nil — as synthesized `Encodable` does.
    public mutating func member(_ name: String, _ value: (some JSONMemberValue)?) {
        guard let value else { return }
        key(name)
        value.writeJSONValue(to: &self)
    }

    /// Writes the comma before every member or element but the first, and marks the container non-empty.
    private mutating func separate() {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
            return
        }
        guard depth > 0 else { return }
        if hasMembers & 1 != 0 { line.append(byte: 44) }
        hasMembers |= 1
    }

    private mutating func open() {
        precondition(depth < 64, "JSONWriter nests at most 64 levels")
        depth += 1
        hasMembers <<= 1
    }

    private mutating func close() {
        depth -= 1
        hasMembers >>= 1
    }
}

extension JSONWritable {
    /// The JSON bytes of this value.
    public func jsonData() -> Data {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.data
    }
}
