import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// `/api/v1/staff/...`: the staff console's flows as JSON, for a counter tablet or a department's own tools.
/// Described in `Schemas/openapi.yaml`.
///
/// Staff sign in at `/staff/login` and call with that session cookie; state changes carry the session's CSRF
/// token in `X-CSRF-Token` (the `auth.staff` wrapper checks it, and answers 401 JSON without a session). Every
/// rule lives in `ApplicationWorkflow` and every statement in `ApplicationStore`, shared with the console:
/// this file only reads requests and writes JSON. Paths carry application ids and procedure codes, never
/// anything a resident typed; the queue lists no personal data, and the detail — which does — is audited.
struct StaffQueueAPIRoutes: RouteCollection {
    let workflow: ApplicationWorkflow
    let authentication: Authentication

    var catalog: ProcedureCatalog { workflow.catalog }
    var database: Database { workflow.database }

    struct TransitionBody: Decodable {
        /// The status the clerk saw: a move from anything else is a 409, so two people cannot both act on one
        /// state.
        let from: String
        let to: String
        let message: String?
        let templateID: Int64?
        let internalNote: String?

        enum CodingKeys: String, CodingKey {
            case from, to, message
            case templateID = "template_id"
            case internalNote = "internal_note"
        }
    }

    struct NoteBody: Decodable {
        let internalNote: String

        enum CodingKeys: String, CodingKey {
            case internalNote = "internal_note"
        }
    }

    struct TemplateBody: Decodable {
        let title: String
        let toStatus: String?
        let body: String

