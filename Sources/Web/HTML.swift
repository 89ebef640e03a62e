import Foundation

/// A piece of HTML, held as its rendered UTF-8 bytes. Text and attribute values are always escaped on the way
/// into the bytes; the only way to emit markup as is goes through `Node.trustedMarkup(_:)`, which is easy to
/// grep for and reserved for constants.
///
/// Bytes rather than a tree of elements: building an indirect enum with `[Attribute]` and `[Node]` children
/// and then walking and freeing it was half of マイページ's 3.65 million instructions per request (callgrind,
/// bench/route-cost mypage, issue #10). An element now writes its tags around its children's bytes once, so
/// a page costs about one allocation per element instead of a handful, and nothing is walked twice.
public struct Node: Sendable {
    /// An element is always flat bytes. A text waits as its String and a block's parts as a list until the
    /// element around them writes them: a text escaped into its own buffer and a block joined into one
    /// were two allocations and two copies more per line of マイページ, for bytes written once anyway.
    enum Storage: Sendable {
        case bytes([UInt8])
        case text(String)
        case list([Node])
    }

    let storage: Storage

    init(bytes: [UInt8]) {
        self.storage = .bytes(bytes)
    }

    private init(_ storage: Storage) {
        self.storage = storage
    }

    /// Nothing: what an absent `if` branch renders.
    public static let empty = Node(bytes: [])

    /// `text`, escaped.
    public static func text(_ text: String) -> Node {
        Node(.text(text))
    }

    /// The nodes one after another.
    public static func fragment(_ nodes: [Node]) -> Node {
        nodes.count == 1 ? nodes[0] : Node(.list(nodes))
    }

    /// Emits `markup` unescaped. Never pass anything derived from input.
    public static func trustedMarkup(_ markup: StaticString) -> Node {
        Node(bytes: Array(UnsafeBufferPointer(start: markup.utf8Start, count: markup.utf8CodeUnitCount)))
    }

    /// An element around `children`; void elements (`input`, `meta`) have no children and no end tag.
    init(element name: String, attributes: [Attribute], children: Node?) {
        var capacity = 2 * name.utf8.count + 5 + (children?.estimatedLength ?? 0)
        for attribute in attributes { capacity += attribute.estimatedLength }
        var output = HTMLOutput(capacity: capacity)
        output.append(byte: 0x3C)  // <
        output.append(name)
        for attribute in attributes { attribute.render(into: &output) }
        output.append(byte: 0x3E)  // >
        if let children {
            output.append(children)
            output.append(byte: 0x3C)
            output.append(byte: 0x2F)  // /
            output.append(name)
            output.append(byte: 0x3E)
        }
        self.storage = .bytes(output.bytes)
    }

    /// The rendered length, short only by what escaping adds.
    var estimatedLength: Int {
        switch storage {
        case .bytes(let bytes): bytes.count
        case .text(let text): text.utf8.count
        case .list(let nodes): nodes.reduce(0) { $0 + $1.estimatedLength }
        }
    }

    func render(into output: inout HTMLOutput) {
        switch storage {
        case .bytes(let bytes): output.append(bytes: bytes)
        case .text(let text): output.appendEscaped(text)
        case .list(let nodes): for node in nodes { node.render(into: &output) }
        }
    }

    public func render() -> String {
        var output = HTMLOutput(capacity: estimatedLength)
        render(into: &output)
        return output.string
    }

    /// The markup as UTF-8 bytes, for a response body.
    public func renderData() -> Data {
        var output = HTMLOutput(capacity: estimatedLength)
        render(into: &output)
        return output.data
    }
}

/// The bytes of a page or a node being rendered. Appending UTF-8 runs to one byte array replaced `String +=`
/// of temporaries and escaping scalar by scalar, which made the catalog page cost twice what it does now
/// (callgrind, bench/page-cost).
struct HTMLOutput {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 8192) {
        bytes.reserveCapacity(capacity)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
    var data: Data { bytes.withUnsafeBufferPointer { Data(buffer: $0) } }

    @inline(__always) mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func append(_ node: Node) { node.render(into: &self) }

    mutating func append(bytes more: [UInt8]) { bytes.append(contentsOf: more) }

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

    /// ` name="value"` before escaping.
    var estimatedLength: Int { name.utf8.count + (value?.utf8.count ?? 0) + 4 }

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

/// Collects a block's nodes into one as it goes. A closure typed `() -> [Node]` (a page body, a module's
/// section) gets the joined node as a one-element array; `el`'s children closure gets the node itself.
@resultBuilder
public enum NodeBuilder {
    public static func buildExpression(_ node: Node) -> Node { node }
    public static func buildExpression(_ text: String) -> Node { .text(text) }
    public static func buildExpression(_ nodes: [Node]) -> Node { .fragment(nodes) }
    public static func buildBlock() -> Node { .empty }
    public static func buildBlock(_ part: Node) -> Node { part }
    public static func buildBlock(_ parts: Node...) -> Node { .fragment(parts) }
    public static func buildOptional(_ part: Node?) -> Node { part ?? .empty }
    public static func buildEither(first: Node) -> Node { first }
    public static func buildEither(second: Node) -> Node { second }
    public static func buildArray(_ parts: [Node]) -> Node { .fragment(parts) }
    public static func buildFinalResult(_ node: Node) -> Node { node }
    public static func buildFinalResult(_ node: Node) -> [Node] { [node] }
}

/// Builds an element: `el("p", .class("hint")) { "本文" }`.
public func el(_ name: String, _ attributes: Attribute..., @NodeBuilder children: () -> Node = { .empty }) -> Node {
    Node(element: name, attributes: attributes, children: children())
}

/// Builds an element from an attribute array, for attributes decided at run time.
public func el(_ name: String, attributes: [Attribute], @NodeBuilder children: () -> Node = { .empty }) -> Node {
    Node(element: name, attributes: attributes, children: children())
}

/// A void element such as `input`, `meta` or `link`.
public func void(_ name: String, _ attributes: Attribute...) -> Node {
    Node(element: name, attributes: attributes, children: nil)
}

public func void(_ name: String, attributes: [Attribute]) -> Node {
    Node(element: name, attributes: attributes, children: nil)
}
