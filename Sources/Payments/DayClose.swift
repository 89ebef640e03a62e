import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// One line of a 日計表: entries of one kind, day, method and purpose.
struct DayCloseLine: Sendable, Equatable {
    /// `payment` (収納) or `refund` (還付).
    let kind: String
    /// The JST day the entries belong to; earlier than the close's day for a correction.
    let entryDay: String
    let method: String
    let purpose: String
    let cashless: Bool
    let count: Int
    let totalYen: Int
}

/// The 日計表 of one JST business day: its lines, closed or still open.
struct DayCloseReport: Sendable, Equatable {
    let day: String
    let closedAt: Date?
    let closedByStaffID: Int64?
    let lines: [DayCloseLine]
    /// The provider's fees on the day's online payments, from the imported settlement reports.
    var feesYen = 0

    func total(_ kind: String, cashless: Bool? = nil) -> Int {
        lines.filter { $0.kind == kind && (cashless == nil || $0.cashless == cashless) }.reduce(0) { $0 + $1.totalYen }
    }

    /// Received minus refunded, cash and cashless.
    func net(cashless: Bool) -> Int { total("payment", cashless: cashless) - total("refund", cashless: cashless) }
}

/// Why a close was refused.
enum DayCloseRefused: HTTPResponseError, Equatable {
    case alreadyClosed(String)
    case notYetOver(String)
    case laterDayClosed(String)
    case badDay

    var status: Int { self == .badDay ? 400 : 409 }
    var code: String {
        switch self {
        case .alreadyClosed: "day_already_closed"
        case .notYetOver: "day_not_over"
        case .laterDayClosed: "later_day_closed"
        case .badDay: "bad_day"
        }
    }
    var message: String {
        switch self {
        case .alreadyClosed(let day): "\(CalendarDate.japanese(day))は締め済みです。訂正は次の締めに計上されます。"
        case .notYetOver(let day): "\(CalendarDate.japanese(day))はまだ締められません。"
        case .laterDayClosed(let day): "\(CalendarDate.japanese(day))より後の日が締め済みです。日付順に締めてください。"
        case .badDay: "日付は YYYY-MM-DD で指定してください。"
        }
    }
}

extension PaymentStore {
    struct LedgerEntry: Sendable {
        let kind: String
        let id: Int64
        let at: Date
        let method: String
        let purpose: String
        let amountYen: Int
    }

    /// Captured payments and succeeded refunds recorded before `end` that no close has counted yet.
    static func fetchUncountedEntries(before end: Date, on connection: Connection) throws -> [LedgerEntry] {
        let payments = try connection.query(
            """
            SELECT id, captured_at, coalesce(method, 'credit_card') AS method, purpose, amount_yen FROM payments
            WHERE captured_at IS NOT NULL AND captured_at < ? AND closed_in_day IS NULL
            """, end
        ).map {
            LedgerEntry(
                kind: "payment", id: try $0.get("id"), at: try $0.get("captured_at"), method: try $0.get("method"),
                purpose: try $0.get("purpose"), amountYen: try $0.get("amount_yen"))
        }
        let refunds = try connection.query(
            """
            SELECT r.id, r.updated_at, coalesce(p.method, 'credit_card') AS method, p.purpose, r.amount_yen
            FROM payment_refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.state = 'succeeded' AND r.updated_at < ? AND r.closed_in_day IS NULL
            """, end
        ).map {
            LedgerEntry(
                kind: "refund", id: try $0.get("id"), at: try $0.get("updated_at"), method: try $0.get("method"),
                purpose: try $0.get("purpose"), amountYen: try $0.get("amount_yen"))
        }
        return payments + refunds
    }

    static func fetchClose(day: String, on connection: Connection) throws -> (at: Date, staffID: Int64)? {
        try connection.queryFirst(
            "SELECT closed_at, closed_by_staff_id FROM payment_day_closes WHERE business_day = ?", day
        ).map { (try $0.get("closed_at"), try $0.get("closed_by_staff_id")) }
    }

