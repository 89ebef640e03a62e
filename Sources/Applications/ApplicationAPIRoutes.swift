import Foundation
import HTTP
import Identity
import Security
import Store
import Web

/// `/api/v1` for the same resident flows, for a separate front end or the LINE rich menu. Described in
/// `Schemas/openapi.yaml`.
///
/// Signed-in residents call with their session cookie and the `X-CSRF-Token` header. Guests may submit and
/// look up without a session. Lookup takes only `application/json`, which a cross-site form cannot send
/// without a CORS preflight. Submit also takes `multipart/form-data` (for files), which a cross-site form *can*
/// send; that is safe because the guest path uses no ambient credential — a forged guest submission is no
/// more than the attacker could post themselves — and a request that carries a resident's session cookie takes
/// the resident path, where only the `X-CSRF-Token` header (never a form field) is accepted.
struct ApplicationAPIRoutes: RouteCollection {
    let workflow: ApplicationWorkflow
    let authentication: Authentication
    let published: PublishedCatalog

    var catalog: ProcedureCatalog { workflow.catalog }
    var database: Database { workflow.database }

    /// Read with `JSONReadable`: JSONDecoder's generic containers were a visible part of every submission.
    struct SubmitBody: JSONReadable, Sendable {
        let procedureCode: String
        let submissionToken: String
        let answers: [String: AnswerValue]

        init(json: JSONObjectReader) throws {
            procedureCode = try json.string("procedure_code")
            submissionToken = try json.string("submission_token")
            let answersObject = try json.object("answers")
            var answers: [String: AnswerValue] = [:]
            answers.reserveCapacity(answersObject.members.count)
            for (key, value) in answersObject.members {
                switch value {
                case .string(let text): answers[key] = .text(text)
                case .array(let elements):
                    var texts: [String] = []
                    for element in elements {
                        guard case .string(let text) = element else { throw Self.invalidAnswer(key) }
                        texts.append(text)
                    }
                    answers[key] = .list(texts)
                default: throw Self.invalidAnswer(key)
                }
            }
            self.answers = answers
        }

        /// As JSONDecoder worded it for `[String: AnswerValue]`.
        static func invalidAnswer(_ key: String) -> HTTPError {
            HTTPError(status: 400, code: "invalid_field", message: "項目 answers.\(key) の型が正しくありません。")
        }
    }

    /// Where a submission got to: answered before any write (a retry of a finished one, invalid answers), or
    /// written.
    enum SubmissionStep: Sendable {
        case answered(Response)
        case written(ApplicationWorkflow.SubmitOutcome)

        func response() -> Response {
            switch self {
            case .answered(let response): response
            case .written(.submitted(let application, let secret)):
                .json(SubmittedJSON(application, secret: secret), status: 201)
            case .written(.alreadySubmitted(let application)):
                .json(SubmittedJSON(application, secret: nil), status: 200)
            }
        }
    }

