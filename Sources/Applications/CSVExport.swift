import Foundation
import Identity

/// CSV that opens correctly in Japanese Excel: RFC 4180 quoting, CRLF line ends, and either UTF-8 with a byte
/// order mark (Excel reads BOM-less files as Shift_JIS) or Shift_JIS for older Excel and other office tools.
/// Any cell Excel would run as a formula (starting with = + - @, tab or CR) gets a leading apostrophe
/// (OWASP "CSV injection"): residents type these cells.
public enum CSVExport {
    public enum Encoding: String, Sendable {
        case utf8BOM = "utf8"
        case shiftJIS = "sjis"
    }

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

    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// The whole document in the chosen encoding. Characters Shift_JIS lacks become "?" rather than failing
    /// the export; the UTF-8 form is exact.
    public static func document(_ rows: [[String]], encoding: Encoding) -> Data {
        let text = rows.map(line).joined()
        switch encoding {
        case .utf8BOM:
            return Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
        case .shiftJIS:
            if let data = text.data(using: .shiftJIS, allowLossyConversion: false) { return data }
            return text.data(using: .shiftJIS, allowLossyConversion: true) ?? Data(text.utf8)
        }
    }

    /// One row per application: fixed columns, then one column per question of the procedure.
    public static func rows(procedure: Procedure, applications: [StoredApplication]) -> [[String]] {
        let fields = procedure.fields.filter { $0.type != .file }
        var rows = [["受付番号", "状態", "受付経路", "受付日時", "最終更新", "手数料"] + fields.map(\.label)]
        for application in applications {
            let fixed = [
                application.reference.map(ReferenceNumber.display) ?? "", application.status.label,
                application.channel.label, application.submittedAt.map(JapanTime.format) ?? "",
                JapanTime.format(application.updatedAt), String(application.feeYen),
            ]
            let answers = fields.map { field -> String in
                guard let value = application.answers[field.name] else { return "" }
                switch field.type {
                case .selectOne, .selectMany: return value.values.map(field.optionLabel).joined(separator: "、")
                case .checkbox: return value.values.first == "true" ? "はい" : ""
                default: return value.values.joined(separator: "、")
                }
            }
            rows.append(fixed + answers)
        }
        return rows
    }
}
