import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// A provider's settlement report, as imported: a CSV (UTF-8, with or without BOM, or Shift_JIS) with the
/// header `provider_reference,amount_yen,fee_yen,settled_on` (or 決済ID,金額,手数料,入金日) and one line per
/// settled payment; amounts in whole yen, the date as YYYY-MM-DD.
struct SettlementReport: Sendable, Equatable {
    struct Line: Sendable, Equatable {
        let reference: String
        let amountYen: Int
        let feeYen: Int
        let settledOn: String
    }

    let encoding: String
    let lines: [Line]

    struct Unreadable: HTTPResponseError {
        let line: Int
        let reason: String
        var status: Int { 422 }
        var code: String { "invalid_settlement_file" }
        var message: String { line == 0 ? "精算ファイルを読み取れません：\(reason)" : "精算ファイルの \(line) 行目：\(reason)" }
    }

    static let headers = [
        ["provider_reference", "amount_yen", "fee_yen", "settled_on"], ["決済ID", "金額", "手数料", "入金日"],
    ]

    static func parse(_ data: Data) throws -> SettlementReport {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let (text, encoding): (String, String)
        if let utf8 = String(data: bytes, encoding: .utf8) {
            (text, encoding) = (utf8, "utf8")
        } else if let sjis = String(data: bytes, encoding: .shiftJIS) {
            (text, encoding) = (sjis, "sjis")
        } else {
            throw Unreadable(line: 0, reason: "UTF-8 でも Shift_JIS でもありません")
        }
        let rows = text.split(
            omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        )
        .map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Self.unquote($0) } }
        guard let header = rows.first, headers.contains(header) else {
            throw Unreadable(line: 1, reason: "見出しは provider_reference,amount_yen,fee_yen,settled_on にしてください")
        }
        var lines: [Line] = []
        for (index, row) in rows.dropFirst().enumerated() {
            let number = index + 2
            guard row.count == 4, !row[0].isEmpty, row[0].utf8.count <= 255 else {
                throw Unreadable(line: number, reason: "4 項目が必要です")
            }
            guard let amount = Int(row[1]), (0...10_000_000).contains(amount), let fee = Int(row[2]), fee >= 0 else {
                throw Unreadable(line: number, reason: "金額と手数料は円単位の整数にしてください")
            }
            guard CalendarDate.parse(row[3]) == row[3] else {
                throw Unreadable(line: number, reason: "入金日は YYYY-MM-DD にしてください")
            }
            lines.append(Line(reference: row[0], amountYen: amount, feeYen: fee, settledOn: row[3]))
        }
        return SettlementReport(encoding: encoding, lines: lines)
    }

    static func unquote(_ cell: Substring) -> String {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") else { return trimmed }
        return String(trimmed.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }
}

/// One row of the reconciliation: a settlement line against our payment.
struct ReconciliationRow: Sendable, Equatable {
    enum Outcome: String, Sendable {
        case matched
        /// In the provider's report, not in our ledger.
        case missingOurs = "missing_ours"
        /// Captured online with us, absent from every report that covers its day.
        case missingTheirs = "missing_theirs"
        case amountMismatch = "amount_mismatch"

        var label: String {
            switch self {
            case .matched: "一致"
            case .missingOurs: "当方に記録なし"
            case .missingTheirs: "精算データになし"
            case .amountMismatch: "金額不一致"
            }
        }
    }

    let outcome: Outcome
    let reference: String?
    let paymentID: Int64?
    let ourYen: Int?
    let theirYen: Int?
    let feeYen: Int?
    let settledOn: String?
}