        enum CodingKeys: String, CodingKey {
            case title, body
            case toStatus = "to_status"
        }
    }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/api/v1/staff/applications", auth.staff(listQueue))
        // Literal before `:id` in the router, so this is never taken for an application id. Both are reads of
        // personal data with their audit row: on the blocking pool (see `Database.auditedRead`).
        routes.auditedGet("/api/v1/staff/applications/export.csv", auth.staff(exportCSV))
        routes.auditedGet("/api/v1/staff/applications/:id", auth.staff(showApplication))
        // Claim and transitions answer with a deferred response: one queued write, no thread waiting for it.
        routes.post("/api/v1/staff/applications/:id/claim", execution: .inline, auth.staff(claimApplication))
        routes.post("/api/v1/staff/applications/:id/release", auth.staff(releaseApplication))
        routes.post(
            "/api/v1/staff/applications/:id/transitions", execution: .inline, auth.staff(moveApplication))
        routes.post("/api/v1/staff/applications/:id/notes", auth.staff(addNote))
        routes.get("/api/v1/staff/templates", auth.staff(listTemplates))
        // Editing the town's wording is for supervisors, as in the console (`/staff/templates`).
        routes.post("/api/v1/staff/templates", auth.staff(minimum: .supervisor, createTemplate))
        routes.add("PUT", "/api/v1/staff/templates/:id", auth.staff(minimum: .supervisor, updateTemplate))
    }

    // MARK: Handlers

    func listQueue(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let query = StaffQueueQuery(request, staff: staff, catalog: catalog)
        guard query.invalid.isEmpty else {
            throw HTTPError.badRequest(
                "絞り込みの指定が正しくありません（\(query.invalid.joined(separator: ", "))）。", code: "invalid_query")
        }
        guard query.outOfRange.isEmpty else {
            let range = StaffQueueQuery.olderThanDaysRange
            throw HTTPError(
                status: 422, code: "out_of_range",
                message:
                    "\(query.outOfRange.joined(separator: ", ")) は\(range.lowerBound)〜\(range.upperBound)の範囲で指定してください。")
        }
        let now = authentication.now()
        let items = try database.read { try ApplicationStore.fetchQueue(query.filter, now: now, on: $0) }
        return try .json(["applications": items.map { StaffQueueItemJSON($0, catalog: catalog, now: now) }])
    }

    func exportCSV(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let procedure = request.query("procedure").flatMap({ catalog.procedure(code: $0) }),
            let period = ExportPeriod(from: request.query("from"), to: request.query("to"))
        else {
            throw HTTPError.badRequest(
                "手続き（procedure）と期間（from・to、YYYY-MM-DD）を正しく指定してください。", code: "invalid_query")
        }
        guard let encoding = CSVExport.Encoding(rawValue: request.query("encoding") ?? "utf8") else {
            throw HTTPError.badRequest("encoding は utf8 か sjis を指定してください。", code: "invalid_query")
        }
        let applications = try workflow.exportApplications(
            procedure: procedure, period: period, staff: staff.id, origin: request.origin, at: authentication.now())
        return StaffQueueRoutes.csvResponse(
            procedure: procedure, period: period, applications: applications, encoding: encoding)
    }

    func showApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let detail = try console.detail(of: try applicationID(request), request: request, staff: staff)
        return try .json(StaffApplicationJSON(detail, catalog: catalog))
    }

    func claimApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        return .deferred { [workflow, authentication] complete in
            workflow.claim(
                applicationID: id, staff: staff.id, origin: request.origin, at: authentication.now(),
                completion: complete)
        } render: { outcome in
            try claimed(id, outcome, staff: staff)
        }
    }

    func claimed(_ id: Int64, _ outcome: ApplicationWorkflow.ClaimOutcome, staff: AuthenticatedStaff) throws
        -> Response
    {
        switch outcome {
        case .claimed:
            break
        case .alreadyAssigned(let holder) where holder == staff.id:
            break  // Pressing twice is not an error: the caller holds it, as they wanted.
        case .alreadyAssigned(nil):
            throw HTTPError(status: 409, code: "not_claimable", message: "この申請は終了しているため担当できません。")
        case .alreadyAssigned:
            throw HTTPError(status: 409, code: "already_assigned", message: "この申請はすでに他の職員が担当しています。")
        }
        return try summary(id)
    }

    func releaseApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        // Clerks give back their own; supervisors may free an application a colleague left behind.
        try workflow.release(
            applicationID: id, staff: staff.id, anyone: staff.role >= .supervisor, origin: request.origin,
            at: authentication.now())
        return try summary(id)
    }

    func moveApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        let body = try request.decodeJSON(TransitionBody.self)
        guard let from = ApplicationStatus(rawValue: body.from), let to = ApplicationStatus(rawValue: body.to) else {
            throw HTTPError.badRequest(
                "from と to には申請の状態（received、in_review など）を指定してください。", code: "invalid_field")
        }
        let move = try workflow.prepareMove(
            from: from, to: to, message: body.message, templateID: body.templateID, internalNote: body.internalNote)
        return .deferred { [workflow, authentication] complete in
            workflow.transition(
                applicationID: id, staff: staff.id, from: move.from, to: move.to, message: move.message,
                internalNote: move.internalNote, origin: request.origin, at: authentication.now(),
                completion: complete)
        } render: { (_: Void) in
            try summary(id)
        }
    }

    func addNote(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        let body = try request.decodeJSON(NoteBody.self)
        try workflow.addCheckedNote(
            applicationID: id, staff: staff.id, note: body.internalNote, origin: request.origin,
            at: authentication.now())
        return Response(status: 204)
    }

    func listTemplates(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let templates = try database.read { try ApplicationStore.fetchTemplates(on: $0) }
        return try .json(["templates": templates.map(TemplateJSON.init)])
    }

    func createTemplate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try saveTemplate(id: nil, request: request, staff: staff)
    }

    func updateTemplate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")), id > 0 else { throw HTTPError.notFound }
        return try saveTemplate(id: id, request: request, staff: staff)
    }

    // MARK: Shared by the handlers

    /// The console, whose audited detail read the API shares.
    var console: StaffQueueRoutes { StaffQueueRoutes(workflow: workflow, authentication: authentication) }

    /// A positive integer id, else 404 — the same answer as an id that does not exist.
    func applicationID(_ request: Request) throws -> Int64 {
        guard let id = Int64(request.parameter("id")), id > 0 else { throw HTTPError.notFound }
        return id
    }

    /// The application's state after a change: no answers, so no read to audit.
    func summary(_ id: Int64) throws -> Response {
        guard let application = try database.read({ try ApplicationStore.fetchApplication(id: id, on: $0) }) else {
            throw HTTPError.notFound
        }
        return try .json(StaffApplicationSummaryJSON(application))
    }

    func saveTemplate(id: Int64?, request: Request, staff: AuthenticatedStaff) throws -> Response {
        let body = try request.decodeJSON(TemplateBody.self)
        var toStatus: ApplicationStatus?
        if let text = body.toStatus {
            guard let status = ApplicationStatus(rawValue: text) else {
                throw ApplicationWorkflow.templateStatusRefused
            }
            toStatus = status
        }
        let saved = try workflow.saveTemplate(
            id: id, title: body.title, toStatus: toStatus, body: body.body, staff: staff.id, origin: request.origin,
            at: authentication.now())
        guard let template = try database.read({ try ApplicationStore.fetchTemplate(id: saved, on: $0) }) else {
            throw HTTPError.notFound
        }
        return try .json(TemplateJSON(template), status: id == nil ? 201 : 200)
    }
}

// MARK: JSON shapes (snake_case, as in openapi.yaml)

/// One queue line: what the console's table shows, no personal data.
struct StaffQueueItemJSON: Encodable {
    let id: Int64
    let reference: String
    let procedure_code: String
    let procedure_name: String
    let department: String
    let status: String
    let channel: String
    let submitted_at: String
    let days_waiting: Int
    let assigned_staff_id: Int64?
    let assigned_staff_name: String?

