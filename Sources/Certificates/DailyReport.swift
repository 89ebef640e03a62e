import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// 町民課's daily work report: the day's requests by type, channel, status and delivery, the copies, and the
/// fees collected online, at the counter, and refunded. Counts and yen only, no personal data.
public struct DailyReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public let typeCode: String
        public let channel: String
        public let status: String
        public let delivery: String
        public let requests: Int
        public let copies: Int
    }

    public let date: String
    public let lines: [Line]
    public let onlineCollectedYen: Int
    public let counterCollectedYen: Int
    public let refundedYen: Int
    public let ticketsTaken: Int

    /// Requests made on `date` (JST); counter fees of hand-overs on `date`.
    public static func build(
        date: String, fees: (any FeeCollector)?, on connection: Connection
    ) throws -> DailyReport {
        guard let start = JapanTime.startOfDay(date) else { throw CertificateStepRefused.invalid("日付が正しくありません。") }
        let end = start.addingTimeInterval(86_400)
        let lines = try connection.query(
            """
            SELECT type_code, channel, status, delivery, count(*) AS requests, sum(copies) AS copies
            FROM certificate_requests WHERE created_at >= ? AND created_at < ?
            GROUP BY type_code, channel, status, delivery ORDER BY type_code, channel, status, delivery
            """, start, end
        ).map {
            Line(
                typeCode: try $0.get("type_code"), channel: try $0.get("channel"), status: try $0.get("status"),
                delivery: try $0.get("delivery"), requests: try $0.get("requests"), copies: try $0.get("copies"))
        }
        var online = 0
        var refunded = 0
        if let fees {
            let ids = try connection.query(
                "SELECT id FROM certificate_requests WHERE payment = 'online' AND created_at >= ? AND created_at < ?",
                start, end
            ).map { try $0.get("id", as: Int64.self) }
            for id in ids {
                for charge in try fees.fees(for: CertificateWorkflow.subject(id), on: connection) {
                    online += charge.netPaidYen
                    if charge.state == .refunded { refunded += charge.amountYen }
                }
            }
        }
        let counter =
            try connection.scalar(
                """
                SELECT coalesce(sum(counter_paid_yen), 0) FROM certificate_requests
                WHERE handed_over_at >= ? AND handed_over_at < ?
                """, start, end, as: Int.self) ?? 0
        let tickets =
            try connection.scalar("SELECT count(*) FROM counter_tickets WHERE service_date = ?", date, as: Int.self)
            ?? 0
        return DailyReport(
            date: date, lines: lines, onlineCollectedYen: online, counterCollectedYen: counter, refundedYen: refunded,
            ticketsTaken: tickets)
    }

    func rows(_ catalog: CertificateCatalog) -> [[String]] {
        var rows = [["日付", "証明書", "受付方法", "状況", "受け取り", "件数", "通数"]]
        for line in lines {
            rows.append([
                date, catalog.type(code: line.typeCode)?.name ?? line.typeCode, Self.channelLabel(line.channel),
                CertificateStatus(rawValue: line.status)?.label ?? line.status,
                Delivery(rawValue: line.delivery)?.label ?? line.delivery, String(line.requests), String(line.copies),
            ])
        }
        rows.append([date, "手数料（オンライン収納）", "", "", "", "", String(onlineCollectedYen)])
        rows.append([date, "手数料（窓口収納）", "", "", "", "", String(counterCollectedYen)])
        rows.append([date, "手数料（返金）", "", "", "", "", String(refundedYen)])
        rows.append([date, "番号札の発行", "", "", "", String(ticketsTaken), ""])
        return rows
    }

    static func channelLabel(_ channel: String) -> String {
        switch channel {
        case "web": "オンライン"
        case "line": "LINE"
        default: "窓口"
        }
    }
}

struct DailyReportRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/certificates/report", auth.staff(showReport))
        routes.get("/staff/certificates/report.csv", auth.staff(downloadReport))
    }

    func report(_ request: Request) throws -> DailyReport {
        let date = request.query("date").flatMap(CalendarDate.parse) ?? CalendarDate.today(at: authentication.now())
        return try workflow.database.read { try DailyReport.build(date: date, fees: workflow.fees, on: $0) }
    }

    func showReport(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let report = try report(request)
        let rows = report.rows(workflow.catalog)
        var page = Page(title: "証明書の業務日報", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("h1") { "証明書の業務日報（\(CalendarDate.japanese(report.date))）" }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/certificates/report")) {
                Form.date(name: "date", label: "日付", value: report.date)
                Form.submit("表示する", secondary: true)
            }
            Table.scrolling(label: "証明書の業務日報") {
                el("thead") { el("tr") { for heading in rows[0] { el("th", Attribute("scope", "col")) { heading } } } }
                el("tbody") {
                    for row in rows.dropFirst() { el("tr") { for cell in row { el("td") { cell } } } }
                }
            }
            el("p") {
                el("a", .href("/staff/certificates/report.csv?date=\(report.date)")) { "CSV（Excel 用）をダウンロード" }
            }
        }
        page.wide = true
        return page.response()
    }

    func downloadReport(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let report = try report(request)
        let encoding = CSVWriter.Encoding(rawValue: request.query("encoding") ?? "") ?? .utf8BOM
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=\(encoding == .utf8BOM ? "utf-8" : "shift_jis")"),
                ("Content-Disposition", "attachment; filename=\"certificates-\(report.date).csv\""),
            ], body: CSVWriter.document(report.rows(workflow.catalog), encoding: encoding))
    }
}
