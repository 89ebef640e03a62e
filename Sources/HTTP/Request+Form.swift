import Foundation

/// Fields of an `application/x-www-form-urlencoded` body, in order; a name may repeat (checkbox groups).
public struct FormFields: Sendable {
    public let pairs: [(name: String, value: String)]

    public init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// Decodes the WHATWG urlencoded format: `+` is a space, `%XX` a byte; the bytes must be UTF-8.
    public static func parse(_ body: Data) throws -> FormFields {
        guard let text = String(data: body, encoding: .utf8) else {
            throw HTTPError.badRequest("フォームの文字コードが正しくありません（UTF-8 で送信してください）。")
        }
        var pairs: [(String, String)] = []
        for item in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else {
                throw HTTPError.badRequest("フォームの内容を読み取れませんでした。")
            }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            guard let value else { throw HTTPError.badRequest("フォームの内容を読み取れませんでした。") }
            pairs.append((name, value))
        }
        return FormFields(pairs: pairs)
    }

    private static func decode(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

extension Request {
    /// The body as form fields. Another content type is a 415.
    public func form() throws -> FormFields {
        guard contentType == "application/x-www-form-urlencoded" else {
            throw HTTPError.unsupportedMediaType(expected: "application/x-www-form-urlencoded")
        }
        return try FormFields.parse(body)
    }
}
