import Foundation

/// A message text with named placeholders, e.g. `{氏名} 様、{日時}に窓口でお待ちしています。`
///
/// A placeholder is `{name}`: a name of 1 to 32 characters without braces or line breaks. `{{` and `}}`
/// stand for literal braces. Parsing happens once; rendering checks that every placeholder is filled, so a
/// resident never receives a text with a bare `{受付番号}` in it.
public struct MessageTemplate: Sendable, Equatable {
    public static let maximumPlaceholderLength = 32

    enum Piece: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    public let text: String
    let pieces: [Piece]

    public init(_ text: String) throws(NoticeValidationError) {
        self.text = text
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{" {
                if next < text.endIndex, text[next] == "{" {
                    literal.append("{")
                    index = text.index(after: next)
                    continue
                }
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw .malformedTemplate(reason: "「{」が閉じられていません")
                }
                let name = String(text[next..<close])
                guard !name.isEmpty, name.count <= Self.maximumPlaceholderLength,
                    !name.contains("{"), !name.contains(where: \.isNewline)
                else {
                    throw .malformedTemplate(reason: "差し込み項目の名前が正しくありません")
                }
                if !literal.isEmpty {
                    pieces.append(.literal(literal))
                    literal = ""
                }
                pieces.append(.placeholder(name))
                index = text.index(after: close)
            } else if character == "}" {
                guard next < text.endIndex, text[next] == "}" else {
                    throw .malformedTemplate(reason: "対応する「{」のない「}」があります")
                }
                literal.append("}")
                index = text.index(after: next)
            } else {
                literal.append(character)
                index = next
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// Placeholder names in order of first appearance, each once.
    public var placeholders: [String] {
        var seen: Set<String> = []
        return pieces.compactMap {
            guard case .placeholder(let name) = $0, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// Placeholders that `values` leaves unfilled.
    public func missingPlaceholders(in values: [String: String]) -> [String] {
        placeholders.filter { values[$0] == nil }
    }

    /// The text with every placeholder replaced. Values are inserted verbatim and never parsed again, so a
    /// value containing braces stays as it is.
    public func render(_ values: [String: String]) throws(NoticeValidationError) -> String {
        let missing = missingPlaceholders(in: values)
        guard missing.isEmpty else { throw .unfilledPlaceholders(missing) }
        var output = ""
        for piece in pieces {
            switch piece {
            case .literal(let literal): output += literal
            case .placeholder(let name): output += values[name]!
            }
        }
        return output
    }
}

/// Checks one rendered text against LINE's limits for a text message.
enum TextMessageRules {
    /// LINE counts a text's length in UTF-16 code units: most kanji count 1, an emoji outside the BMP
    /// counts 2. https://developers.line.biz/en/reference/messaging-api/#text-message
    static func utf16Length(_ text: String) -> Int { text.utf16.count }

    static func check(_ text: String, messageNumber: Int) throws(NoticeValidationError) {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .emptyMessage(messageNumber: messageNumber)
        }
        let length = utf16Length(text)
        guard length <= LINELimits.maximumTextUTF16Units else {
            throw .textTooLong(messageNumber: messageNumber, utf16Units: length)
        }
    }
}
