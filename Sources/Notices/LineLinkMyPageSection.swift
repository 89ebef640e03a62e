import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// 「LINEで受け取る」 on マイページ: whether the resident's LINE is linked, and a link to the page that issues a
/// code or unlinks. The forms live on `/mypage/line` because a section is rendered without the session's CSRF
/// token.
struct LineLinkMyPageSection: MyPageSection {
    var title: String { "LINEで受け取る" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let linkedAt = try NoticeStore.fetchActiveLinkDate(residentID: residentID, on: connection)
        return [
            LineLinkPages.status(linkedAt: linkedAt),
            el("p") { el("a", .href(LineLinkRoutes.residentPath)) { "LINEの設定を開く" } },
        ]
    }
}

/// The resident's own page (`/mypage/line`) and the counter's page for one resident
/// (`/staff/residents/:id/line`). Codes are shown once, on the page the POST returns, and never stored in
/// clear or put in a URL.
struct LineLinkRoutes: RouteCollection {
    static let residentPath = "/mypage/line"

    let linking: AccountLinking
    let authentication: Authentication

    var database: Database { linking.store.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get(Self.residentPath, auth.resident(showResidentPage))
        routes.post(Self.residentPath + "/code", auth.resident(issueResidentCode))
        routes.post(Self.residentPath + "/unlink", auth.resident(unlinkResident))
        // The counter (clerk+): a clerk helps a resident at the window.
        routes.get("/staff/residents/:id/line", auth.staff(minimum: .clerk, showCounterPage))
        routes.post("/staff/residents/:id/line/code", auth.staff(minimum: .clerk, issueCounterCode))
        routes.post("/staff/residents/:id/line/unlink", auth.staff(minimum: .clerk, unlinkAtCounter))
    }

    // MARK: Handlers

    func showResidentPage(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let linkedAt = try database.read { try NoticeStore.fetchActiveLinkDate(residentID: resident.id, on: $0) }
        return LineLinkPages.residentPage(
            resident: resident, linkedAt: linkedAt, code: nil,
            done: request.query("done") == "unlinked" ? "LINEとの連携を解除しました。" : nil
        ).response()
    }

    func issueResidentCode(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let code = try linking.issueCode(
            residentID: resident.id, issuedBy: .resident, actor: resident.auditActor, now: authentication.now())
        let linkedAt = try database.read { try NoticeStore.fetchActiveLinkDate(residentID: resident.id, on: $0) }
        return LineLinkPages.residentPage(resident: resident, linkedAt: linkedAt, code: code, done: nil).response()
    }

    func unlinkResident(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        try linking.unlink(
            residentID: resident.id, reason: .resident, actor: resident.auditActor, now: authentication.now())
        return .redirect(to: Self.residentPath + "?done=unlinked")
    }

    /// Showing the resident's name is a look at personal data, so the page view is audited in the same write
    /// that reads it.
    func showCounterPage(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let residentID = try Self.residentID(request)
        let view = try readForCounter(residentID: residentID, staff: staff, request: request)
        return LineLinkPages.counterPage(
            staff: staff, residentID: residentID, residentName: view.name, linkedAt: view.linkedAt, code: nil,
            done: request.query("done") == "unlinked" ? "LINEとの連携を解除しました。" : nil
        ).response()
    }

    func issueCounterCode(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let residentID = try Self.residentID(request)
        let code = try linking.issueCode(
            residentID: residentID, issuedBy: .counter, actor: staff.auditActor, now: authentication.now())
        let view = try readForCounter(residentID: residentID, staff: staff, request: request)
        return LineLinkPages.counterPage(
            staff: staff, residentID: residentID, residentName: view.name, linkedAt: view.linkedAt, code: code,
            done: nil
        ).response()
    }

    func unlinkAtCounter(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let residentID = try Self.residentID(request)
        try linking.unlink(residentID: residentID, reason: .counter, actor: staff.auditActor, now: authentication.now())
        return .redirect(to: "/staff/residents/\(residentID)/line?done=unlinked")
    }

    // MARK: Shared by the handlers

    private func readForCounter(residentID: Int64, staff: AuthenticatedStaff, request: Request) throws -> (
        name: String, linkedAt: Date?
    ) {
        let now = authentication.now()
        let event = AuditEvent(
            staff.auditActor, "line_link.read", subjectType: "resident", subjectID: residentID, request: request)
        let view = try database.write { connection -> (name: String, linkedAt: Date?)? in
            guard let resident = try ResidentStore.fetchResident(id: residentID, on: connection) else { return nil }
            try AuditLog.append(event, at: now, on: connection)
            return (
                resident.profile.fullName, try NoticeStore.fetchActiveLinkDate(residentID: residentID, on: connection)
            )
        }
        guard let view else { throw HTTPError.notFound }
        return view
    }

