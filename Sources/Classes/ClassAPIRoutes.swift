import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store

/// The JSON API: the public listing and a session (`/api/v1/classes`), and the staff's signups and caller
/// signups (`/api/v1/staff/classes`). Errors are JSON through `ClassStepRefused`.
struct ClassAPIRoutes: RouteCollection {
    let workflow: ClassWorkflow
    let authentication: Authentication

    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/api/v1/classes", listSessions)
        routes.get("/api/v1/classes/:id", showSession)
        routes.get("/api/v1/staff/classes", auth.staff(listStaffSessions))
        routes.auditedGet("/api/v1/staff/classes/:id/signups", auth.staff(listSignups))
        routes.post("/api/v1/staff/classes/:id/signups", auth.staff(signUpCaller))
    }

    struct SessionJSON: Codable, Sendable {
        let id: Int64
        let title: String
        let theme: String
        let themeName: String
        let district: String
        let venue: String
        let venueName: String
        let venueAddress: String
        let access: String
        let startsAt: String
        let endsAt: String
        let capacity: Int
        let seatsLeft: Int
        let waitlisted: Int
        let loanPhones: Int
        let loanPhonesLeft: Int
        let bring: String
        let notes: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case id, title, theme, district, venue, access, capacity, waitlisted, bring, notes, status
            case themeName = "theme_name", venueName = "venue_name", venueAddress = "venue_address"
            case startsAt = "starts_at", endsAt = "ends_at", seatsLeft = "seats_left", loanPhones = "loan_phones"
            case loanPhonesLeft = "loan_phones_left"
        }

        init(_ session: ClassSession, _ counts: SessionCounts, catalog: ClassCatalog) {
            let venue = catalog.venue(code: session.venueCode)
            id = session.id
            title = session.title
            theme = session.themeCode
            themeName = catalog.theme(code: session.themeCode)?.name ?? session.themeCode
            district = session.districtCode
            self.venue = session.venueCode
            venueName = venue?.name ?? session.venueCode
            venueAddress = venue?.address ?? ""
            access = venue?.access ?? ""
            startsAt = UTCTimestamp.format(session.startsAt)
            endsAt = UTCTimestamp.format(session.endsAt)
            capacity = session.capacity
            seatsLeft = max(0, session.capacity - counts.confirmed)
            waitlisted = counts.waitlisted
            loanPhones = session.loanPhones
            loanPhonesLeft = max(0, session.loanPhones - counts.phonesAssigned)
            bring = session.bring
            notes = session.notes
            status = session.status.rawValue
        }
    }

    struct SignupJSON: Codable, Sendable {
        let id: Int64
        let residentId: Int64?
        let fullName: String
        let fullNameKana: String
        let phone: String?
        let channel: String
        let status: String
        let loanPhone: String
        let walkIn: Bool
        let attended: Bool?
        let waitlistPosition: Int?

        enum CodingKeys: String, CodingKey {
            case id, phone, channel, status, attended
            case residentId = "resident_id", fullName = "full_name", fullNameKana = "full_name_kana"
            case loanPhone = "loan_phone", walkIn = "walk_in", waitlistPosition = "waitlist_position"
        }

        init(_ signup: ClassSignup, position: Int?) {
            id = signup.id
            residentId = signup.residentID
            fullName = signup.fullName
            fullNameKana = signup.fullNameKana
            phone = signup.phone
            channel = signup.channel.rawValue
            status = signup.status.rawValue
            loanPhone = signup.loanPhone.rawValue
            walkIn = signup.walkIn
            attended = signup.attended
            waitlistPosition = position
        }
    }

    struct SignupAnswer: Codable, Sendable {
        let signup: SignupJSON
        /// false when the same person already had a live signup (that one is returned).
        let created: Bool
    }

    struct CallerSignupBody: Decodable {
        let fullName: String
        let fullNameKana: String?
        let phone: String?
        let residentId: Int64?
        /// no, yes or wait
        let loanPhone: String?

        enum CodingKeys: String, CodingKey {
            case phone
            case fullName = "full_name", fullNameKana = "full_name_kana", residentId = "resident_id"
            case loanPhone = "loan_phone"
        }
    }

    // MARK: Handlers

    func listSessions(_ request: Request) throws -> Response {
        let now = authentication.now()
        let rows = try database.read { connection in
            try ClassStore.fetchUpcomingSessions(after: now, on: connection).map {
                SessionJSON($0, try ClassStore.counts(sessionID: $0.id, on: connection), catalog: workflow.catalog)
            }
        }
        let district = request.query("district")
        return try .json(["sessions": rows.filter { district == nil || $0.district == district }])
    }

    func showSession(_ request: Request) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        let row = try database.read { connection -> SessionJSON? in
            guard let session = try ClassStore.fetchSession(id: id, on: connection) else { return nil }
            return SessionJSON(session, try ClassStore.counts(sessionID: id, on: connection), catalog: workflow.catalog)
        }
        guard let row else { throw ClassStepRefused.notFound }
        return try .json(row)
    }

    func listStaffSessions(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let rows = try database.read { connection in
            try ClassStore.fetchAllSessions(on: connection).map {
                SessionJSON($0, try ClassStore.counts(sessionID: $0.id, on: connection), catalog: workflow.catalog)
            }
        }
        return try .json(["sessions": rows])
    }

    func listSignups(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        let event = AuditEvent(
            actor: staff.auditActor, action: "class_session.read", subjectType: "class_session", subjectID: String(id),
            clientAddress: request.clientAddress, requestID: request.requestID)
        let rows = try database.auditedRead(event, at: authentication.now()) { connection -> [SignupJSON]? in
            guard try ClassStore.fetchSession(id: id, on: connection) != nil else { return nil }
            var position = 0
            return try ClassStore.fetchSignups(sessionID: id, on: connection).map { signup in
                if signup.status == .waitlisted { position += 1 }
                return SignupJSON(signup, position: signup.status == .waitlisted ? position : nil)
            }
        }
        guard let rows else { throw ClassStepRefused.notFound }
        return try .json(["signups": rows])
    }

    /// A caller by phone: the same rule as the form, with field problems as a 422 listing each field.
    func signUpCaller(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw ClassStepRefused.notFound }
        let body = try request.decodeJSON(CallerSignupBody.self)
        if let residentID = body.residentId,
            try database.read({ try ResidentStore.fetchResident(id: residentID, on: $0) }) == nil
        {
            throw ClassStepRefused.invalid("その住民番号の方は見つかりませんでした。")
        }
        let checked = SignupInput.check(
            name: body.fullName, kana: body.fullNameKana ?? "", phone: body.phone ?? "",
            loanPhone: body.loanPhone ?? "no",
            residentID: body.residentId, requireKana: false)
        guard let input = checked.fields else {
            throw HTTPError(
                status: 422, code: "invalid_signup",
                message: checked.errors.map { "\($0.0)：\($0.1)" }.joined(separator: " "))
        }
        let outcome = try workflow.signUp(
            sessionID: id,
            SignupRequest(
                residentID: body.residentId, fullName: input.name, fullNameKana: input.kana, phone: input.phone,
                channel: .counter, loanPhone: input.loan, staffID: staff.id),
            origin: request.auditOrigin, at: authentication.now())
        switch outcome {
        case .signedUp(let signup, let position, _):
            return try .json(SignupAnswer(signup: SignupJSON(signup, position: position), created: true), status: 201)
        case .alreadySignedUp(let signup, let position):
            return try .json(SignupAnswer(signup: SignupJSON(signup, position: position), created: false), status: 200)
        }
    }
}