extension PaymentWorkflow {
    /// Stores a settlement report once and settles the payments it matches, in one write. The same file again
    /// (or lines already stored) changes nothing. Returns whether the file was new.
    @discardableResult
    func importSettlement(_ data: Data, staffID: Int64, at time: Date) throws -> Bool {
        let report = try SettlementReport.parse(data)
        let digest = Digest.sha256Hex(data)
        let providerName = provider.name
        return try database.write { connection in
            if try connection.scalar(
                "SELECT EXISTS (SELECT 1 FROM payment_settlement_imports WHERE sha256 = ?)", digest, as: Bool.self)
                == true
            {
                return false
            }
            try connection.run(
                """
                INSERT INTO payment_settlement_imports (sha256, provider, encoding, line_count, imported_at, staff_id)
                VALUES (?, ?, ?, ?, ?, ?)
                """, digest, providerName, report.encoding, report.lines.count, time, staffID)
            let importID = connection.lastInsertRowID
            for line in report.lines {
                let stored = try connection.run(
                    """
                    INSERT INTO payment_settlement_lines
                        (import_id, provider, provider_reference, amount_yen, fee_yen, settled_on)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, provider_reference) DO NOTHING
                    """, importID, providerName, line.reference, line.amountYen, line.feeYen, line.settledOn)
                guard stored == 1,
                    let payment = try PaymentStore.fetchPayment(
                        provider: providerName, reference: line.reference, on: connection),
                    payment.state == .captured, payment.amountYen == line.amountYen
                else { continue }
                try transition(
                    payment, to: .settled, actor: .provider(name: providerName), note: "精算データ \(line.settledOn)",
                    at: time, on: connection)
            }
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "payment.settlement_import",
                    subjectType: "payment_settlement_import", subjectID: String(importID)),
                at: time, on: connection)
            return true
        }
    }

    /// Every stored settlement line against the ledger, and our online payments the reports miss (captured on
    /// or before the latest settled date any report holds).
    func reconciliation() throws -> [ReconciliationRow] {
        let providerName = provider.name
        return try database.read { connection in
            var rows = try connection.query(
                """
                SELECT l.provider_reference, l.amount_yen, l.fee_yen, l.settled_on, p.id, p.amount_yen AS ours
                FROM payment_settlement_lines l
                LEFT JOIN payments p ON p.provider = l.provider AND p.provider_reference = l.provider_reference
                WHERE l.provider = ? ORDER BY l.settled_on, l.id
                """, providerName
            ).map { row -> ReconciliationRow in
                let ours: Int? = try row.get("ours")
                let theirs: Int = try row.get("amount_yen")
                let outcome: ReconciliationRow.Outcome =
                    ours == nil ? .missingOurs : (ours == theirs ? .matched : .amountMismatch)
                return ReconciliationRow(
                    outcome: outcome, reference: try row.get("provider_reference"), paymentID: try row.get("id"),
                    ourYen: ours, theirYen: theirs, feeYen: try row.get("fee_yen"), settledOn: try row.get("settled_on")
                )
            }
            if let latest = try connection.scalar(
                "SELECT max(settled_on) FROM payment_settlement_lines WHERE provider = ?", providerName,
                as: String?.self) ?? nil, let end = JapanTime.startOfDay(CalendarDate.adding(days: 1, to: latest))
            {
                rows += try connection.query(
                    """
                    SELECT p.id, p.provider_reference, p.amount_yen FROM payments p
                    WHERE p.provider = ? AND p.captured_at IS NOT NULL AND p.captured_at < ?
                        AND NOT EXISTS (SELECT 1 FROM payment_settlement_lines l
                                        WHERE l.provider = p.provider AND l.provider_reference = p.provider_reference)
                    ORDER BY p.id
                    """, providerName, end
                ).map {
                    ReconciliationRow(
                        outcome: .missingTheirs, reference: try $0.get("provider_reference"),
                        paymentID: try $0.get("id"),
                        ourYen: try $0.get("amount_yen"), theirYen: nil, feeYen: nil, settledOn: nil)
                }
            }
            return rows
        }
    }
}

