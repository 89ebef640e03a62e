import Cryptography
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The body limit of routes that take files: the per-application cap plus room for the text fields.
let uploadBodyLimit = AttachmentRules.maximumApplicationBytes + 512 * 1024

/// Someone on the resident side: signed in, or a guest with a pre-session CSRF token.
struct Visitor: Sendable {
    let resident: AuthenticatedResident?
    let csrfToken: String

    var applicant: Applicant { resident.map { .resident(id: $0.id) } ?? .guest }
}

extension Authentication {
    /// Residents with their session (and its CSRF token), everyone else as a guest with a signed token.
    func residentOrGuest(_ handler: @escaping @Sendable (Request, Visitor) throws -> Response) -> Handler {
        let asGuest = guest { request, form in try handler(request, Visitor(resident: nil, csrfToken: form.csrfToken)) }
        return resident({ request, resident in
            try handler(request, Visitor(resident: resident, csrfToken: resident.csrfToken))
        }, otherwise: asGuest)
    }
}

extension Request {
    var origin: RequestOrigin { RequestOrigin(clientAddress: clientAddress, requestID: requestID) }
}

/// A submitted form checked against its procedure, counting the files already stored for it: the answers, the
/// accepted files and the messages to show beside the fields. The same for the resident's form and correction,
/// the counter form and the API.
struct CheckedForm {
    let answers: Answers
    let files: [NewAttachment]
    let errors: FormErrors

    init(
        _ values: SubmittedValues, parts: [MultipartPart], procedure: Procedure, storedSizes: [String: Int], today: Date
    ) {
        let files = AttachmentRules.check(parts: parts, procedure: procedure, existingBytes: storedSizes)
        let fieldsWithFile = Set(storedSizes.keys).union(files.accepted.map(\.field))
        let checked = FieldValidation.validate(
            values, for: procedure, today: today, files: .init(fieldsWithFile: fieldsWithFile, errors: files.errors))
        self.answers = checked.answers
        self.files = files.accepted
        self.errors = checked.errors
    }
}

/// The resident pages: catalog, form → confirm → submit → completion, status, correction, withdrawal and the
/// guest lookup.
struct ApplicationRoutes: RouteCollection {
    let workflow: ApplicationWorkflow
    let authentication: Authentication
    let published: PublishedCatalog

    var catalog: ProcedureCatalog { workflow.catalog }
    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/applications", showCatalog)
        routes.get("/applications/new/:code", auth.residentOrGuest(showNewForm))
        routes.post(
            "/applications/new/:code", maximumBodyBytes: uploadBodyLimit,
            auth.acceptingMultipart(auth.residentOrGuest(saveDraft)))
        // The confirmation page's 「入力内容を修正する」: the form again, filled from the saved draft. The browser's
        // Back button would land on a POST result and ask to resend it, which strands elderly residents.
        routes.post("/applications/revise", auth.residentOrGuest(reviseDraft))
        // Inline with a deferred answer: the confirm step is one queued write, and no thread waits for its commit.
        routes.post("/applications/submit", execution: .inline, auth.residentOrGuest(submitDraft))

        // Literal routes are matched before `:reference`, so these are not taken for references.
        routes.get("/applications/lookup", auth.residentOrGuest(showLookupForm))
        routes.post("/applications/lookup", auth.residentOrGuest(lookUpAsGuest))
        // 取下げ asks first (one tap used to withdraw): the status page's button leads to a confirmation page.
        routes.post("/applications/lookup/confirm-withdrawal", auth.residentOrGuest(confirmWithdrawalAsGuest))
        routes.post("/applications/lookup/withdraw", auth.residentOrGuest(withdrawAsGuest))
        routes.post("/applications/lookup/edit", auth.residentOrGuest(showEditFormAsGuest))
        routes.post(
            "/applications/lookup/resubmit", maximumBodyBytes: uploadBodyLimit,
            auth.acceptingMultipart(auth.residentOrGuest(resubmitAsGuest)))