    struct LookupBody: Decodable {
        let reference: String
        let secret: String
    }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/api/v1/procedures", listProcedures)
        routes.get("/api/v1/procedures/:code", showProcedure)
        // Room for files (multipart); JSON bodies keep the default cap, checked in `submission(of:)`.
        // Inline with a deferred answer: the submission is one queued write, and no thread waits for its commit.
        routes.post("/api/v1/applications", maximumBodyBytes: uploadBodyLimit, execution: .inline, submitApplication)
        routes.get("/api/v1/applications", auth.resident(listApplications))
        routes.get("/api/v1/applications/:reference", auth.resident(showApplication))
        routes.post("/api/v1/applications/:reference/withdraw", auth.resident(withdrawApplication))
        routes.post("/api/v1/applications/lookup", maximumBodyBytes: 4096, lookUpAsGuest)
    }

    // MARK: Handlers

    func listProcedures(_ request: Request) throws -> Response {
        published.procedureList.response(to: request)
    }

    func showProcedure(_ request: Request) throws -> Response {
        guard let procedure = published.procedures[request.parameter("code")] else { throw HTTPError.notFound }
        return procedure.response(to: request)
    }

    /// A request with a resident's session cookie submits as that resident (and must carry the CSRF header);
    /// any other as a guest.
    func submitApplication(_ request: Request) throws -> Response {
        try authentication.resident(submitAsResident, otherwise: { [self] in submit($0, applicant: .guest) })(request)
    }

    func submitAsResident(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        submit(request, applicant: .resident(id: resident.id))
    }

    func listApplications(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let applications = try database.read { try ApplicationStore.fetchApplications(residentID: resident.id, on: $0) }
        return try .json(["applications": applications.map { ApplicationJSON($0, events: nil) }])
    }

    func showApplication(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        let events = try database.read { try ApplicationStore.fetchEvents(applicationID: application.id, on: $0) }
        return try .json(ApplicationJSON(application, events: events))
    }

    func withdrawApplication(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let application = try owned(request, by: resident)
        try workflow.withdraw(
            applicationID: application.id, applicant: .resident(id: resident.id), origin: request.origin,
            at: authentication.now())
        return try .json(ApplicationJSON(pages.reloaded(application), events: nil))
    }

    func lookUpAsGuest(_ request: Request) throws -> Response {
        let body = try request.decodeJSON(LookupBody.self)
        guard
            let application = try workflow.lookUp(
                reference: body.reference, secret: body.secret, origin: request.origin, at: authentication.now())
        else { throw HTTPError.notFound }
        let events = try database.read { try ApplicationStore.fetchEvents(applicationID: application.id, on: $0) }
        return try .json(ApplicationJSON(application, events: events))
    }

    // MARK: Shared by the handlers

    /// The resident pages, whose ownership rule the API shares.
    var pages: ApplicationRoutes {
        ApplicationRoutes(workflow: workflow, authentication: authentication, published: published)
    }

    func owned(_ request: Request, by resident: AuthenticatedResident) throws -> StoredApplication {
        try pages.owned(request, by: resident)
    }

    /// Validates and submits in one call: 201 with the reference (and, for guests, the secret shown once);
    /// the same `submission_token` again answers 200 with the first application; invalid answers or files are
    /// 422 with one message per field.
    ///
    /// The body is either the JSON object, or — for procedures with file fields — `multipart/form-data` with
    /// that same object as a part named `application` and each file as a part named after its field. Files go
    /// through the same checks and caps as the form's (`AttachmentRules`: JPEG, PNG or PDF by content, 5 MB
    /// each, 10 MB together).
    ///
    /// The route runs on a polling thread and answers once the one write is durable. A multipart body (up to
    /// 10 MB of files to parse and check) is prepared on a global queue instead, so the polling thread keeps
    /// serving others meanwhile.
    func submit(_ request: Request, applicant: Applicant) -> Response {
        let offPollingThread = request.contentType == "multipart/form-data"
        return .deferred { complete in
            if offPollingThread {
                DispatchQueue.global().async { startSubmission(request, applicant: applicant, complete) }
            } else {
                startSubmission(request, applicant: applicant, complete)
            }
        } render: { (step: SubmissionStep) in
            step.response()
        }
    }

    func startSubmission(
        _ request: Request, applicant: Applicant,
        _ complete: @escaping @Sendable (Result<SubmissionStep, Error>) -> Void
    ) {
        do {
            switch try prepareSubmission(request, applicant: applicant) {
            case .answered(let response):
                complete(.success(.answered(response)))
            case .ready(let procedure, let form, let token):
                workflow.submitInOneWrite(
                    procedure: procedure, applicant: applicant, answers: form.answers, attachments: form.files,
                    formToken: token, origin: request.origin, at: authentication.now()
                ) { complete($0.map(SubmissionStep.written)) }
            }
        } catch {
            complete(.failure(error))
        }
    }

    enum PreparedSubmission {
        case answered(Response)
        case ready(Procedure, CheckedForm, token: String)
    }

    /// Everything before the write: the body, the procedure, a retry of a finished submission, the checks.
    func prepareSubmission(_ request: Request, applicant: Applicant) throws -> PreparedSubmission {
        let (body, parts) = try submission(of: request)
        guard let procedure = catalog.procedure(code: body.procedureCode) else { throw HTTPError.notFound }
        // In Unicode scalars, as the table's CHECK counts: Swift's characters would let 200 scalars through.
        guard (16...128).contains(body.submissionToken.unicodeScalars.count) else {
            throw HTTPError(status: 400, code: "invalid_field", message: "submission_token は16〜128文字にしてください。")
        }
        let now = authentication.now()
        let existing = try database.read {
            try ApplicationStore.fetchApplication(submissionToken: body.submissionToken, on: $0)
        }
        let isOwn =
            existing.map { $0.residentID == applicant.residentID && $0.procedureCode == procedure.code }
            ?? false
        // A retry of a submission that went through answers at once, even if the retry left its files out.
        if let existing, isOwn, existing.status != .draft {
            return .answered(.json(SubmittedJSON(existing, secret: nil), status: 200))
        }
        // Files stored with this token's unfinished draft (one an older version left) count towards the
        // per-application cap and satisfy required file fields, as on the form.
        let ownDraft = isOwn ? existing : nil
        let storedSizes = try ownDraft.map { try workflow.storedFileSizes(applicationID: $0.id) } ?? [:]
        let form = CheckedForm(
            body.answers.mapValues(\.values), parts: parts, procedure: procedure, storedSizes: storedSizes, today: now)
        if !form.errors.isEmpty {
            return .answered(try form.errors.validationResponse(code: "invalid_answers", request: request))
        }
        return .ready(procedure, form, token: body.submissionToken)
    }

    /// The submit body and any file parts. JSON keeps the default 64 KB cap even though the route admits
    /// uploads: only multipart bodies may be large, and only by their files (the `application` part is a text
    /// field, capped at 64 KB by the parser).
    func submission(of request: Request) throws -> (SubmitBody, [MultipartPart]) {
        switch request.contentType {
        case "application/json":
            guard request.body.count <= Routes.defaultBodyLimit else {
                throw HTTPError.payloadTooLarge(limit: Routes.defaultBodyLimit)
            }
            return (try request.readJSON(SubmitBody.self), [])
        case "multipart/form-data":
            let parts = try request.multipartParts()
            guard let part = parts.first(where: { $0.name == "application" && !$0.isFile }) else {
                throw HTTPError(status: 400, code: "missing_field", message: "必須の項目 application がありません。")
            }
            guard part.contentType == nil || part.contentType == "application/json" else {
                throw HTTPError.unsupportedMediaType(expected: "application/json（application パート）")
            }
            // Decoded as a JSON request of its own, so its errors read exactly like the JSON body's.
            let json = Request(
                method: request.method, path: request.path, headers: ["content-type": "application/json"],
                body: part.data, clientAddress: request.clientAddress, requestID: request.requestID,
                routePattern: request.routePattern, receivedAt: request.receivedAt)
            return (try json.readJSON(SubmitBody.self), parts)
        default:
            throw HTTPError.unsupportedMediaType(expected: "application/json または multipart/form-data")
        }
    }
}

