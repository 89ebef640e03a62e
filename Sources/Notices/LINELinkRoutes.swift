import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The resident's own page (`/mypage/line`) and the counter's page for one resident
/// (`/staff/residents/:id/line`). Codes are shown once, on the page the POST returns, and never stored in
/// clear or put in a URL.
struct LINELinkRoutes: RouteCollection {
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
        routes.auditedGet("/staff/residents/:id/line", auth.staff(minimum: .clerk, showCounterPage))
        routes.post("/staff/residents/:id/line/code", auth.staff(minimum: .clerk, issueCounterCode))
        routes.post("/staff/residents/:id/line/unlink", auth.staff(minimum: .clerk, unlinkAtCounter))
    }

    // MARK: Handlers

    func showResidentPage(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let linkedAt = try database.read { try NoticeStore.fetchActiveLinkDate(residentID: resident.id, on: $0) }
        return LINELinkPages.residentPage(
            resident: resident, linkedAt: linkedAt, code: nil,
            done: request.query("done") == "unlinked" ? "LINEとの連携を解除しました。" : nil
        ).response()
    }

    func issueResidentCode(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let code = try linking.issueCode(
            residentID: resident.id, issuedBy: .resident, actor: resident.auditActor, now: authentication.now())
        let linkedAt = try database.read { try NoticeStore.fetchActiveLinkDate(residentID: resident.id, on: $0) }
        return LINELinkPages.residentPage(resident: resident, linkedAt: linkedAt, code: code, done: nil).response()
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
        return LINELinkPages.counterPage(
            staff: staff, residentID: residentID, residentName: view.name, linkedAt: view.linkedAt, code: nil,
            done: request.query("done") == "unlinked" ? "LINEとの連携を解除しました。" : nil
        ).response()
    }

    func issueCounterCode(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let residentID = try Self.residentID(request)
        let code = try linking.issueCode(
            residentID: residentID, issuedBy: .counter, actor: staff.auditActor, now: authentication.now())
        let view = try readForCounter(residentID: residentID, staff: staff, request: request)
        return LINELinkPages.counterPage(
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
        let view = try database.auditedRead(event, at: now) { connection -> (name: String, linkedAt: Date?)? in
            guard let resident = try ResidentStore.fetchResident(id: residentID, on: connection) else { return nil }
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