    static func residentID(_ request: Request) throws -> Int64 {
        guard let id = Int64(request.parameter("id")), id > 0 else { throw HTTPError.notFound }
        return id
    }
}

enum LineLinkPages {
    static let instructions = "公式アカウントを友だち追加して、このコードを送ってください。"

    static func status(linkedAt: Date?) -> Node {
        if let linkedAt {
            return el("p") { "LINEと連携しています（\(JapanTime.format(linkedAt)) から）。お知らせはLINEに届きます。" }
        }
        return el("p") { "LINEとは連携していません。お知らせは郵便または電話でお届けします。" }
    }

    /// The code, large, with the steps in plain words for residents who rarely use a smartphone.
    static func code(_ code: AccountLinking.IssuedCode) -> Node {
        el("section", .class("link-code"), Attribute("aria-labelledby", "link-code-title")) {
            el("h2", .id("link-code-title")) { "連携コード" }
            el("p", .class("code"), .id("line-link-code")) {
                el("strong", Attribute("lang", "en")) { code.displayCode }
            }
            el("p") { instructions }
            el("ol") {
                el("li") { "LINEアプリで、町の公式アカウントを「友だち追加」します。" }
                el("li") { "公式アカウントのトーク画面で、上のコード（8文字）を送ります。" }
                el("li") { "「連携しました」と返事が来たら完了です。" }
            }
            el("p") { "このコードは \(JapanTime.format(code.expiresAt)) まで（30分間）使えます。一度だけ使えます。" }
        }
    }

    static func residentPage(
        resident: AuthenticatedResident, linkedAt: Date?, code: AccountLinking.IssuedCode?, done: String?
    ) -> Page {
        IdentityPages.residentPage(title: "LINEで受け取る", resident: resident) {
            el("h1") { "LINEで受け取る" }
            if let done { IdentityPages.success(done) }
            status(linkedAt: linkedAt)
            if let code { self.code(code) }
            el("h2") { code == nil ? "連携のしかた" : "コードをもう一度発行する" }
            el("p") { "ボタンを押すと、8文字の連携コードが表示されます。" + instructions }
            Form.button(
                action: LineLinkRoutes.residentPath + "/code", csrfToken: resident.csrfToken,
                label: code == nil ? "連携コードを表示する" : "新しいコードを表示する")
            if linkedAt != nil {
                el("h2") { "連携の解除" }
                el("p") { "解除すると、お知らせは郵便または電話でお届けします。LINEで「連携解除」と送っても解除できます。" }
                Form.button(
                    action: LineLinkRoutes.residentPath + "/unlink", csrfToken: resident.csrfToken,
                    label: "LINEとの連携を解除する", secondary: true)
            }
            el("p") { el("a", .href("/mypage")) { "マイページに戻る" } }
        }
    }

    static func counterPage(
        staff: AuthenticatedStaff, residentID: Int64, residentName: String, linkedAt: Date?,
        code: AccountLinking.IssuedCode?, done: String?
    ) -> Page {
        IdentityPages.staffPage(title: "LINE連携（窓口）", staff: staff) {
            el("h1") { "LINE連携（窓口）" }
            if let done { IdentityPages.success(done) }
            el("p") { "住民番号 \(residentID)：\(residentName) さん" }
            status(linkedAt: linkedAt)
            if let code { self.code(code) }
            Form.button(
                action: "/staff/residents/\(residentID)/line/code", csrfToken: staff.csrfToken,
                label: "連携コードを発行する")
            if linkedAt != nil {
                Form.button(
                    action: "/staff/residents/\(residentID)/line/unlink", csrfToken: staff.csrfToken,
                    label: "連携を解除する", secondary: true)
            }
            el("p") { el("a", .href("/staff/residents/\(residentID)")) { "住民の詳細に戻る" } }
        }
    }
}

extension NoticeStore {
    /// When the resident's active link started, or nil: all マイページ and the counter need (never the LINE
    /// user id, which stays out of every page).
    static func fetchActiveLinkDate(residentID: Int64, on connection: Connection) throws -> Date? {
        try connection.scalar(
            "SELECT linked_at FROM line_links WHERE resident_id = ? AND active = 1", residentID, as: Date.self)
    }
}