    init(_ item: QueueItem, catalog: ProcedureCatalog, now: Date) {
        id = item.id
        reference = item.reference
        procedure_code = item.procedureCode
        procedure_name = catalog.procedure(code: item.procedureCode)?.name ?? item.procedureCode
        department = item.department
        status = item.status.rawValue
        channel = item.channel.rawValue
        submitted_at = UTCTimestamp.format(item.submittedAt)
        days_waiting = max(0, Int(now.timeIntervalSince(item.submittedAt) / 86_400))
        assigned_staff_id = item.assignedStaffID
        assigned_staff_name = item.assignedStaffName
    }
}

/// An application's state after claim, release or a move. No answers.
struct StaffApplicationSummaryJSON: Encodable {
    let id: Int64
    let reference: String
    let procedure_code: String
    let department: String
    let status: String
    let channel: String
    let submitted_at: String?
    let updated_at: String
    let assigned_staff_id: Int64?
    /// The moves the state machine allows from here (for the assignee).
    let allowed_transitions: [String]

    init(_ application: StoredApplication) {
        id = application.id
        reference = application.reference ?? ""
        procedure_code = application.procedureCode
        department = application.department
        status = application.status.rawValue
        channel = application.channel.rawValue
        submitted_at = application.submittedAt.map(UTCTimestamp.format)
        updated_at = UTCTimestamp.format(application.updatedAt)
        assigned_staff_id = application.assignedStaffID
        allowed_transitions = ApplicationRules.staffTargets(from: application.status).map(\.rawValue)
    }
}

/// The audited detail: what the console's detail page shows, including internal notes.
struct StaffApplicationJSON: Encodable {
    struct Attachment: Encodable {
        let id: Int64
        let field: String
        let filename: String
        let content_type: String
        let size: Int
        let sha256: String
        /// The console's download route; it takes the same session cookie and is itself audited.
        let download_path: String
    }

    struct Event: Encodable {
        let id: Int64
        let kind: String
        let actor_type: String
        let actor_id: Int64?
        let actor_name: String?
        let at: String
        let from_status: String?
        let to_status: String?
        let message: String?
        let internal_note: String?
    }

    let id: Int64
    let reference: String
    let procedure_code: String
    let procedure_name: String
    let procedure_version: Int
    let department: String
    let status: String
    let channel: String
    /// No resident account: the applicant holds the reference and a secret.
    let guest: Bool
    let resident_id: Int64?
    let entered_by_staff_id: Int64?
    let fee_yen: Int
    let submitted_at: String?
    let updated_at: String
    let closed_at: String?
    let retain_until: String?
    /// Past retention: answers, files and messages are gone; the rest stays for the statistics.
    let purged: Bool
    let assigned_staff_id: Int64?
    let assigned_staff_name: String?
    let allowed_transitions: [String]
    let answers: [String: AnswerValue]
    let attachments: [Attachment]
    let events: [Event]

    init(_ detail: StaffApplicationDetail, catalog: ProcedureCatalog) {
        let application = detail.application
        id = application.id
        reference = application.reference ?? ""
        procedure_code = application.procedureCode
        procedure_name = catalog.procedure(code: application.procedureCode)?.name ?? application.procedureCode
        procedure_version = application.procedureVersion
        department = application.department
        status = application.status.rawValue
        channel = application.channel.rawValue
        guest = application.isGuest
        resident_id = application.residentID
        entered_by_staff_id = application.enteredByStaffID
        fee_yen = application.feeYen
        submitted_at = application.submittedAt.map(UTCTimestamp.format)
        updated_at = UTCTimestamp.format(application.updatedAt)
        closed_at = application.closedAt.map(UTCTimestamp.format)
        retain_until = application.retainUntil.map(UTCTimestamp.format)
        purged = application.purgedAt != nil
        assigned_staff_id = application.assignedStaffID
        assigned_staff_name = application.assignedStaffID.flatMap { detail.staffNames[$0] }
        allowed_transitions = ApplicationRules.staffTargets(from: application.status).map(\.rawValue)
        answers = application.answers
        attachments = detail.files.map {
            Attachment(
                id: $0.id, field: $0.field, filename: $0.filename, content_type: $0.contentType, size: $0.size,
                sha256: $0.sha256, download_path: "/staff/applications/\(application.id)/attachments/\($0.id)")
        }
        events = detail.events.map { event in
            let actor = event.actor.columns
            return Event(
                id: event.id, kind: event.kind.rawValue, actor_type: actor.type, actor_id: actor.id,
                actor_name: actor.type == "staff" ? actor.id.flatMap { detail.staffNames[$0] } : nil,
                at: UTCTimestamp.format(event.at), from_status: event.fromStatus?.rawValue,
                to_status: event.toStatus?.rawValue, message: event.message, internal_note: event.internalNote)
        }
    }
}

struct TemplateJSON: Encodable {
    let id: Int64
    let title: String
    let to_status: String?
    let body: String

    init(_ template: ResponseTemplate) {
        id = template.id
        title = template.title
        to_status = template.toStatus?.rawValue
        body = template.body
    }
}
