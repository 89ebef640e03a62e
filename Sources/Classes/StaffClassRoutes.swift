import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The staff console `/staff/classes` (まちづくり課): sessions, signups and the waitlist, staff signups for
/// callers, the call list, attendance on a tablet, the roster, survey entry, results and outcomes.
struct StaffClassRoutes: RouteCollection {
    let workflow: ClassWorkflow
    let authentication: Authentication
    let publicBaseURL: @Sendable () -> String

    var database: Database { workflow.database }
    var catalog: ClassCatalog { workflow.catalog }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/classes", auth.staff(showConsole))
        routes.get("/staff/classes/new", auth.staff(showNewSessionForm))
        routes.post("/staff/classes", auth.staff(createSession))
        routes.auditedGet("/staff/classes/calls", auth.staff(showCallList))
        routes.post("/staff/classes/reminders", auth.staff(sendReminders))
        routes.get("/staff/classes/results", auth.staff(showResults))
        routes.get("/staff/classes/outcomes", auth.staff(showOutcomes))
        routes.get("/staff/classes/instructors", auth.staff(showInstructors))
        routes.post("/staff/classes/instructors", auth.staff(addInstructor))
        routes.post("/staff/classes/signups/:signup/cancel", auth.staff(cancelSignup))
        routes.post("/staff/classes/signups/:signup/link", auth.staff(linkSignup))
        routes.post("/staff/classes/signups/:signup/called", auth.staff(markCalled))
        routes.post("/staff/classes/signups/:signup/attendance", auth.staff(markAttendance))
        routes.auditedGet("/staff/classes/signups/:signup/survey", auth.staff(showSurveyEntry))
        routes.post("/staff/classes/signups/:signup/survey", auth.staff(enterSurvey))
        routes.auditedGet("/staff/classes/:id", auth.staff(showSession))
        routes.get("/staff/classes/:id/edit", auth.staff(showEditSessionForm))
        routes.post("/staff/classes/:id", auth.staff(updateSession))
        routes.post("/staff/classes/:id/cancel", auth.staff(cancelSession))
        routes.post("/staff/classes/:id/signups", auth.staff(signUpCaller))
        routes.auditedGet("/staff/classes/:id/attendance", auth.staff(showAttendance))
        routes.post("/staff/classes/:id/walk-ins", auth.staff(addWalkIn))
        routes.post("/staff/classes/:id/close", auth.staff(closeAttendance))
        routes.auditedGet("/staff/classes/:id/roster", auth.staff(showRoster))
    }

    // MARK: Sessions

    func showConsole(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let rows = try database.read { connection in
            try ClassStore.fetchAllSessions(on: connection).map {
                ($0, try ClassStore.counts(sessionID: $0.id, on: connection))
            }
        }
        return StaffClassPages.console(rows, catalog: catalog, staff: staff, notice: request.query("done")).response()
    }

    func showNewSessionForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let instructors = try database.read { try ClassStore.fetchInstructors(on: $0) }
        return StaffClassPages.sessionForm(
            id: nil, values: SessionFormValues(), errors: FormErrors(), instructors: instructors, catalog: catalog,
            staff: staff
        ).response()
    }

    func createSession(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let values = SessionFormValues(try request.form())
        let (draft, errors) = values.check(catalog: catalog, now: authentication.now())
        guard let draft else { return try sessionFormAgain(id: nil, values, errors, staff) }
        let id = try workflow.createSession(
            draft, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/classes/\(id)?done=created")
    }

    func showEditSessionForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        let instructors = try database.read { try ClassStore.fetchInstructors(on: $0) }
        return StaffClassPages.sessionForm(
            id: session.id, values: SessionFormValues(session), errors: FormErrors(), instructors: instructors,
            catalog: catalog, staff: staff
        ).response()
    }

    func updateSession(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        let values = SessionFormValues(try request.form())
        let (draft, errors) = values.check(catalog: catalog, now: authentication.now())
        guard let draft else { return try sessionFormAgain(id: session.id, values, errors, staff) }
        do {
            try workflow.updateSession(
                id: session.id, draft, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        } catch ClassStepRefused.invalid(let reason) {
            var errors = FormErrors()
            errors.add("capacity", reason)
            return try sessionFormAgain(id: session.id, values, errors, staff)
        }
        return .redirect(to: "/staff/classes/\(session.id)?done=updated")
    }

    func cancelSession(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        let reason = (try request.form()["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try workflow.cancelSession(
            id: session.id, reason: String(reason.prefix(200)), staffID: staff.id, origin: request.auditOrigin,
            at: authentication.now())
        return .redirect(to: "/staff/classes/\(session.id)?done=cancelled")
    }

    func showSession(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        let event = AuditEvent(
            actor: staff.auditActor, action: "class_session.read", subjectType: "class_session", subjectID: String(id),
            clientAddress: request.clientAddress, requestID: request.requestID)
        guard
            let detail = try database.auditedRead(
                event, at: authentication.now(),
                { connection in
                    try SessionDetail.fetch(id: id, on: connection)
                })
        else { throw ClassStepRefused.notFound }
        return StaffClassPages.session(
            detail, catalog: catalog, staff: staff, notice: request.query("done"), signupErrors: FormErrors(),
            signupValues: SignupFormValues(channel: "counter"), siteOrigin: publicBaseURL(),
            now: authentication.now()
        ).response()
    }

    /// A caller on the phone or at the counter: name and phone are enough; a resident number links the record.
    func signUpCaller(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        let fields = try request.form()
        let values = SignupFormValues(fields)
        let residentText = (fields["resident_id"] ?? "").trimmingCharacters(in: .whitespaces)
        var errors = FormErrors()
        var residentID: Int64?
        if !residentText.isEmpty {
            if let id = Int64(CharacterWidth.halfwidth(residentText)),
                try database.read({ try ResidentStore.fetchResident(id: id, on: $0) }) != nil
            {
                residentID = id
            } else {
                errors.add("resident_id", "その住民番号の方は見つかりませんでした。空欄のままでも申し込めます。")
            }
        }
        let checked = SignupInput.check(
            name: values.name, kana: values.kana, phone: values.phone, loanPhone: values.loanPhone,
            residentID: residentID, requireKana: false)
        for (field, message) in checked.errors { errors.add(field, message) }
        let now = authentication.now()
        if errors.isEmpty, let input = checked.fields {
            let signup = SignupRequest(
                residentID: residentID, fullName: input.name, fullNameKana: input.kana, phone: input.phone,
                channel: .counter, loanPhone: input.loan, staffID: staff.id)
            do {
                let outcome = try workflow.signUp(sessionID: session.id, signup, origin: request.auditOrigin, at: now)
                let code = if case .alreadySignedUp = outcome { "duplicate" } else { "signed_up" }
                return .redirect(to: "/staff/classes/\(session.id)?done=\(code)")
            } catch ClassStepRefused.noLoanPhoneLeft {
                errors.add("loan_phone", ClassWorkflow.noLoanPhoneMessage)
            }
        }
        let event = AuditEvent(
            actor: staff.auditActor, action: "class_session.read", subjectType: "class_session",
            subjectID: String(session.id), clientAddress: request.clientAddress, requestID: request.requestID)
        guard let detail = try database.auditedRead(event, at: now, { try SessionDetail.fetch(id: session.id, on: $0) })
        else {
            throw ClassStepRefused.notFound
        }
        return StaffClassPages.session(
            detail, catalog: catalog, staff: staff, notice: nil, signupErrors: errors, signupValues: values,
            siteOrigin: publicBaseURL(), now: now
        ).response(status: 422)
    }

    // MARK: Signups

    func cancelSignup(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let signup = try fetchSignup(request)
        try workflow.cancelSignup(
            signupID: signup.id, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/classes/\(signup.sessionID)?done=signup_cancelled")
    }

    func linkSignup(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let signup = try fetchSignup(request)
        let text = CharacterWidth.halfwidth(try request.form()["resident_id"] ?? "").trimmingCharacters(
            in: .whitespaces)
        guard let residentID = Int64(text) else { throw ClassStepRefused.invalid("住民番号を数字で入力してください。") }
        try workflow.linkSignup(
            signupID: signup.id, residentID: residentID, staffID: staff.id, origin: request.auditOrigin,
            at: authentication.now())
        return .redirect(to: "/staff/classes/\(signup.sessionID)?done=linked")
    }

    func showCallList(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let now = authentication.now()
        let event = AuditEvent(
            actor: staff.auditActor, action: "class_calls.read", subjectType: "class_call_list",
            clientAddress: request.clientAddress, requestID: request.requestID)
        let rows =
            try database.auditedRead(event, at: now) { connection in
                try ClassStore.fetchCallList(after: now, on: connection).compactMap { signup in
                    try ClassStore.fetchSession(id: signup.sessionID, on: connection).map { (signup, $0) }
                }
            } ?? []
        return StaffClassPages.callList(rows, catalog: catalog, staff: staff, notice: request.query("done")).response()
    }

    func markCalled(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let signup = try fetchSignup(request)
        let called = try request.form()["called"] != "0"
        try workflow.markCalled(
            signupID: signup.id, called: called, staffID: staff.id, origin: request.auditOrigin,
            at: authentication.now())
        return .redirect(to: "/staff/classes/calls")
    }

    func sendReminders(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let tally = try workflow.sendReminders(at: authentication.now())
        return .redirect(to: "/staff/classes/calls?done=reminded-\(tally.line)-\(tally.callList)")
    }

    // MARK: Attendance

    func showAttendance(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let detail = try auditedDetail(request, staff, action: "class_attendance.read")
        return StaffClassPages.attendance(detail, catalog: catalog, staff: staff, notice: request.query("done"))
            .response()
    }

    func markAttendance(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let signup = try fetchSignup(request)
        let present = try request.form()["present"] == "1"
        try workflow.markAttendance(
            signupID: signup.id, present: present, staffID: staff.id, origin: request.auditOrigin,
            at: authentication.now())
        return .redirect(to: "/staff/classes/\(signup.sessionID)/attendance#signup-\(signup.id)")
    }

    func addWalkIn(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        let fields = try request.form()
        let name = (fields["full_name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw ClassStepRefused.invalid("お名前を入力してください。") }
        let phoneText = (fields["phone"] ?? "").trimmingCharacters(in: .whitespaces)
        var phone: String?
        if !phoneText.isEmpty {
            guard let digits = PhoneNumber.normalized(phoneText) else {
                throw ClassStepRefused.invalid("電話番号は0から始まる10けたか11けたの日本の番号で入力してください。")
            }
            phone = digits
        }
        let walkIn = SignupRequest(
            residentID: nil, fullName: name, fullNameKana: Kana.katakana(fields["full_name_kana"] ?? ""), phone: phone,
            channel: .counter, loanPhone: .no, staffID: staff.id, walkIn: true)
        _ = try workflow.signUp(sessionID: session.id, walkIn, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/classes/\(session.id)/attendance?done=walk_in")
    }

    func closeAttendance(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let session = try fetchSession(request)
        _ = try workflow.closeAttendance(
            sessionID: session.id, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/classes/\(session.id)?done=held")
    }

    func showRoster(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let detail = try auditedDetail(request, staff, action: "class_roster.read")
        return StaffClassPages.roster(detail, catalog: catalog, staff: staff).response()
    }

    // MARK: Survey, results, outcomes, instructors

    func showSurveyEntry(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("signup")) else { throw ClassStepRefused.notFound }
        let event = AuditEvent(
            actor: staff.auditActor, action: "class_signup.read", subjectType: "class_signup", subjectID: String(id),
            clientAddress: request.clientAddress, requestID: request.requestID)
        guard
            let signup = try database.auditedRead(
                event, at: authentication.now(), { try ClassStore.fetchSignup(id: id, on: $0) })
        else { throw ClassStepRefused.notFound }
        return StaffClassPages.surveyEntry(signup, staff: staff, errors: FormErrors()).response()
    }

    func enterSurvey(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let signup = try fetchSignup(request)
        let fields = try request.form()
        let (form, errors) = ClassWorkflow.checkSurvey(
            satisfaction: fields["satisfaction"] ?? "", learned: fields["learned"] ?? "",
            nextWish: fields["next_wish"] ?? "")
        guard let form else {
            return StaffClassPages.surveyEntry(
                signup, staff: staff, errors: FormErrors(errors.map { FieldError(field: $0.0, message: $0.1) })
            ).response(status: 422)
        }
        try workflow.submitSurvey(
            signupID: signup.id, form, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return .redirect(to: "/staff/classes/\(signup.sessionID)?done=survey")
    }

    func showResults(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let totals = try database.read { try ClassStore.fetchSurveyTotalsByTheme(on: $0) }
        return StaffClassPages.results(totals, catalog: catalog, staff: staff).response()
    }

    func showOutcomes(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let year =
            request.query("fy").flatMap(Int.init).map(FiscalYear.init) ?? FiscalYear(containing: authentication.now())
        let (outcomes, districts) = try database.read { connection in
            (
                try ClassOutcomes.compute(fiscalYear: year, on: connection),
                try ResidentStore.fetchDistricts(on: connection)
            )
        }
        return StaffClassPages.outcomes(outcomes, districts: districts, catalog: catalog, staff: staff).response()
    }

    func showInstructors(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let instructors = try database.read { try ClassStore.fetchInstructors(on: $0) }
        return StaffClassPages.instructors(instructors, staff: staff).response()
    }

    func addInstructor(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let fields = try request.form()
        try workflow.addInstructor(
            name: fields["name"] ?? "", kind: fields["kind"] ?? "", staffID: staff.id, origin: request.auditOrigin,
            at: authentication.now())
        return .redirect(to: "/staff/classes/instructors")
    }

    // MARK: Helpers

    func sessionFormAgain(id: Int64?, _ values: SessionFormValues, _ errors: FormErrors, _ staff: AuthenticatedStaff)
        throws
        -> Response
    {
        let instructors = try database.read { try ClassStore.fetchInstructors(on: $0) }
        return StaffClassPages.sessionForm(
            id: id, values: values, errors: errors, instructors: instructors, catalog: catalog, staff: staff
        ).response(status: 422)
    }

    func auditedDetail(_ request: Request, _ staff: AuthenticatedStaff, action: String) throws -> SessionDetail {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        let event = AuditEvent(
            actor: staff.auditActor, action: action, subjectType: "class_session", subjectID: String(id),
            clientAddress: request.clientAddress, requestID: request.requestID)
        guard
            let detail = try database.auditedRead(
                event, at: authentication.now(), { try SessionDetail.fetch(id: id, on: $0) })
        else { throw ClassStepRefused.notFound }
        return detail
    }

    func fetchSession(_ request: Request) throws -> ClassSession {
        guard let id = Int64(request.parameter("id")),
            let session = try database.read({ try ClassStore.fetchSession(id: id, on: $0) })
        else { throw ClassStepRefused.notFound }
        return session
    }

    func fetchSignup(_ request: Request) throws -> ClassSignup {
        guard let id = Int64(request.parameter("signup")),
            let signup = try database.read({ try ClassStore.fetchSignup(id: id, on: $0) })
        else { throw ClassStepRefused.notFound }
        return signup
    }
}

/// A session with everything its staff page shows.
struct SessionDetail: Sendable {
    let session: ClassSession
    let counts: SessionCounts
    let signups: [ClassSignup]
    let answers: [SurveyAnswer]
    let instructors: [ClassInstructor]

    var confirmed: [ClassSignup] { signups.filter { $0.status == .confirmed } }
    var waitlisted: [ClassSignup] { signups.filter { $0.status == .waitlisted } }

    static func fetch(id: Int64, on connection: Connection) throws -> SessionDetail? {
        guard let session = try ClassStore.fetchSession(id: id, on: connection) else { return nil }
        return SessionDetail(
            session: session, counts: try ClassStore.counts(sessionID: id, on: connection),
            signups: try ClassStore.fetchSignups(sessionID: id, on: connection),
            answers: try ClassStore.fetchSurveyAnswers(sessionID: id, on: connection),
            instructors: try ClassStore.fetchInstructors(on: connection))
    }
}

/// The session form as typed.
struct SessionFormValues: Sendable {
    var title = ""
    var theme = ""
    var venue = ""
    var date = ""
    var start = "10:00"
    var end = "12:00"
    var capacity = "10"
    var loanPhones = "5"
    var instructors: [String] = []
    var bring = ""
    var notes = ""

    init() {}

    init(_ fields: FormFields) {
        title = fields["title"] ?? ""
        theme = fields["theme"] ?? ""
        venue = fields["venue"] ?? ""
        date = fields["date"] ?? ""
        start = fields["start"] ?? ""
        end = fields["end"] ?? ""
        capacity = fields["capacity"] ?? ""
        loanPhones = fields["loan_phones"] ?? ""
        instructors = fields.all("instructor")
        bring = fields["bring"] ?? ""
        notes = fields["notes"] ?? ""
    }

    init(_ session: ClassSession) {
        title = session.title
        theme = session.themeCode
        venue = session.venueCode
        date = CalendarDate.today(at: session.startsAt)
        start = Self.clock(session.startsAt)
        end = Self.clock(session.endsAt)
        capacity = String(session.capacity)
        loanPhones = String(session.loanPhones)
        instructors = session.instructorIDs.map(String.init)
        bring = session.bring
        notes = session.notes
    }

    static func clock(_ date: Date) -> String {
        let text = JapanTime.timestamp(date)
        return String(text.dropFirst(11).prefix(5))
    }

    /// `10:00` on a JST date → the UTC instant.
    static func instant(date: String, clock: String) -> Date? {
        guard let day = JapanTime.startOfDay(date) else { return nil }
        let parts = CharacterWidth.halfwidth(clock).split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
            (0..<60).contains(minute)
        else { return nil }
        return day.addingTimeInterval(Double(hour * 3600 + minute * 60))
    }

    func check(catalog: ClassCatalog, now: Date) -> (SessionDraft?, FormErrors) {
        var errors = FormErrors()
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty || title.count > 200 { errors.add("title", "教室の名前を200文字以内で入力してください。") }
        if catalog.theme(code: theme) == nil { errors.add("theme", "内容（テーマ）を選んでください。") }
        if catalog.venue(code: venue) == nil { errors.add("venue", "会場を選んでください。") }
        let day = CalendarDate.parse(date)
        if day == nil { errors.add("date", "日付を正しく入力してください（例：2026-05-20）。") }
        let startsAt = day.flatMap { Self.instant(date: $0, clock: start) }
        let endsAt = day.flatMap { Self.instant(date: $0, clock: end) }
        if day != nil && startsAt == nil { errors.add("start", "開始時刻を「10:00」の形で入力してください。") }
        if day != nil && endsAt == nil { errors.add("end", "終了時刻を「12:00」の形で入力してください。") }
        if let startsAt, let endsAt, endsAt <= startsAt { errors.add("end", "終了時刻は開始時刻より後にしてください。") }
        let capacity = Int(CharacterWidth.halfwidth(capacity))
        if capacity == nil || !(1...500).contains(capacity!) { errors.add("capacity", "定員を1から500の数字で入力してください。") }
        let phones = Int(CharacterWidth.halfwidth(loanPhones))
        if phones == nil || !(0...500).contains(phones!) { errors.add("loan_phones", "貸出スマホの台数を0から500の数字で入力してください。") }
        guard errors.isEmpty, let startsAt, let endsAt, let capacity, let phones else { return (nil, errors) }
        return (
            SessionDraft(
                title: title, themeCode: theme, venueCode: venue, startsAt: startsAt, endsAt: endsAt,
                capacity: capacity,
                loanPhones: phones, instructorIDs: instructors.compactMap(Int64.init),
                bring: bring.trimmingCharacters(in: .whitespacesAndNewlines),
                notes: notes.trimmingCharacters(in: .whitespacesAndNewlines)),
            errors
        )
    }
}
