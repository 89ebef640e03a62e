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
        var output = ""
        render(into: &output)
        return output
    }

    func render(into output: inout String) {
        switch self {
        case .element(let name, let attributes, let children):
            output += "<" + name
            for attribute in attributes { attribute.render(into: &output) }
            output += ">"
            for child in children { child.render(into: &output) }
            output += "</" + name + ">"
        case .voidElement(let name, let attributes):
            output += "<" + name
            for attribute in attributes { attribute.render(into: &output) }
            output += ">"
        case .text(let text):
            HTMLEscaping.escape(text, into: &output)
        case .fragment(let nodes):
            for node in nodes { node.render(into: &output) }
        case .trusted(let markup):
            output += markup
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
        self.name = name
        self.value = value
    }

    func render(into output: inout String) {
        output += " " + name
        if let value {
            output += "=\""
            HTMLEscaping.escape(value, into: &output)
            output += "\""
        }
    }

    public static func `class`(_ value: String) -> Attribute { Attribute("class", value) }
    public static func id(_ value: String) -> Attribute { Attribute("id", value) }
    public static func href(_ value: String) -> Attribute { Attribute("href", value) }
    public static func flag(_ name: String) -> Attribute { Attribute(name, nil) }
}

enum HTMLEscaping {
    /// Escapes the five characters that matter in text and double-quoted attribute values.
    static func escape(_ text: String, into output: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(scalar)
            }
        }
    }
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