/// `/staff/payments/reconciliation`: upload a settlement report (supervisors), see and export the result.
struct ReconciliationRoutes: RouteCollection {
    let workflow: PaymentWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/payments/reconciliation", auth.staff(showReconciliation))
        routes.get("/staff/payments/reconciliation.csv", auth.staff(exportReconciliation))
        routes.post(
            "/staff/payments/reconciliation", maximumBodyBytes: 6 * 1_048_576,
            auth.acceptingMultipart(auth.staff(minimum: .supervisor, importReport)))
    }

    func showReconciliation(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let notice: String? =
            switch request.query("done") {
            case "imported": "精算データを取り込みました。"
            case "unchanged": "このファイルは取込済みです。何も変わっていません。"
            default: nil
            }
        return ReconciliationPage.page(
            try workflow.reconciliation(), csrfToken: staff.csrfToken, mayImport: staff.role >= .supervisor,
            notice: notice
        ).response()
    }

    func exportReconciliation(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        var rows: [[String]] = [["結果", "決済ID", "支払番号", "当方金額", "精算金額", "手数料", "入金日"]]
        for row in try workflow.reconciliation() {
            let paymentID: String = row.paymentID.map { String($0) } ?? ""
            let ours: String = row.ourYen.map { String($0) } ?? ""
            let theirs: String = row.theirYen.map { String($0) } ?? ""
            let fee: String = row.feeYen.map { String($0) } ?? ""
            rows.append([row.outcome.label, row.reference ?? "", paymentID, ours, theirs, fee, row.settledOn ?? ""])
        }
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=utf-8"),
                ("Content-Disposition", "attachment; filename=\"reconciliation.csv\""),
            ],
            body: CSVWriter.document(rows, encoding: .utf8BOM))
    }

    func importReport(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let (_, parts) = try request.formValues()
        guard let file = parts.first(where: { $0.name == "report" && $0.isFile }), !file.data.isEmpty else {
            throw SettlementReport.Unreadable(line: 0, reason: "ファイルを選んでください")
        }
        let new = try workflow.importSettlement(file.data, staffID: staff.id, at: authentication.now())
        return .redirect(to: "/staff/payments/reconciliation?done=\(new ? "imported" : "unchanged")")
    }
}

enum ReconciliationPage {
    static func page(_ rows: [ReconciliationRow], csrfToken: String, mayImport: Bool, notice: String?) -> Page {
        var page = Page(title: "精算データの照合", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("h1") { "精算データの照合" }
            if let notice { el("p", .class("notice"), Attribute("role", "status")) { notice } }
            if mayImport {
                el(
                    "form", Attribute("method", "post"), Attribute("action", "/staff/payments/reconciliation"),
                    Attribute("enctype", "multipart/form-data")
                ) {
                    Form.csrf(csrfToken)
                    el("label", Attribute("for", "report")) { "精算ファイル（CSV、UTF-8 または Shift_JIS）" }
                    void(
                        "input", Attribute("type", "file"), .id("report"), Attribute("name", "report"),
                        Attribute("accept", ".csv,text/csv"))
                    Form.submit("取り込む")
                }
            }
            el("table", .class("reconciliation")) {
                el("thead") {
                    el("tr") {
                        for heading in ["結果", "決済ID", "当方金額", "精算金額", "手数料", "入金日"] {
                            el("th", Attribute("scope", "col")) { heading }
                        }
                    }
                }
                el("tbody") {
                    for row in rows {
                        el("tr", Attribute("data-outcome", row.outcome.rawValue)) {
                            el("td") { row.outcome.label }
                            el("td") { row.reference ?? "" }
                            el("td") { row.ourYen.map(YenText.format) ?? "" }
                            el("td") { row.theirYen.map(YenText.format) ?? "" }
                            el("td") { row.feeYen.map(YenText.format) ?? "" }
                            el("td") { row.settledOn ?? "" }
                        }
                    }
                }
            }
            el("p") { el("a", .href("/staff/payments/reconciliation.csv")) { "CSV で保存" } }
        }
        page.wide = true
        return page
    }
}
