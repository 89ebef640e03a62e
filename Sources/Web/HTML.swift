import Foundation

/// A tree of HTML nodes. Text and attribute values are escaped when rendered; the only way to emit markup
/// as is goes through `Node.trustedMarkup(_:)`, which is easy to grep for and reserved for constants.
public indirect enum Node: Sendable {
    case element(name: String, attributes: [Attribute], children: [Node])
    case voidElement(name: String, attributes: [Attribute])
    case text(String)
    case fragment([Node])
    case trusted(String)

    /// Emits `markup` unescaped. Never pass anything derived from input.
    public static func trustedMarkup(_ markup: StaticString) -> Node {
        .trusted(markup.description)
    }

    public func render() -> String {
        var output = HTMLOutput()
        render(into: &output)
        return output.string
    }

    /// The markup as UTF-8 bytes, for a response body: no String in between.
    public func renderData() -> Data {
        var output = HTMLOutput()
        render(into: &output)
        return output.data
    }

    func render(into output: inout HTMLOutput) {
        switch self {
        case .element(let name, let attributes, let children):
            output.append(byte: 0x3C)  // <
            output.append(name)
            for attribute in attributes { attribute.render(into: &output) }
            output.append(byte: 0x3E)  // >
            for child in children { child.render(into: &output) }
            output.append(byte: 0x3C)
            output.append(byte: 0x2F)  // /
            output.append(name)
            output.append(byte: 0x3E)
        case .voidElement(let name, let attributes):
            output.append(byte: 0x3C)
            output.append(name)
            for attribute in attributes { attribute.render(into: &output) }
            output.append(byte: 0x3E)
        case .text(let text):
            output.appendEscaped(text)
        case .fragment(let nodes):
            for node in nodes { node.render(into: &output) }
        case .trusted(let markup):
            output.append(markup)
        }
    }
}

/// The bytes of a page being rendered. Appending UTF-8 runs to one byte array replaced `String +=` of
/// temporaries and escaping scalar by scalar, which made the catalog page cost twice what it does now
/// (callgrind, bench/page-cost).
struct HTMLOutput {
    private(set) var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(8192)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
    var data: Data { bytes.withUnsafeBufferPointer { Data(buffer: $0) } }

    @inline(__always) mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Escapes the five characters that matter in text and double-quoted attribute values; every other byte
    /// is copied in runs. They are ASCII, so they never occur inside a multi-byte UTF-8 sequence.
    mutating func appendEscaped(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let replacement: StaticString
                switch utf8[index] {
                case 0x26: replacement = "&amp;"
                case 0x3C: replacement = "&lt;"
                case 0x3E: replacement = "&gt;"
                case 0x22: replacement = "&quot;"
                case 0x27: replacement = "&#39;"
                default: continue
                }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                append(replacement)
                runStart = index + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
    }
}

/// One attribute. A nil value renders as a boolean attribute (`required`, `checked`).
public struct Attribute: Sendable {
    public let name: String
    public let value: String?

    public init(_ name: String, _ value: String?) {
        precondition(
            name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 },
            "attribute names are fixed lower-case identifiers")
        self.init(checkedName: name, value)
    }

    private init(checkedName name: String, _ value: String?) {
        self.name = name
        self.value = value
    }

    func render(into output: inout HTMLOutput) {
        output.append(byte: 0x20)
        output.append(name)
        if let value {
            output.append(byte: 0x3D)  // =
            output.append(byte: 0x22)  // "
            output.appendEscaped(value)
            output.append(byte: 0x22)
        }
    }

    public static func `class`(_ value: String) -> Attribute { Attribute("class", value) }
    public static func id(_ value: String) -> Attribute { Attribute("id", value) }
    public static func href(_ value: String) -> Attribute { Attribute("href", value) }
    public static func flag(_ name: String) -> Attribute { Attribute(name, nil) }
    /// SVG's camel-case `viewBox` (inline QR codes): an HTML parser would mend `viewbox`, an SVG file's XML
    /// parser would not.
    public static func viewBox(_ value: String) -> Attribute { Attribute(checkedName: "viewBox", value) }
}

@resultBuilder
public enum NodeBuilder {
    public static func buildExpression(_ node: Node) -> [Node] { [node] }
    public static func buildExpression(_ text: String) -> [Node] { [.text(text)] }
    public static func buildExpression(_ nodes: [Node]) -> [Node] { nodes }
    public static func buildBlock(_ parts: [Node]...) -> [Node] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Node]?) -> [Node] { part ?? [] }
    public static func buildEither(first: [Node]) -> [Node] { first }
    public static func buildEither(second: [Node]) -> [Node] { second }
    public static func buildArray(_ parts: [[Node]]) -> [Node] { parts.flatMap { $0 } }
}

/// Builds an element: `el("p", .class("hint")) { "本文" }`.
public func el(_ name: String, _ attributes: Attribute..., @NodeBuilder children: () -> [Node] = { [] }) -> Node {
    .element(name: name, attributes: attributes, children: children())
}

/// Builds an element from an attribute array, for attributes decided at run time.
public func el(_ name: String, attributes: [Attribute], @NodeBuilder children: () -> [Node] = { [] }) -> Node {
    .element(name: name, attributes: attributes, children: children())
}

/// A void element such as `input`, `meta` or `link`.
public func void(_ name: String, _ attributes: Attribute...) -> Node {
    .voidElement(name: name, attributes: attributes)
}

public func void(_ name: String, attributes: [Attribute]) -> Node {
    .voidElement(name: name, attributes: attributes)
}
