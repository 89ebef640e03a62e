import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The 町民課 queue: the list, claim (with a lease), the detail page whose heartbeat keeps the lease, the
/// moves of the state machine, the 委任状 download and the service calendar. Every view of a request is audited.
struct StaffCertificateRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.auditedGet("/staff/certificates", auth.staff(showQueue))
        routes.post("/staff/certificates/claim-next", auth.staff(claimNext))
        routes.get("/staff/certificates/calendar", auth.staff(minimum: .admin, showCalendar))
        routes.post("/staff/certificates/calendar", auth.staff(minimum: .admin, addClosedDate))
        routes.auditedGet("/staff/certificates/:id", auth.staff(showRequest))
        routes.auditedGet("/staff/certificates/:id/letter", auth.staff(downloadLetter))
        // A GET that writes (the lease), so on the blocking pool like the audited reads.
        routes.auditedGet("/staff/certificates/:id/heartbeat", auth.staff(beatHeart))
        routes.post("/staff/certificates/:id/claim", auth.staff(claimRequest))
        routes.post("/staff/certificates/:id/release", auth.staff(releaseRequest))
        routes.post("/staff/certificates/:id/actions/:action", auth.staff(actOnRequest))
    }

    // MARK: Handlers

    func showQueue(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let now = authentication.now()
        let event = AuditEvent(
            actor: staff.auditActor, action: "certificate_queue.read", subjectType: "certificate_queue",
            clientAddress: request.clientAddress, requestID: request.requestID)
        let items =
            try database.auditedRead(event, at: now) { (connection: Connection) -> [QueueItem]? in
                let queue = try CertificateStore.fetchQueue(on: connection)
                let names = try ResidentStore.fetchContacts(ids: Set(queue.map(\.residentID)), on: connection)
                return queue.map { QueueItem(request: $0, residentName: names[$0.residentID]?.fullName ?? "") }
            } ?? []
        return StaffCertificatePages.queue(
            items, catalog: workflow.catalog, staff: staff, now: now, message: request.query("message")
        ).response()
    }

    func claimNext(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = try workflow.claimNext(staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        else { return .redirect(to: "/staff/certificates?message=empty") }
        return .redirect(to: "/staff/certificates/\(id)")
    }

    func claimRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.idParameter()
        guard
            try workflow.claim(requestID: id, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        else { return .redirect(to: "/staff/certificates/\(id)?message=held") }
        return .redirect(to: "/staff/certificates/\(id)")
    }

    func releaseRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try workflow.release(requestID: try request.idParameter(), staffID: staff.id, at: authentication.now())
        return .redirect(to: "/staff/certificates")
    }

    /// The detail page. Opening it extends the holder's lease; while it stays open its heartbeat frame does.
    func showRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let now = authentication.now()
        let id = try request.idParameter()
        _ = try workflow.heartbeat(requestID: id, staffID: staff.id, at: now)
        guard let view = try workflow.staffView(requestID: id, staffID: staff.id, origin: request.auditOrigin, at: now)
        else { throw HTTPError.notFound }
        return StaffCertificatePages.detail(
            view, type: workflow.catalog.type(code: view.request.typeCode), staff: staff, now: now,
            message: request.query("message")
        ).response()
    }

    /// The heartbeat frame. A GET with a side effect, and safe as one: it only pushes out a lease the caller
    /// already holds — it never takes an item, never touches another clerk's lease or a lapsed one — so a page
    /// elsewhere that made a clerk's browser load it gains nothing, and a second load does what the first did.
    /// GET is what lets the frame reload itself with `<meta http-equiv="refresh">`, without JavaScript.
    func beatHeart(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let now = authentication.now()
        let id = try request.idParameter()
        let expiry = try workflow.heartbeat(requestID: id, staffID: staff.id, at: now)
        return StaffCertificatePages.heartbeat(
            requestID: id, leaseExpiry: expiry, now: now, refreshSeconds: workflow.heartbeatSeconds)
    }

    func actOnRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.idParameter()
        guard let action = CertificateRules.StaffAction(rawValue: request.parameter("action")) else {
            throw HTTPError.notFound
        }
        let form = try request.form()
        let details = CertificateWorkflow.ActionDetails(
            mailedOn: form["mailed_on"], identityDocument: form["identity_document"].flatMap(IdentityDocument.init),
            reason: form["reason"])
        do {
            try workflow.act(
                action, requestID: id, staffID: staff.id, details: details, origin: request.auditOrigin,
                at: authentication.now())
        } catch let refused as CertificateStepRefused where refused != .notFound {
            // Back to the page with the reason, so the clerk sees what to do next.
            return .redirect(to: "/staff/certificates/\(id)?message=\(refused.status == 409 ? "conflict" : "invalid")")
        }
        return .redirect(to: "/staff/certificates/\(id)?message=done")
    }

    func downloadLetter(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.idParameter()
        let event = AuditEvent(
            actor: staff.auditActor, action: "certificate_letter.read", subjectType: "certificate_request",
            subjectID: String(id), clientAddress: request.clientAddress, requestID: request.requestID)
        guard
            let letter = try database.auditedRead(
                event, at: authentication.now(),
                {
                    try CertificateStore.fetchLetter(requestID: id, on: $0)
                })
        else { throw HTTPError.notFound }
        let fileExtension =
            switch letter.contentType {
            case "image/jpeg": "jpg"
            case "image/png": "png"
            default: "pdf"
            }
        return Response(
            status: 200,
            headers: [
                ("Content-Type", letter.contentType),
                ("Content-Disposition", "attachment; filename=\"letter-of-attorney-\(id).\(fileExtension)\""),
                ("X-Content-Type-Options", "nosniff"),
            ], body: letter.data)
    }

    func showCalendar(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let dates = try database.read { try CertificateStore.fetchClosedDates(on: $0) }
        return StaffCertificatePages.calendar(dates, errors: FormErrors(), staff: staff).response()
    }

    func addClosedDate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        var errors = FormErrors()
        let date = CalendarDate.parse(form["date"] ?? "")
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespaces)
        if date == nil { errors.add("date", "日付を「2026-04-01」の形で入力してください。") }
        if !(1...100).contains(reason.count) { errors.add("reason", "理由を100文字以内で入力してください。") }
        guard let date, errors.isEmpty else {
            let dates = try database.read { try CertificateStore.fetchClosedDates(on: $0) }
            return StaffCertificatePages.calendar(dates, errors: errors, staff: staff).response(status: 422)
        }
        try workflow.addClosedDate(
            date, reason: reason, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/certificates/calendar")
    }
}
