import Foundation

/// The one CSV writer: files that open correctly in Japanese Excel. RFC 4180 quoting, CRLF line ends, and
/// either UTF-8 with a byte order mark (Excel reads BOM-less files as Shift_JIS) or Shift_JIS (Microsoft's
/// code page 932, which Foundation's `.shiftJIS` is) for older Excel and other office tools. Any cell Excel
/// would run as a formula (starting with = + - @, tab or CR) gets a leading apostrophe (OWASP "CSV
/// injection"): residents and callers type these cells.
///
/// Append rows as they are read, so a long export never holds its rows and its bytes at once.
public struct CSVWriter: Sendable {
    public enum Encoding: String, Sendable, CaseIterable {
        case utf8BOM = "utf8"
        case shiftJIS = "sjis"
    }

    public let encoding: Encoding
    /// The document so far: the byte order mark for UTF-8, then every appended row.
    public private(set) var data: Data

    public init(encoding: Encoding) {
        self.encoding = encoding
        data = encoding == .utf8BOM ? Data([0xEF, 0xBB, 0xBF]) : Data()
    }

    public mutating func append(_ cells: [String]) {
        let text = Self.line(cells)
        switch encoding {
        case .utf8BOM: data.append(contentsOf: text.utf8)
        case .shiftJIS: data.append(Self.shiftJIS(text))
        }
    }

    /// A whole document in one call.
    public static func document(_ rows: [[String]], encoding: Encoding) -> Data {
        var writer = CSVWriter(encoding: encoding)
        for row in rows { writer.append(row) }
        return writer.data
    }

    /// One record with its CRLF.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// Neutralizes formulas, then quotes per RFC 4180 when needed.
    public static func cell(_ value: String) -> String {
        var text = value
        // Scalars, not Characters: "\r\n" is one Character and would slip past a Character comparison.
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            text = "'" + text
        }
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Each Unicode scalar code page 932 lacks (an emoji, `〜` U+301C, `−` U+2212, `é`) becomes one `?`
    /// rather than failing the export: Shift_JIS is for tools that cannot read UTF-8 at all, where a `?` is
    /// the lesser harm than no file. The UTF-8 form is exact.
    static func shiftJIS(_ text: String) -> Data {
        if let data = text.data(using: .shiftJIS, allowLossyConversion: true) { return data }
        var data = Data()
        for scalar in text.unicodeScalars {
            data.append(String(scalar).data(using: .shiftJIS) ?? Data("?".utf8))
        }
        return data
    }
}
