import Cryptography
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The staff side: the review queue, claiming, the audited detail view, status moves with messages, file
/// downloads, CSV export, response templates and counter proxy entry (書かない窓口).
struct StaffQueueRoutes: RouteCollection {
    let workflow: ApplicationWorkflow
    let authentication: Authentication

    var catalog: ProcedureCatalog { workflow.catalog }
    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/applications", auth.staff(showQueue))
        routes.get("/staff/applications/export", auth.staff(showExportForm))
        // Reads of personal data with their audit row: on the blocking pool (see `Database.auditedRead`).
        routes.auditedGet("/staff/applications/export.csv", auth.staff(exportCSV))
        routes.auditedGet("/staff/applications/:id", auth.staff(showApplication))
        routes.post("/staff/applications/:id/claim", execution: .inline, auth.staff(claimApplication))
        routes.post("/staff/applications/:id/release", auth.staff(releaseApplication))
        routes.post("/staff/applications/:id/transition", auth.staff(moveApplication))
        routes.post("/staff/applications/:id/note", auth.staff(addNote))
        routes.auditedGet("/staff/applications/:id/attachments/:attachment", auth.staff(downloadAttachment))
        routes.get("/staff/templates", auth.staff(minimum: .supervisor, showTemplates))
        routes.post("/staff/templates", auth.staff(minimum: .supervisor, saveTemplate))

