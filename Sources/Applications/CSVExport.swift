import Formats
import Foundation
import Identity

/// The staff CSV export of a procedure's applications, written by Formats' `CSVWriter` (Excel-safe: BOM or
/// Shift_JIS, RFC 4180 quoting, formula guard), since residents type these cells.
public enum CSVExport {
    public typealias Encoding = CSVWriter.Encoding

    public static func document(_ rows: [[String]], encoding: Encoding) -> Data {
        CSVWriter.document(rows, encoding: encoding)
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