        routes.get("/applications/:reference", auth.resident(showStatus))
        routes.get("/applications/:reference/withdraw", auth.resident(confirmWithdrawal))
        routes.post("/applications/:reference/withdraw", auth.resident(withdrawApplication))
        routes.get("/applications/:reference/edit", auth.resident(showEditForm))
        routes.post(
            "/applications/:reference/edit", maximumBodyBytes: uploadBodyLimit,
            auth.acceptingMultipart(auth.resident(resubmitApplication)))
    }

    // MARK: Handlers

    /// A visitor who is not signed in and has not searched gets the page rendered at start-up (with its ETag);
    /// a signed-in resident's page names them, so it is rendered for them and not cached.
    func showCatalog(_ request: Request) throws -> Response {
        let query = request.query("q") ?? ""
        let resident = try authentication.currentResident(request)
        if resident == nil && query.isEmpty { return published.guestCatalogPage.response(to: request) }
        return ApplicationPages.catalog(catalog, query: query, resident: resident).response()
    }

    func showNewForm(_ request: Request, _ visitor: Visitor) throws -> Response {
        let procedure = try procedure(request)
        var values: SubmittedValues = [:]
        if let resident = visitor.resident,
            let profile = try database.read({ try ResidentStore.fetchResident(id: resident.id, on: $0) })?.profile
        {
            values = Self.prefill(procedure, from: profile)
        }
        return ApplicationPages.form(
            procedure: procedure, values: values, errors: FormErrors(), storedFiles: [],
            formToken: SecureRandom.token(), csrfToken: visitor.csrfToken, resident: visitor.resident
        ).response()
    }

    /// Saves the form as the draft of its token, then shows the confirmation page, or the form again with its
    /// errors. A form that became an application already shows its completion page again.
    func saveDraft(_ request: Request, _ visitor: Visitor) throws -> Response {
        let procedure = try procedure(request)
        let (values, parts) = try request.formValues()
        let formToken = try Self.formToken(in: values)
        let now = authentication.now()
        let existing = try database.read { try ApplicationStore.fetchApplication(submissionToken: formToken, on: $0) }
        if let existing, existing.status != .draft, existing.residentID == visitor.resident?.id {
            return ApplicationPages.complete(
                application: existing, procedure: procedure, guestSecret: nil, repeated: true,
                resident: visitor.resident
            ).response()
        }
        let storedSizes = try existing.map { try workflow.storedFileSizes(applicationID: $0.id) } ?? [:]
        let form = CheckedForm(values, parts: parts, procedure: procedure, storedSizes: storedSizes, today: now)
        // Accepted files are kept even when other fields have errors, so nobody has to pick them again.
        let result = try workflow.saveDraft(
            procedure: procedure, applicant: visitor.applicant, answers: form.answers, attachments: form.files,
            formToken: formToken, at: now)
        guard case .saved(let draftID) = result else { throw HTTPError.notFound }
        let stored = try database.read { try ApplicationStore.fetchAttachments(applicationID: draftID, on: $0) }
        guard form.errors.isEmpty else {
            return ApplicationPages.form(
                procedure: procedure, values: values, errors: form.errors, storedFiles: stored, formToken: formToken,
                csrfToken: visitor.csrfToken, resident: visitor.resident
            ).response(status: 422)
        }
        return ApplicationPages.confirm(
            procedure: procedure, answers: form.answers, files: stored, formToken: formToken,
            csrfToken: visitor.csrfToken, resident: visitor.resident
        ).response()
    }

    func reviseDraft(_ request: Request, _ visitor: Visitor) throws -> Response {
        guard let formToken = try request.form()["form_token"],
            let draft = try database.read({ try ApplicationStore.fetchApplication(submissionToken: formToken, on: $0) }
            ),
            draft.status == .draft, draft.residentID == visitor.resident?.id,
            let procedure = catalog.procedure(code: draft.procedureCode)
        else { throw HTTPError.notFound }
        let stored = try database.read { try ApplicationStore.fetchAttachments(applicationID: draft.id, on: $0) }
        return ApplicationPages.form(
            procedure: procedure, values: ApplicationPages.values(from: draft.answers), errors: FormErrors(),
            storedFiles: stored, formToken: formToken, csrfToken: visitor.csrfToken, resident: visitor.resident
        ).response()
    }

    func submitDraft(_ request: Request, _ visitor: Visitor) throws -> Response {
        guard let formToken = try request.form()["form_token"] else { throw HTTPError.notFound }
        let (applicant, origin, now) = (visitor.applicant, request.origin, authentication.now())
        return .deferred { [workflow] complete in
            workflow.submit(formToken: formToken, applicant: applicant, origin: origin, at: now, completion: complete)
        } render: { outcome in
            completionPage(outcome, visitor: visitor)
        }
    }

    func completionPage(_ outcome: ApplicationWorkflow.SubmitOutcome, visitor: Visitor) -> Response {
        let (application, secret, repeated) =
            switch outcome {
            case .submitted(let application, let secret): (application, secret, false)
            case .alreadySubmitted(let application): (application, nil as String?, true)
            }
        return ApplicationPages.complete(
            application: application, procedure: catalog.procedure(code: application.procedureCode),
            guestSecret: secret, repeated: repeated, resident: visitor.resident
        ).response()
    }

    func showLookupForm(_ request: Request, _ visitor: Visitor) throws -> Response {
        ApplicationPages.lookup(
            errors: FormErrors(), reference: "", csrfToken: visitor.csrfToken, resident: visitor.resident
        )
        .response()
    }

    func lookUpAsGuest(_ request: Request, _ visitor: Visitor) throws -> Response {
        let form = try request.form()
        let reference = form["reference"] ?? ""
        let secret = form["guest_secret"] ?? ""
        let found: StoredApplication?
        do {
            found = try workflow.lookUp(
                reference: reference, secret: secret, origin: request.origin, at: authentication.now())
        } catch let throttled as GuestLookupThrottled {
            // The form again, with the reason beside the field, as the login page does when it is throttled.
            var errors = FormErrors()
            errors.add("reference", throttled.message)
            var response = ApplicationPages.lookup(
                errors: errors, reference: reference, csrfToken: visitor.csrfToken, resident: visitor.resident
            ).response(status: throttled.status)
            response.headers.append(contentsOf: throttled.headers)
            return response
        }
        guard let application = found else {
            var errors = FormErrors()
            if ReferenceNumber.normalize(reference) == nil {
                errors.add("reference", "受付番号が正しくありません。8文字の受付番号を、表示されたとおりに入力してください。")
            } else {
                errors.add("reference", "受付番号または確認コードが違います。")
            }
            return ApplicationPages.lookup(
                errors: errors, reference: reference, csrfToken: visitor.csrfToken, resident: visitor.resident
            ).response(status: 422)
        }
        return try guestStatus(application, secret: secret, visitor: visitor)
    }

    /// The application a guest's form names by reference and secret, checked through the lookup throttle; 404
    /// otherwise. Every guest action button goes through it, so none is a way round the throttle.
    func guestApplication(reference: String?, secret: String, request: Request) throws -> StoredApplication {
        guard
            let application = try workflow.guestApplication(
                reference: reference ?? "", secret: secret, origin: request.origin, at: authentication.now())
        else { throw HTTPError.notFound }
        return application
    }

    func confirmWithdrawalAsGuest(_ request: Request, _ visitor: Visitor) throws -> Response {
        let form = try request.form()
        let secret = form["guest_secret"] ?? ""
        let application = try guestApplication(reference: form["reference"], secret: secret, request: request)
        guard ApplicationRules.residentMayWithdraw(application.status) else {
            return try guestStatus(
                application, secret: secret, visitor: visitor, notice: Self.withdrawnNotice(application))
        }
        return ApplicationPages.confirmWithdrawal(
            application: application, procedure: catalog.procedure(code: application.procedureCode),
            action: "/applications/lookup/withdraw",
            hidden: [("reference", application.reference ?? ""), ("guest_secret", secret)],
            back: nil, csrfToken: visitor.csrfToken, resident: visitor.resident
        ).response()
    }

    func withdrawAsGuest(_ request: Request, _ visitor: Visitor) throws -> Response {
        let form = try request.form()
        let secret = form["guest_secret"] ?? ""
        let application = try guestApplication(reference: form["reference"], secret: secret, request: request)
        if application.status == .withdrawn {
            return try guestStatus(application, secret: secret, visitor: visitor, notice: Self.alreadyWithdrawn)
        }
        try workflow.withdraw(
            applicationID: application.id, applicant: .guest, origin: request.origin, at: authentication.now())
        return try guestStatus(reloaded(application), secret: secret, visitor: visitor, notice: "申請を取り下げました。")
    }

    func showEditFormAsGuest(_ request: Request, _ visitor: Visitor) throws -> Response {
        let form = try request.form()
        let secret = form["guest_secret"] ?? ""
        let application = try guestApplication(reference: form["reference"], secret: secret, request: request)
        guard let reference = application.reference else { throw HTTPError.notFound }
        return try editPage(
            application, values: ApplicationPages.values(from: application.answers), errors: FormErrors(),
            action: "/applications/lookup/resubmit", hidden: [("reference", reference), ("guest_secret", secret)],
            visitor: visitor)
    }

    func resubmitAsGuest(_ request: Request, _ visitor: Visitor) throws -> Response {
        let (values, parts) = try request.formValues()
        let secret = values["guest_secret"]?.first ?? ""
        let application = try guestApplication(reference: values["reference"]?.first, secret: secret, request: request)
        guard let reference = application.reference else { throw HTTPError.notFound }
        if let response = try resubmit(
            application, values: values, parts: parts, applicant: .guest, request: request, visitor: visitor,
            action: "/applications/lookup/resubmit", hidden: [("reference", reference), ("guest_secret", secret)])
        {
            return response
        }
        return try guestStatus(
            reloaded(application), secret: secret, visitor: visitor, notice: "訂正した内容で再送信しました。")
    }

    func showStatus(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        let (events, files) = try database.read { connection in
            (
                try ApplicationStore.fetchEvents(applicationID: application.id, on: connection),
                try ApplicationStore.fetchAttachments(applicationID: application.id, on: connection)
            )
        }
        // After a POST the browser lands here; say what happened, as the guest lookup page does.
        let notice: String? =
            switch request.query("done") {
            case "resubmitted": "訂正した内容で再送信しました。"
            case "withdrawn": "申請を取り下げました。"
            case "already-withdrawn": Self.alreadyWithdrawn
            default: nil
            }
        return ApplicationPages.status(
            application: application, procedure: catalog.procedure(code: application.procedureCode), events: events,
            files: files, resident: resident, notice: notice
        ).response()
    }

    func confirmWithdrawal(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        let reference = application.reference ?? ""
        guard ApplicationRules.residentMayWithdraw(application.status) else {
            let done = application.status == .withdrawn ? "?done=already-withdrawn" : ""
            return .redirect(to: "/applications/\(reference)\(done)")
        }
        return ApplicationPages.confirmWithdrawal(
            application: application, procedure: catalog.procedure(code: application.procedureCode),
            action: "/applications/\(reference)/withdraw", hidden: [], back: "/applications/\(reference)",
            csrfToken: resident.csrfToken, resident: resident
        ).response()
    }

    func withdrawApplication(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        // A second tap (or the Back button and a resend) says it is done, not that review has started.
        if application.status == .withdrawn {
            return .redirect(to: "/applications/\(application.reference ?? "")?done=already-withdrawn")
        }
        try workflow.withdraw(
            applicationID: application.id, applicant: .resident(id: resident.id), origin: request.origin,
            at: authentication.now())
        return .redirect(to: "/applications/\(application.reference ?? "")?done=withdrawn")
    }

    func showEditForm(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        guard ApplicationRules.residentMayResubmit(application.status) else {
            return .redirect(to: "/applications/\(application.reference ?? "")")
        }
        return try editPage(
            application, values: ApplicationPages.values(from: application.answers), errors: FormErrors(),
            action: "/applications/\(application.reference ?? "")/edit", hidden: [],
            visitor: Visitor(resident: resident, csrfToken: resident.csrfToken))
    }

    func resubmitApplication(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        let (values, parts) = try request.formValues()
        let reference = application.reference ?? ""
        if let response = try resubmit(
            application, values: values, parts: parts, applicant: .resident(id: resident.id), request: request,
            visitor: Visitor(resident: resident, csrfToken: resident.csrfToken),
            action: "/applications/\(reference)/edit",
            hidden: [])
        {
            return response
        }
        return .redirect(to: "/applications/\(reference)?done=resubmitted")
    }

    // MARK: Helpers

    func procedure(_ request: Request) throws -> Procedure {
        guard let procedure = catalog.procedure(code: request.parameter("code")) else { throw HTTPError.notFound }
        return procedure
    }

    /// The resident's own application by reference; anyone else's — or a malformed reference — is a 404, the
    /// same answer as for a reference that does not exist.
    func owned(_ request: Request, by resident: AuthenticatedResident) throws -> StoredApplication {
        guard let reference = ReferenceNumber.normalize(request.parameter("reference")),
            let application = try database.read({ try ApplicationStore.fetchApplication(reference: reference, on: $0) }
            ),
            application.residentID == resident.id
        else { throw HTTPError.notFound }
        return application
    }

    /// The form's token, which names its draft: made with the form, so a missing or odd one means the page is
    /// stale.
    static func formToken(in values: SubmittedValues) throws -> String {
        guard let formToken = values["form_token"]?.first, (16...128).contains(formToken.count) else {
            throw HTTPError.badRequest("フォームの有効期限が切れました。もう一度最初から入力してください。")
        }
        return formToken
    }

    /// The application as stored now, after a step changed it.
    static let alreadyWithdrawn = "この申請はすでに取り下げ済みです。"

    static func withdrawnNotice(_ application: StoredApplication) -> String? {
        application.status == .withdrawn ? alreadyWithdrawn : nil
    }

    func reloaded(_ application: StoredApplication) throws -> StoredApplication {
        try database.read { try ApplicationStore.fetchApplication(id: application.id, on: $0) }!
    }

    static func prefill(_ procedure: Procedure, from profile: ResidentProfile) -> SubmittedValues {
        var values: SubmittedValues = [:]
        for field in procedure.fields {
            let value: String? =
                switch field.prefill {
                case .fullName: profile.fullName
                case .fullNameKana: profile.fullNameKana
                case .birthDate: profile.birthDate
                case .postalCode: profile.postalCode
                case .address: profile.address
                case .phone: profile.phone
                case nil: nil
                }
            if let value { values[field.name] = [value] }
        }
        return values
    }

    func guestStatus(_ application: StoredApplication, secret: String, visitor: Visitor, notice: String? = nil) throws
        -> Response
    {
        let (events, files, messages) = try database.read { connection in
            (
                try ApplicationStore.fetchEvents(applicationID: application.id, on: connection),
                try ApplicationStore.fetchAttachments(applicationID: application.id, on: connection),
                try ApplicationStore.fetchResidentMessages(applicationID: application.id, on: connection)
            )
        }
        return ApplicationPages.guestStatus(
            application: application, procedure: catalog.procedure(code: application.procedureCode), events: events,
            files: files, messages: messages, reference: application.reference ?? "", secret: secret,
            csrfToken: visitor.csrfToken, resident: visitor.resident, notice: notice
        ).response()
    }

    func editPage(
        _ application: StoredApplication, values: SubmittedValues, errors: FormErrors, action: String,
        hidden: [(String, String)], visitor: Visitor, status: Int = 200
    ) throws -> Response {
        guard let procedure = catalog.procedure(code: application.procedureCode) else { throw HTTPError.notFound }
        guard ApplicationRules.residentMayResubmit(application.status) else {
            throw ApplicationStepRefused.conflict("この申請は訂正を受け付けていません。")
        }
        let (events, files) = try database.read { connection in
            (
                try ApplicationStore.fetchEvents(applicationID: application.id, on: connection),
                try ApplicationStore.fetchAttachments(applicationID: application.id, on: connection)
            )
        }
        return ApplicationPages.edit(
            procedure: procedure, application: application, values: values, errors: errors, storedFiles: files,
            action: action, hidden: hidden, csrfToken: visitor.csrfToken, events: events, resident: visitor.resident
        ).response(status: status)
    }

    /// Validates a correction; returns the form again with errors, or nil after a successful resubmission.
    func resubmit(
        _ application: StoredApplication, values: SubmittedValues, parts: [MultipartPart], applicant: Applicant,
        request: Request, visitor: Visitor, action: String, hidden: [(String, String)]
    ) throws -> Response? {
        guard let procedure = catalog.procedure(code: application.procedureCode) else { throw HTTPError.notFound }
        let form = CheckedForm(
            values, parts: parts, procedure: procedure,
            storedSizes: try workflow.storedFileSizes(applicationID: application.id), today: authentication.now())
        guard form.errors.isEmpty else {
            return try editPage(
                application, values: values, errors: form.errors, action: action, hidden: hidden, visitor: visitor,
                status: 422)
        }
        try workflow.resubmit(
            applicationID: application.id, answers: form.answers, attachments: form.files, applicant: applicant,
            origin: request.origin, at: authentication.now())
        return nil
    }
}