        // Counter proxy entry (書かない窓口). The form reads the resident's record to prefill it, audited.
        routes.get("/staff/counter", auth.staff(showCounterStart))
        routes.auditedGet("/staff/counter/:code", auth.staff(showCounterForm))
        routes.post(
            "/staff/counter/:code", maximumBodyBytes: uploadBodyLimit,
            auth.acceptingMultipart(auth.staff(saveCounterDraft)))
        routes.post("/staff/counter/submit", auth.staff(submitCounterDraft))
    }

    // MARK: Handlers

    func showQueue(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        // The page ignores filter values it does not know, like any other search form.
        let query = StaffQueueQuery(request, staff: staff, catalog: catalog)
        let items = try database.read {
            try ApplicationStore.fetchQueue(query.filter, now: authentication.now(), on: $0)
        }
        return StaffQueuePages.queue(
            items: items, filter: query.filter, departmentChoice: query.departmentChoice, mine: query.mine,
            catalog: catalog, staff: staff, now: authentication.now()
        ).response()
    }

    func showExportForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        StaffQueuePages.exportForm(catalog: catalog, staff: staff).response()
    }

    func exportCSV(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let procedure = request.query("procedure").flatMap({ catalog.procedure(code: $0) }),
            let period = ExportPeriod(from: request.query("from"), to: request.query("to"))
        else {
            throw HTTPError.badRequest("手続きと期間（開始日・終了日）を正しく指定してください。")
        }
        let encoding = CSVExport.Encoding(rawValue: request.query("encoding") ?? "utf8") ?? .utf8BOM
        let applications = try workflow.exportApplications(
            procedure: procedure, period: period, staff: staff.id, origin: request.origin, at: authentication.now())
        return Self.csvResponse(procedure: procedure, period: period, applications: applications, encoding: encoding)
    }

    func showApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let detail = try detail(of: try applicationID(request), request: request, staff: staff)
        return StaffQueuePages.detail(
            detail, procedure: catalog.procedure(code: detail.application.procedureCode), staff: staff,
            notice: request.query("done").flatMap(StaffQueuePages.notice(for:))
        ).response()
    }

    func claimApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        return .deferred { [workflow, authentication] complete in
            workflow.claim(
                applicationID: id, staff: staff.id, origin: request.origin, at: authentication.now(),
                completion: complete)
        } render: { outcome in
            if case .alreadyAssigned(let holder) = outcome, holder != staff.id {
                throw HTTPError(status: 409, code: "already_assigned", message: "この申請はすでに他の職員が担当しています。")
            }
            return .redirect(to: "/staff/applications/\(id)?done=claimed")
        }
    }

    func releaseApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        try workflow.release(
            applicationID: id, staff: staff.id, anyone: staff.role >= .supervisor, origin: request.origin,
            at: authentication.now())
        return .redirect(to: "/staff/applications/\(id)?done=released")
    }

    func moveApplication(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        let form = try request.form()
        guard let from = form["from"].flatMap(ApplicationStatus.init(rawValue:)),
            let to = form["to"].flatMap(ApplicationStatus.init(rawValue:))
        else { throw HTTPError.badRequest("変更後の状態を選んでください。") }
        do {
            let move = try workflow.prepareMove(
                from: from, to: to, message: form["message"], templateID: form["template_id"].flatMap(Int64.init),
                internalNote: form["internal_note"])
            try workflow.move(
                applicationID: id, move, staff: staff.id, origin: request.origin, at: authentication.now())
        } catch ApplicationStepRefused.invalid(let reason) {
            // A refused move (e.g. 要訂正 without a message) shows the page again with the reason beside the
            // message field and everything typed kept, rather than a dead-end error page.
            let detail = try detail(of: id, request: request, staff: staff)
            return StaffQueuePages.detail(
                detail, procedure: catalog.procedure(code: detail.application.procedureCode), staff: staff, notice: nil,
                transition: StaffQueuePages.TransitionInput(
                    to: form["to"], templateID: form["template_id"], message: form["message"] ?? "",
                    internalNote: form["internal_note"] ?? "", error: reason)
            ).response(status: 422)
        }
        return .redirect(to: "/staff/applications/\(id)?done=moved")
    }

    func addNote(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        let note = try request.form()["internal_note"] ?? ""
        try workflow.addCheckedNote(
            applicationID: id, staff: staff.id, note: note, origin: request.origin, at: authentication.now())
        return .redirect(to: "/staff/applications/\(id)?done=noted")
    }

    func downloadAttachment(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try applicationID(request)
        guard let attachmentID = Int64(request.parameter("attachment")),
            let (info, data) = try workflow.readAttachmentForStaff(
                attachmentID: attachmentID, applicationID: id, staff: staff.id, origin: request.origin,
                at: authentication.now())
        else { throw HTTPError.notFound }
        // Always a download, never rendered inline: a crafted PDF or image cannot run in our origin.
        let asciiName = "attachment-\(info.id).\(Self.fileExtension(info.contentType))"
        let encodedName = info.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? asciiName
        return Response(
            status: 200,
            headers: [
                ("Content-Type", info.contentType),
                ("Content-Disposition", "attachment; filename=\"\(asciiName)\"; filename*=UTF-8''\(encodedName)"),
                ("X-Content-Type-Options", "nosniff"),
            ], body: data)
    }

    func showTemplates(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let templates = try database.read { try ApplicationStore.fetchTemplates(on: $0) }
        return StaffQueuePages.templates(templates, staff: staff).response()
    }

    func saveTemplate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        try workflow.saveTemplate(
            id: form["id"].flatMap(Int64.init), title: form["title"] ?? "",
            toStatus: form["to_status"].flatMap(ApplicationStatus.init(rawValue:)), body: form["body"] ?? "",
            staff: staff.id, origin: request.origin, at: authentication.now())
        return .redirect(to: "/staff/templates")
    }

    func showCounterStart(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        StaffQueuePages.counterStart(catalog: catalog, staff: staff).response()
    }

    func showCounterForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let procedure = catalog.procedure(code: request.parameter("code")) else { throw HTTPError.notFound }
        let residentID = request.query("resident").flatMap(Int64.init)
        var values: SubmittedValues = [:]
        if let residentID {
            guard
                let resident = try workflow.readResidentForCounter(
                    residentID: residentID, staff: staff.id, origin: request.origin, at: authentication.now())
            else { throw HTTPError.notFound }
            values = ApplicationRoutes.prefill(procedure, from: resident.profile)
        }
        return StaffQueuePages.counterForm(
            procedure: procedure, residentID: residentID, values: values, errors: FormErrors(), storedFiles: [],
            formToken: SecureRandom.token(), staff: staff
        ).response()
    }

    func saveCounterDraft(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let procedure = catalog.procedure(code: request.parameter("code")) else { throw HTTPError.notFound }
        let (values, parts) = try request.formValues()
        let formToken = try ApplicationRoutes.formToken(in: values)
        let residentID = values["resident_id"]?.first.flatMap(Int64.init)
        let now = authentication.now()
        let existing = try database.read { try ApplicationStore.fetchApplication(submissionToken: formToken, on: $0) }
        let storedSizes = try existing.map { try workflow.storedFileSizes(applicationID: $0.id) } ?? [:]
        let form = CheckedForm(values, parts: parts, procedure: procedure, storedSizes: storedSizes, today: now)
        let result = try workflow.saveDraft(
            procedure: procedure, applicant: .counter(staffID: staff.id, residentID: residentID), answers: form.answers,
            attachments: form.files, formToken: formToken, at: now)
        guard case .saved(let draftID) = result else {
            throw ApplicationStepRefused.conflict("この申請はすでに受け付けています。")
        }
        let stored = try database.read { try ApplicationStore.fetchAttachments(applicationID: draftID, on: $0) }
        guard form.errors.isEmpty else {
            return StaffQueuePages.counterForm(
                procedure: procedure, residentID: residentID, values: values, errors: form.errors, storedFiles: stored,
                formToken: formToken, staff: staff
            ).response(status: 422)
        }
        return StaffQueuePages.counterConfirm(
            procedure: procedure, residentID: residentID, answers: form.answers, files: stored, formToken: formToken,
            errors: FormErrors(), staff: staff
        ).response()
    }

    func submitCounterDraft(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        guard let formToken = form["form_token"] else { throw HTTPError.notFound }
        let residentID = form["resident_id"].flatMap(Int64.init)
        guard form["resident_confirmed"] == "true" else {
            return try counterConfirmAgain(formToken: formToken, residentID: residentID, staff: staff)
        }
        let outcome = try workflow.submit(
            formToken: formToken, applicant: .counter(staffID: staff.id, residentID: residentID),
            origin: request.origin, at: authentication.now())
        let (application, secret, repeated) =
            switch outcome {
            case .submitted(let application, let secret): (application, secret, false)
            case .alreadySubmitted(let application): (application, nil as String?, true)
            }
        return StaffQueuePages.counterComplete(
            application: application, guestSecret: secret, repeated: repeated, staff: staff
        ).response()
    }

    // MARK: Helpers

    typealias Detail = StaffApplicationDetail

    func applicationID(_ request: Request) throws -> Int64 {
        guard let id = Int64(request.parameter("id")) else { throw HTTPError.notFound }
        return id
    }

    /// The audited detail of a submitted application; a 404 for an unknown id or a draft.
    func detail(of id: Int64, request: Request, staff: AuthenticatedStaff) throws -> StaffApplicationDetail {
        guard
            let detail = try workflow.readForStaff(
                applicationID: id, staff: staff.id, origin: request.origin, at: authentication.now())
        else { throw HTTPError.notFound }
        return detail
    }

    /// The counter's confirmation page again, when the clerk has not ticked that the resident checked it.
    func counterConfirmAgain(formToken: String, residentID: Int64?, staff: AuthenticatedStaff) throws -> Response {
        guard
            let draft = try database.read({ try ApplicationStore.fetchApplication(submissionToken: formToken, on: $0) }
            ),
            let procedure = catalog.procedure(code: draft.procedureCode)
        else { throw HTTPError.notFound }
        let files = try database.read { try ApplicationStore.fetchAttachments(applicationID: draft.id, on: $0) }
        var errors = FormErrors()
        errors.add("resident_confirmed", "申請者ご本人に内容を確認していただき、チェックを入れてください。")
        return StaffQueuePages.counterConfirm(
            procedure: procedure, residentID: residentID, answers: draft.answers, files: files, formToken: formToken,
            errors: errors, staff: staff
        ).response(status: 422)
    }

    /// The CSV download, the same for the console and the API: always an attachment, named by procedure and
    /// period only (never by anything a resident typed).
    static func csvResponse(
        procedure: Procedure, period: ExportPeriod, applications: [StoredApplication], encoding: CSVExport.Encoding
    ) -> Response {
        let rows = CSVExport.rows(procedure: procedure, applications: applications)
        let charset = encoding == .shiftJIS ? "Shift_JIS" : "utf-8"
        let fileName = "\(procedure.code)-\(period.fromDay)-\(period.toDay).csv"
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=\(charset)"),
                ("Content-Disposition", "attachment; filename=\"\(fileName)\""),
            ], body: CSVExport.document(rows, encoding: encoding))
    }

    static func fileExtension(_ contentType: String) -> String {
        switch contentType {
        case "image/jpeg": "jpg"
        case "image/png": "png"
        default: "pdf"
        }
    }
}

