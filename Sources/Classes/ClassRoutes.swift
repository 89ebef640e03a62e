import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// Someone on the public side: signed in, or a guest with a pre-session CSRF token.
struct ClassVisitor: Sendable {
    let resident: AuthenticatedResident?
    let csrfToken: String
}

extension Authentication {
    func classVisitor(_ handler: @escaping @Sendable (Request, ClassVisitor) throws -> Response) -> Handler {
        let asGuest = guest { request, form in
            try handler(request, ClassVisitor(resident: nil, csrfToken: form.csrfToken))
        }
        return resident({ request, resident in
            try handler(request, ClassVisitor(resident: resident, csrfToken: resident.csrfToken))
        }, otherwise: asGuest)
    }
}

/// The public pages: the listing, a session's page with its signup form, the flyer, the guest's confirmation
/// page, and the signed-in resident's signup page (cancel, survey).
struct ClassRoutes: RouteCollection {
    let workflow: ClassWorkflow
    let authentication: Authentication
    let publicBaseURL: @Sendable () -> String

    var database: Database { workflow.database }
    var catalog: ClassCatalog { workflow.catalog }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/classes", auth.classVisitor(showListing))
        routes.get("/classes/signup/:token", auth.classVisitor(showGuestSignup))
        routes.post("/classes/signup/:token/cancel", auth.classVisitor(cancelGuestSignup))
        routes.post("/classes/signup/:token/survey", auth.classVisitor(answerGuestSurvey))
        routes.get("/classes/mine/:signup", auth.resident(showResidentSignup))
        routes.post("/classes/mine/:signup/cancel", auth.resident(cancelResidentSignup))
        routes.post("/classes/mine/:signup/survey", auth.resident(answerResidentSurvey))
        routes.get("/classes/:id", auth.classVisitor(showSession))
        routes.get("/classes/:id/flyer", showFlyer)
        routes.post("/classes/:id/signups", auth.classVisitor(signUp))
    }

    // MARK: Handlers

    func showListing(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let now = authentication.now()
        let (sessions, counts, districts) = try database.read { connection in
            let sessions = try ClassStore.fetchUpcomingSessions(after: now, on: connection)
            let counts = try sessions.map { try ClassStore.counts(sessionID: $0.id, on: connection) }
            return (sessions, counts, try ResidentStore.fetchDistricts(on: connection))
        }
        let district = request.query("district").flatMap { code in districts.contains { $0.code == code } ? code : nil }
        return ClassPages.listing(
            sessions: Array(zip(sessions, counts)), districts: districts, selected: district, catalog: catalog,
            resident: visitor.resident
        ).response()
    }

    func showSession(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let (session, counts) = try fetchSession(request)
        var form = SignupFormValues(channel: request.query("via") == "line" ? "line" : "web")
        if let resident = visitor.resident,
            let profile = try database.read({ try ResidentStore.fetchResident(id: resident.id, on: $0) })?.profile
        {
            form.name = profile.fullName
            form.kana = profile.fullNameKana
            form.phone = profile.phone ?? ""
        }
        return ClassPages.session(
            session, counts: counts, catalog: catalog, form: form, errors: FormErrors(), visitor: visitor,
            now: authentication.now()
        ).response()
    }

    /// The one signup form: a resident's name comes from their record, a guest types name, フリガナ and phone.
    func signUp(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let (session, counts) = try fetchSession(request)
        let fields = try request.form()
        var values = SignupFormValues(fields)
        var residentID: Int64?
        if let resident = visitor.resident {
            residentID = resident.id
            values.name = resident.fullName
            if let profile = try database.read({ try ResidentStore.fetchResident(id: resident.id, on: $0) })?.profile {
                values.kana = profile.fullNameKana
                if values.phone.isEmpty { values.phone = profile.phone ?? "" }
            }
        }
        let checked = SignupInput.check(
            name: values.name, kana: values.kana, phone: values.phone, loanPhone: values.loanPhone,
            residentID: residentID, requireKana: residentID == nil)
        let now = authentication.now()
        func again(_ errors: FormErrors, status: Int) -> Response {
            ClassPages.session(
                session, counts: counts, catalog: catalog, form: values, errors: errors, visitor: visitor, now: now
            ).response(status: status)
        }
        guard let input = checked.fields else {
            return again(FormErrors(checked.errors.map { FieldError(field: $0.0, message: $0.1) }), status: 422)
        }
        let signup = SignupRequest(
            residentID: residentID, fullName: input.name, fullNameKana: input.kana, phone: input.phone,
            channel: values.channel == "line" ? .line : .web, loanPhone: input.loan)
        do {
            let outcome = try workflow.signUp(sessionID: session.id, signup, origin: request.auditOrigin, at: now)
            return ClassPages.signedUp(outcome, session: session, catalog: catalog, visitor: visitor).response()
        } catch ClassStepRefused.noLoanPhoneLeft {
            var errors = FormErrors()
            errors.add("loan_phone", ClassWorkflow.noLoanPhoneMessage)
            values.loanPhone = ""
            return again(errors, status: 409)
        }
    }

    func showFlyer(_ request: Request) throws -> Response {
        let (session, _) = try fetchSession(request)
        return try ClassPages.flyer(session, catalog: catalog, pageURL: publicBaseURL() + "/classes/\(session.id)")
            .response()
    }

    func showGuestSignup(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let (signup, session) = try fetchGuestSignup(request)
        return try signupPage(
            signup, session: session, cancelPath: "/classes/signup/\(request.parameter("token"))", visitor: visitor)
    }

    func cancelGuestSignup(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let (signup, _) = try fetchGuestSignup(request)
        try workflow.cancelSignup(
            signupID: signup.id, staffID: nil, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/classes/signup/\(request.parameter("token"))")
    }

    func answerGuestSurvey(_ request: Request, _ visitor: ClassVisitor) throws -> Response {
        let (signup, session) = try fetchGuestSignup(request)
        return try answerSurvey(
            request, signup: signup, session: session, back: "/classes/signup/\(request.parameter("token"))",
            visitor: visitor)
    }

    func showResidentSignup(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let (signup, session) = try fetchResidentSignup(request, resident)
        return try signupPage(
            signup, session: session, cancelPath: "/classes/mine/\(signup.id)",
            visitor: ClassVisitor(resident: resident, csrfToken: resident.csrfToken))
    }

    func cancelResidentSignup(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let (signup, _) = try fetchResidentSignup(request, resident)
        try workflow.cancelSignup(
            signupID: signup.id, staffID: nil, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/classes/mine/\(signup.id)")
    }

    func answerResidentSurvey(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let (signup, session) = try fetchResidentSignup(request, resident)
        return try answerSurvey(
            request, signup: signup, session: session, back: "/classes/mine/\(signup.id)",
            visitor: ClassVisitor(resident: resident, csrfToken: resident.csrfToken))
    }

    // MARK: Helpers

    func signupPage(_ signup: ClassSignup, session: ClassSession, cancelPath: String, visitor: ClassVisitor) throws
        -> Response
    {
        let (position, messages, answered) = try database.read { connection in
            (
                signup.status == .waitlisted ? try ClassStore.waitlistPosition(of: signup, on: connection) : nil,
                try ResidentMessages.fetchMessages(source: ClassesModule.name, recordID: signup.id, on: connection),
                try ClassStore.fetchSurveyAnswer(signupID: signup.id, on: connection) != nil
            )
        }
        return ClassPages.signupStatus(
            signup, session: session, position: position, messages: messages, surveyAnswered: answered,
            basePath: cancelPath, catalog: catalog, visitor: visitor, errors: FormErrors()
        ).response()
    }

    func answerSurvey(
        _ request: Request, signup: ClassSignup, session: ClassSession, back: String, visitor: ClassVisitor
    ) throws
        -> Response
    {
        let fields = try request.form()
        let (form, errors) = ClassWorkflow.checkSurvey(
            satisfaction: fields["satisfaction"] ?? "", learned: fields["learned"] ?? "",
            nextWish: fields["next_wish"] ?? "")
        guard let form else {
            return ClassPages.signupStatus(
                signup, session: session, position: nil, messages: [], surveyAnswered: false, basePath: back,
                catalog: catalog, visitor: visitor,
                errors: FormErrors(errors.map { FieldError(field: $0.0, message: $0.1) })
            ).response(status: 422)
        }
        try workflow.submitSurvey(
            signupID: signup.id, form, staffID: nil, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: back + "?done=survey")
    }

    func fetchSession(_ request: Request) throws -> (ClassSession, SessionCounts) {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        return try database.read { connection in
            guard let session = try ClassStore.fetchSession(id: id, on: connection) else {
                throw ClassStepRefused.notFound
            }
            return (session, try ClassStore.counts(sessionID: id, on: connection))
        }
    }

    func fetchGuestSignup(_ request: Request) throws -> (ClassSignup, ClassSession) {
        let digest = ClassWorkflow.tokenDigest(request.parameter("token"))
        return try database.read { connection in
            guard let signup = try ClassStore.fetchSignup(guestTokenSHA256: digest, on: connection),
                let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection)
            else { throw ClassStepRefused.notFound }
            return (signup, session)
        }
    }

    /// Another resident's signup answers 404, the same as one that does not exist.
    func fetchResidentSignup(_ request: Request, _ resident: AuthenticatedResident) throws -> (
        ClassSignup, ClassSession
    ) {
        guard let id = Int64(request.parameter("signup")) else { throw ClassStepRefused.notFound }
        return try database.read { connection in
            guard let signup = try ClassStore.fetchSignup(id: id, on: connection), signup.residentID == resident.id,
                let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection)
            else { throw ClassStepRefused.notFound }
            return (signup, session)
        }
    }
}

/// The signup form's values, as typed, for showing the form again.
struct SignupFormValues: Sendable {
    var name = ""
    var kana = ""
    var phone = ""
    var loanPhone = "no"
    var channel = "web"

    init(channel: String) { self.channel = channel }

    init(_ fields: FormFields) {
        name = fields["full_name"] ?? ""
        kana = fields["full_name_kana"] ?? ""
        phone = fields["phone"] ?? ""
        loanPhone = fields["loan_phone"] ?? ""
        channel = fields["channel"] == "line" ? "line" : "web"
    }
}