// MARK: JSON shapes (snake_case, as in openapi.yaml)

struct ProcedureJSON: Encodable {
    struct Field: Encodable {
        let name, type, label: String
        let hint: String?
        let required: Bool
        let order: Int
        let options: [FieldOption]?
        let min, max, max_length: Int?
        let pattern: String?
        let visible_when: FieldCondition?
    }

    let code, name, category, department, description, next_steps: String
    let visit_required: Bool
    let fee_yen, retention_years, paper_pages, version: Int
    let fields: [Field]

    init(_ procedure: Procedure) {
        code = procedure.code
        name = procedure.name
        category = procedure.category
        department = procedure.department
        description = procedure.description
        next_steps = procedure.nextSteps
        visit_required = procedure.visitRequired
        fee_yen = procedure.feeYen
        retention_years = procedure.retentionYears
        paper_pages = procedure.paperPages
        version = procedure.version
        fields = procedure.fields.map {
            Field(
                name: $0.name, type: $0.type.rawValue, label: $0.label, hint: $0.hint, required: $0.required,
                order: $0.order, options: $0.options, min: $0.min, max: $0.max, max_length: $0.maxLength,
                pattern: $0.pattern, visible_when: $0.visibleWhen)
        }
    }
}

struct ApplicationJSON: Encodable {
    struct Event: Encodable {
        let at: String
        let from_status: String?
        let to_status: String?
        let message: String?
    }

    let reference: String
    let procedure_code: String
    let status: String
    let channel: String
    let submitted_at: String?
    let updated_at: String
    let answers: [String: AnswerValue]
    let events: [Event]?

    init(_ application: StoredApplication, events: [ApplicationEvent]?) {
        reference = application.reference ?? ""
        procedure_code = application.procedureCode
        status = application.status.rawValue
        channel = application.channel.rawValue
        submitted_at = application.submittedAt.map(UTCTimestamp.format)
        updated_at = UTCTimestamp.format(application.updatedAt)
        answers = application.answers
        // Residents see status changes and their messages, never staff notes or assignments.
        self.events = events?.filter { $0.kind == .status }.map {
            Event(
                at: UTCTimestamp.format($0.at), from_status: $0.fromStatus?.rawValue, to_status: $0.toStatus?.rawValue,
                message: $0.message)
        }
    }
}

struct SubmittedJSON: Encodable, JSONWritable {
    let reference: String
    let status: String
    /// Only in the 201 of a guest submission: shown once, never stored in clear.
    let guest_secret: String?

    init(_ application: StoredApplication, secret: String?) {
        reference = application.reference ?? ""
        status = application.status.rawValue
        guest_secret = secret
    }

    func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("guest_secret", guest_secret)
            writer.member("reference", reference)
            writer.member("status", status)
        }
    }
}