/// The queue's filters, read from the query string the same way for the console and the API: `department`
/// (a 担当課, or `all`; the caller's own by default), `procedure` (a code), `status` (one submitted status; by
/// default the open ones), `older_than_days` (waiting at least that long), `mine` (`1`: assigned to the caller)
/// and `limit`.
struct StaffQueueQuery {
    var filter = QueueFilter()
    /// `all` or the department shown, for the console's select box.
    var departmentChoice: String
    var mine = false
    /// Names of parameters whose value was not understood. The console ignores them, as any search form
    /// would; the API answers 400 so a typo is not silently read as "everything".
    var invalid: [String] = []
    /// Names of parameters whose number was understood but lies outside its range (the API answers 422).
    var outOfRange: [String] = []

    static let olderThanDaysRange = 0...3650

    init(_ request: Request, staff: AuthenticatedStaff, catalog: ProcedureCatalog) {
        departmentChoice = request.query("department") ?? staff.department.rawValue
        if departmentChoice != "all" {
            filter.department = Department(rawValue: departmentChoice)?.rawValue
            if filter.department == nil { invalid.append("department") }
        }
        if let code = request.query("procedure"), !code.isEmpty {
            filter.procedureCode = catalog.procedure(code: code)?.code
            if filter.procedureCode == nil { invalid.append("procedure") }
        }
        // An empty status, older_than_days or mine is "not understood" too: the console's form sends empty values
        // for "not chosen" and ignores `invalid`, but an API client that sent `status=` gets a 400, not the open
        // applications it did not ask for (schemathesis sent `?mine=&status=` and got a 200).
        if let status = request.query("status") {
            filter.status = ApplicationStatus(rawValue: status).flatMap {
                ApplicationStatus.submitted.contains($0) ? $0 : nil
            }
            if filter.status == nil { invalid.append("status") }
        }
        if let days = request.query("older_than_days") {
            // Ten years covers every retention period; more would only overflow the date arithmetic. Out of range
            // is refused rather than clamped, so a client never gets a list filtered by a number it did not send.
            if let value = Int(days) {
                if Self.olderThanDaysRange.contains(value) {
                    filter.olderThanDays = value
                } else {
                    outOfRange.append("older_than_days")
                }
            } else {
                invalid.append("older_than_days")
            }
        }
        switch request.query("mine") {
        case nil, "0", "false": break
        case "1", "true":
            mine = true
            filter.assignedStaffID = staff.id
        default: invalid.append("mine")
        }
        if let limit = request.query("limit") {
            if let value = Int(limit), (1...1000).contains(value) {
                filter.limit = value
            } else {
                invalid.append("limit")
            }
        }
    }
}