    static func fetchLatestClosedDay(on connection: Connection) throws -> String? {
        try connection.scalar("SELECT max(business_day) FROM payment_day_closes", as: String?.self) ?? nil
    }

    static func fetchCloseLines(day: String, on connection: Connection) throws -> [DayCloseLine] {
        try connection.query("SELECT * FROM payment_day_close_lines WHERE business_day = ? ORDER BY id", day).map {
            DayCloseLine(
                kind: try $0.get("kind"), entryDay: try $0.get("entry_day"), method: try $0.get("method"),
                purpose: try $0.get("purpose"), cashless: try $0.get("cashless"), count: try $0.get("count"),
                totalYen: try $0.get("total_yen"))
        }
    }

    static func insertClose(
        day: String, lines: [DayCloseLine], entries: [LedgerEntry], staffID: Int64, at time: Date,
        on connection: Connection
    ) throws {
        try connection.run(
            "INSERT INTO payment_day_closes (business_day, closed_at, closed_by_staff_id) VALUES (?, ?, ?)", day, time,
            staffID)
        for line in lines {
            try connection.run(
                """
                INSERT INTO payment_day_close_lines
                    (business_day, kind, entry_day, method, purpose, cashless, count, total_yen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, day, line.kind, line.entryDay, line.method, line.purpose, line.cashless, line.count,
                line.totalYen)
        }
        for entry in entries {
            let table = entry.kind == "payment" ? "payments" : "payment_refunds"
            try connection.run("UPDATE \(table) SET closed_in_day = ? WHERE id = ?", day, entry.id)
        }
    }
}

extension PaymentWorkflow {
    /// The first instant of the JST day after `day`.
    static func endOfDay(_ day: String) throws -> Date {
        guard CalendarDate.parse(day) == day, let end = JapanTime.startOfDay(CalendarDate.adding(days: 1, to: day))
        else { throw DayCloseRefused.badDay }
        return end
    }

    static func lines(of entries: [PaymentStore.LedgerEntry]) -> [DayCloseLine] {
        struct Key: Hashable { let kind, day, method, purpose: String }
        var groups: [Key: (count: Int, total: Int)] = [:]
        for entry in entries {
            let key = Key(
                kind: entry.kind, day: CalendarDate.today(at: entry.at), method: entry.method, purpose: entry.purpose)
            groups[key, default: (0, 0)].count += 1
            groups[key, default: (0, 0)].total += entry.amountYen
        }
        return groups.map { key, value in
            DayCloseLine(
                kind: key.kind, entryDay: key.day, method: key.method, purpose: key.purpose,
                cashless: key.method != PaymentMethod.cash.rawValue, count: value.count, totalYen: value.total)
        }.sorted { ($0.kind, $0.entryDay, $0.method, $0.purpose) < ($1.kind, $1.entryDay, $1.method, $1.purpose) }
    }

    /// The day's 日計表: a closed day's frozen figures, or what a close now would count.
    func dayCloseReport(day: String) throws -> DayCloseReport {
        let end = try Self.endOfDay(day)
        let start = JapanTime.startOfDay(day) ?? end
        return try database.read { connection in
            var report: DayCloseReport
            if let closed = try PaymentStore.fetchClose(day: day, on: connection) {
                report = DayCloseReport(
                    day: day, closedAt: closed.at, closedByStaffID: closed.staffID,
                    lines: try PaymentStore.fetchCloseLines(day: day, on: connection))
            } else {
                report = DayCloseReport(
                    day: day, closedAt: nil, closedByStaffID: nil,
                    lines: Self.lines(of: try PaymentStore.fetchUncountedEntries(before: end, on: connection)))
            }
            report.feesYen =
                try connection.scalar(
                    """
                    SELECT coalesce(sum(l.fee_yen), 0) FROM payment_settlement_lines l
                    JOIN payments p ON p.provider = l.provider AND p.provider_reference = l.provider_reference
                    WHERE p.captured_at >= ? AND p.captured_at < ?
                    """, start, end, as: Int.self) ?? 0
            return report
        }
    }

    /// A supervisor closes `day` (JST): everything recorded up to now for it and not counted before — with
    /// corrections to earlier closed days — is frozen in its lines, in day order, audited.
    func closeDay(_ day: String, staffID: Int64, origin: PaymentRequestOrigin, at time: Date) throws {
        let end = try Self.endOfDay(day)
        guard day <= CalendarDate.today(at: time) else { throw DayCloseRefused.notYetOver(day) }
        try database.write { connection in
            guard try PaymentStore.fetchClose(day: day, on: connection) == nil else {
                throw DayCloseRefused.alreadyClosed(day)
            }
            if let latest = try PaymentStore.fetchLatestClosedDay(on: connection), latest > day {
                throw DayCloseRefused.laterDayClosed(day)
            }
            let entries = try PaymentStore.fetchUncountedEntries(before: end, on: connection)
            try PaymentStore.insertClose(
                day: day, lines: Self.lines(of: entries), entries: entries, staffID: staffID, at: time, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: staffID), action: "payment.day_close", subjectType: "payment_day",
                    subjectID: day, clientAddress: origin.clientAddress, requestID: origin.requestID),
                at: time, on: connection)
        }
    }
}

/// `/staff/payments/close`: the 日計表 page (A4 print), its CSV for the accounting system, and the close.
struct DayCloseRoutes: RouteCollection {
    let workflow: PaymentWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/payments/close", auth.staff(showDayClose))
        routes.get("/staff/payments/close.csv", auth.staff(exportDayClose))
        routes.post("/staff/payments/close", maximumBodyBytes: 4096, auth.staff(minimum: .supervisor, closeDay))
    }

    func day(_ request: Request) -> String {
        request.query("day") ?? CalendarDate.today(at: authentication.now())
    }

    func showDayClose(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let report = try workflow.dayCloseReport(day: day(request))
        return DayClosePage.page(
            report, purposes: workflow.purposes, csrfToken: staff.csrfToken, mayClose: staff.role >= .supervisor,
            notice: request.query("done") == "closed" ? "締めました。この日の数字は以後変わりません。" : nil
        ).response()
    }

    func exportDayClose(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let report = try workflow.dayCloseReport(day: day(request))
        let encoding: CSVWriter.Encoding = request.query("encoding") == "sjis" ? .shiftJIS : .utf8BOM
        let charset = encoding == .shiftJIS ? "Shift_JIS" : "utf-8"
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=\(charset)"),
                ("Content-Disposition", "attachment; filename=\"nikkeihyo-\(report.day).csv\""),
            ],
            body: CSVWriter.document(DayClosePage.csvRows(report, purposes: workflow.purposes), encoding: encoding))
    }

    func closeDay(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let day = try request.form()["day"] ?? ""
        try workflow.closeDay(
            day, staffID: staff.id,
            origin: PaymentRequestOrigin(clientAddress: request.clientAddress, requestID: request.requestID),
            at: authentication.now())
        return .redirect(to: "/staff/payments/close?day=\(day)&done=closed")
    }
}

enum DayClosePage {
    static func methodLabel(_ code: String) -> String { PaymentMethod(rawValue: code)?.label ?? code }

    static func kindLabel(_ line: DayCloseLine, day: String) -> String {
        let kind = line.kind == "payment" ? "収納" : "還付"
        return line.entryDay == day ? kind : "\(kind)（\(CalendarDate.japanese(line.entryDay))分の訂正）"
    }

    static func csvRows(_ report: DayCloseReport, purposes: PurposeCatalog) -> [[String]] {
        var rows = [["業務日", "区分", "計上日", "支払方法", "現金/キャッシュレス", "用途", "件数", "金額"]]
        for line in report.lines {
            rows.append([
                report.day, line.kind == "payment" ? "収納" : "還付", line.entryDay, methodLabel(line.method),
                line.cashless ? "キャッシュレス" : "現金", purposes.label(FeePurpose(rawValue: line.purpose)),
                String(line.count), String(line.kind == "payment" ? line.totalYen : -line.totalYen),
            ])
        }
        rows.append([report.day, "差引（現金）", "", "", "現金", "", "", String(report.net(cashless: false))])
        rows.append([report.day, "差引（キャッシュレス）", "", "", "キャッシュレス", "", "", String(report.net(cashless: true))])
        rows.append([report.day, "決済手数料", "", "", "キャッシュレス", "", "", String(report.feesYen)])
        return rows
    }

    static func page(
        _ report: DayCloseReport, purposes: PurposeCatalog, csrfToken: String, mayClose: Bool, notice: String?
    ) -> Page {
        var page = Page(title: "日計表", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("section", .class("cash-close"), Attribute("aria-labelledby", "cash-close-title")) {
                cashCloseSheet(report, purposes: purposes, csrfToken: csrfToken, mayClose: mayClose, notice: notice)
            }
        }
        page.wide = true
        return page
    }

    /// The printable sheet: everything inside the `cash-close` named page (A4, its own margins).
    @NodeBuilder
    static func cashCloseSheet(
        _ report: DayCloseReport, purposes: PurposeCatalog, csrfToken: String, mayClose: Bool, notice: String?
    ) -> [Node] {
        el("h1", .id("cash-close-title")) { "日計表　\(CalendarDate.japanese(report.day))" }
        if let notice { el("p", .class("notice"), Attribute("role", "status")) { notice } }
        el("p") {
            if let closedAt = report.closedAt { "締め済み（\(JapanTime.format(closedAt))）" } else { "未締め（見込み）" }
        }
        el("table", .class("day-close")) {
            el("thead") {
                el("tr") {
                    for heading in ["区分", "支払方法", "用途", "件数", "金額"] {
                        el("th", Attribute("scope", "col")) { heading }
                    }
                }
            }
            el("tbody") {
                for line in report.lines {
                    el("tr") {
                        el("td") { kindLabel(line, day: report.day) }
                        el("td") { methodLabel(line.method) }
                        el("td") { purposes.label(FeePurpose(rawValue: line.purpose)) }
                        el("td") { String(line.count) }
                        el("td") { YenText.format(line.kind == "payment" ? line.totalYen : -line.totalYen) }
                    }
                }
            }
        }
        el("dl", .class("summary")) {
            el("dt") { "現金 収納" }
            el("dd") { YenText.format(report.total("payment", cashless: false)) }
            el("dt") { "キャッシュレス 収納" }
            el("dd") { YenText.format(report.total("payment", cashless: true)) }
            el("dt") { "還付" }
            el("dd") { YenText.format(-report.total("refund")) }
            el("dt") { "差引 現金" }
            el("dd") { YenText.format(report.net(cashless: false)) }
            el("dt") { "差引 キャッシュレス" }
            el("dd") { YenText.format(report.net(cashless: true)) }
            el("dt") { "決済手数料" }
            el("dd") { YenText.format(report.feesYen) + "（取込済みの精算データから）" }
        }
        el("p") {
            el("a", .href("/staff/payments/close.csv?day=\(report.day)")) { "CSV（UTF-8）" }
            "　"
            el("a", .href("/staff/payments/close.csv?day=\(report.day)&encoding=sjis")) { "CSV（Shift_JIS）" }
        }
        if report.closedAt == nil && mayClose {
            Form.post(action: "/staff/payments/close", csrfToken: csrfToken) {
                Form.hidden(name: "day", value: report.day)
                Form.submit("この日を締める")
            }
        }
    }
}
