import Formats
import Foundation
import HTTP
import Security
import Store
import Web

/// The audit-log viewer for supervisors and admins: who did what to which record, when and from where.
/// The log holds only ids, so the viewer shows ids too, plus staff login ids for readability.
struct AuditViewerRoutes: RouteCollection {
    let services: IdentityServices

    static let pageSize = 50
    static let actorTypes = [
        FormOption("staff", "職員"), FormOption("resident", "住民"), FormOption("job", "バッチ・連携"),
        FormOption("guest", "未ログイン"), FormOption("system", "システム"),
    ]
    static let filterNames = ["from", "to", "actor_type", "actor_id", "action", "subject_type", "subject_id"]

    func register(in routes: inout Routes) {
        // Filters travel in the query: they are ids, action names and dates, never personal data.
        routes.get("/staff/audit", services.authentication.staff(minimum: .supervisor, showAuditLog))
    }

    // MARK: Handlers

    func showAuditLog(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        var values: [String: String] = [:]
        for name in Self.filterNames {
            if let value = request.query(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                values[name] = value
            }
        }
        let page = max(1, Int(request.query("page") ?? "") ?? 1)
        var errors = FormErrors()
        var filter = AuditFilter(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize)
        if let from = values["from"] {
            if let date = JapanTime.startOfDay(from) {
                filter.from = date
            } else {
                errors.add("from", "開始日は 2026-04-01 のように入力してください。")
            }
        }
        if let to = values["to"] {
            // The end date is inclusive: everything before the start of the next day.
            if let date = JapanTime.startOfDay(to) {
                filter.to = date.addingTimeInterval(24 * 3600)
            } else {
                errors.add("to", "終了日は 2026-04-30 のように入力してください。")
            }
        }
        if let actorType = values["actor_type"] {
            if Self.actorTypes.contains(where: { $0.value == actorType }) {
                filter.actorType = actorType
            } else {
                errors.add("actor_type", "操作者の種類を一覧から選んでください。")
            }
        }
        filter.actorID = values["actor_id"]
        filter.action = values["action"]
        filter.subjectType = values["subject_type"]
        filter.subjectID = values["subject_id"]

        let (records, staffLogins) = try services.database.read { connection in
            (
                errors.isEmpty ? try AuditLog.fetch(filter, on: connection) : [],
                Dictionary(
                    try StaffStore.fetchAllStaff(on: connection).map { (String($0.id), $0.loginID) },
                    uniquingKeysWith: { first, _ in first })
            )
        }
        let hasNextPage = records.count > Self.pageSize
        return AuditPages.viewer(
            staff: staff, values: values, errors: errors, records: Array(records.prefix(Self.pageSize)),
            staffLogins: staffLogins, page: page, hasNextPage: hasNextPage
        ).response(status: errors.isEmpty ? 200 : 422)
    }
}

enum AuditPages {
    static func viewer(
        staff: AuthenticatedStaff, values: [String: String], errors: FormErrors, records: [AuditRecord],
        staffLogins: [String: String], page: Int, hasNextPage: Bool
    ) -> Page {
        IdentityPages.staffPage(title: "監査ログ", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "監査ログ" }
            el("p") {
                "職員による住民記録の閲覧・変更、ログインなどの記録です。記録は改ざんを検出できる形（ハッシュチェーン）で保存されています。"
            }
            el(
                "form", Attribute("method", "get"), Attribute("action", "/staff/audit"), .flag("novalidate"),
                .class("filters")
            ) {
                Form.date(
                    name: "from", label: "開始日", value: values["from"] ?? "", error: errors["from"], optional: true)
                Form.date(name: "to", label: "終了日", value: values["to"] ?? "", error: errors["to"], optional: true)
                Form.select(
                    name: "actor_type", label: "操作者の種類", options: AuditViewerRoutes.actorTypes,
                    selected: values["actor_type"], error: errors["actor_type"], optional: true, placeholder: "すべて")
                Form.text(
                    name: "actor_id", label: "操作者の番号", value: values["actor_id"] ?? "", optional: true,
                    inputMode: "numeric")
                Form.text(
                    name: "action", label: "操作", value: values["action"] ?? "", hint: "例：resident.read",
                    optional: true)
                Form.text(
                    name: "subject_type", label: "対象の種類", value: values["subject_type"] ?? "",
                    hint: "例：resident", optional: true)
                Form.text(
                    name: "subject_id", label: "対象の番号", value: values["subject_id"] ?? "", optional: true,
                    inputMode: "numeric")
                Form.submit("絞り込む")
            }
            el("h2") { "記録（新しい順）" }
            if records.isEmpty {
                el("p") { "該当する記録はありません。" }
            } else {
                Table.scrolling(label: "監査ログの記録") {
                    el("thead") {
                        el("tr") {
                            for heading in ["日時", "操作者", "操作", "対象", "接続元", "リクエストID"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for record in records {
                            el("tr") {
                                el("td") { JapanTime.format(record.occurredAt) }
                                el("td") { actorText(record, staffLogins: staffLogins) }
                                el("td") { record.action }
                                el("td") { subjectText(record) }
                                el("td") { record.clientAddress ?? "" }
                                el("td") { el("code") { record.requestID ?? "" } }
                            }
                        }
                    }
                }
            }
            el("nav", Attribute("aria-label", "ページ")) {
                if page > 1 { el("a", .href(pageLink(values, page: page - 1))) { "← 新しい記録" } }
                " "
                if hasNextPage { el("a", .href(pageLink(values, page: page + 1))) { "古い記録 →" } }
            }
        }
    }

    static func actorText(_ record: AuditRecord, staffLogins: [String: String]) -> String {
        let label = AuditViewerRoutes.actorTypes.first { $0.value == record.actorType }?.label ?? record.actorType
        guard let id = record.actorID else { return label }
        if record.actorType == "staff", let login = staffLogins[id] { return "\(label) \(login)（\(id)）" }
        return "\(label) \(id)"
    }

    static func subjectText(_ record: AuditRecord) -> String {
        [record.subjectType, record.subjectID].compactMap { $0 }.joined(separator: " ")
    }

    static func pageLink(_ values: [String: String], page: Int) -> String {
        // RFC 3986 unreserved characters, ASCII only.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let query =
            AuditViewerRoutes.filterNames.compactMap { name in
                values[name].map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            } + ["page=\(page)"]
        return "/staff/audit?" + query.joined(separator: "&")
    }
}
