import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store

/// A signup or session step the rules refuse; rendered as a Japanese page, or as JSON under `/api/`.
public enum ClassStepRefused: HTTPResponseError, Equatable, Sendable {
    case notFound
    /// The session is cancelled, over or already started: nobody can sign up or change it now.
    case sessionClosed(String)
    /// A loan phone was asked for and none are left: the form offers the phone waitlist or one's own phone.
    case noLoanPhoneLeft
    case invalid(String)

    public var status: Int {
        switch self {
        case .notFound: 404
        case .sessionClosed, .noLoanPhoneLeft: 409
        case .invalid: 400
        }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .sessionClosed: "session_closed"
        case .noLoanPhoneLeft: "no_loan_phone_left"
        case .invalid: "invalid"
        }
    }

    public var message: String {
        switch self {
        case .notFound: "お探しの教室またはお申し込みは見つかりませんでした。"
        case .sessionClosed(let reason): reason
        case .noLoanPhoneLeft: ClassWorkflow.noLoanPhoneMessage
        case .invalid(let reason): reason
        }
    }

    public var title: String? {
        switch self {
        case .sessionClosed: "お申し込みを受け付けられません"
        case .noLoanPhoneLeft: "貸出スマホが残っていません"
        default: nil
        }
    }
}

/// Every state change of the classes module, each one `database.write` with its usage event, message and
/// audit row. The single writer serializes signups, so the seat and loan-phone counts read inside a write are
/// exact: 100 signups for the last seat get one seat and 99 places on the waitlist, in the order the writer
/// took them.
public struct ClassWorkflow: Sendable {
    public let database: Database
    public let catalog: ClassCatalog
    public let lineLinks: any LINELinkedResidents

    static let noLoanPhoneMessage =
        "貸出スマホはすべて予約済みです。「貸出スマホの空きを待つ」を選ぶと、空きが出たときに順番にお貸しします。"
        + "ご自分のスマホをお持ちいただける方は「自分のスマホを持っていく」を選んでください。"
    static let closedCancelled = "この教室は中止になりました。ほかの日の教室をお選びください。"
    static let closedPast = "この教室はすでに始まったか終わったため、お申し込みできません。ほかの日の教室をお選びください。"

    public init(database: Database, catalog: ClassCatalog, lineLinks: any LINELinkedResidents) {
        self.database = database
        self.catalog = catalog
        self.lineLinks = lineLinks
    }

    // MARK: Sessions

    public func createSession(_ draft: SessionDraft, staffID: Int64, origin: AuditOrigin, at now: Date) throws -> Int64
    {
        guard let venue = catalog.venue(code: draft.venueCode) else { throw ClassStepRefused.invalid("会場を選んでください。") }
        return try database.write { connection in
            let id = try ClassStore.insertSession(
                draft, districtCode: venue.district, staffID: staffID, at: now, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_session.create", "class_session", id), at: now, on: connection)
            return id
        }
    }

    /// Capacity may not drop below the seats already confirmed, nor loan phones below those lent: nobody loses a
    /// seat by an edit. A larger capacity promotes from the waitlist in the same write.
    public func updateSession(id: Int64, _ draft: SessionDraft, staffID: Int64, origin: AuditOrigin, at now: Date)
        throws
    {
        guard let venue = catalog.venue(code: draft.venueCode) else { throw ClassStepRefused.invalid("会場を選んでください。") }
        try database.write { connection in
            guard let session = try ClassStore.fetchSession(id: id, on: connection) else {
                throw ClassStepRefused.notFound
            }
            guard session.status == .scheduled else {
                throw ClassStepRefused.sessionClosed("中止または開催済みの教室は変更できません。")
            }
            let counts = try ClassStore.counts(sessionID: id, on: connection)
            guard draft.capacity >= counts.confirmed else {
                throw ClassStepRefused.invalid("定員は、参加確定の \(counts.confirmed) 人より少なくできません。")
            }
            guard draft.loanPhones >= counts.phonesAssigned else {
                throw ClassStepRefused.invalid("貸出スマホの台数は、お貸しする予定の \(counts.phonesAssigned) 台より少なくできません。")
            }
            try ClassStore.updateSession(id: id, draft, districtCode: venue.district, at: now, on: connection)
            try fillFreedPlaces(sessionID: id, at: now, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_session.update", "class_session", id), at: now, on: connection)
        }
    }

    /// Cancels the session and tells everyone signed up: a message each (LINE or マイページ, or the guest's page)
    /// and, for those without LINE, a line on the call list.
    public func cancelSession(id: Int64, reason: String, staffID: Int64, origin: AuditOrigin, at now: Date) throws
        -> Int
    {
        try database.write { connection in
            guard let session = try ClassStore.fetchSession(id: id, on: connection) else {
                throw ClassStepRefused.notFound
            }
            guard session.status == .scheduled else { throw ClassStepRefused.sessionClosed("この教室はすでに中止または開催済みです。") }
            try ClassStore.markCancelled(id: id, reason: reason, at: now, on: connection)
            let live = try ClassStore.fetchSignups(sessionID: id, on: connection).filter(\.isLive)
            let linked = try lineLinks.linkedResidentIDs(among: live.compactMap(\.residentID), on: connection)
            let place = catalog.venue(code: session.venueCode)?.name ?? session.venueCode
            for signup in live {
                var body = "\(session.timeText)に\(place)で予定していた「\(session.title)」は中止になりました。"
                if !reason.isEmpty { body += "\n理由：\(reason)" }
                body += "\nご迷惑をおかけして申し訳ありません。ほかの日の教室は町のホームページ「スマホ教室」からお申し込みいただけます。"
                try ResidentMessages.send(
                    subject: "【スマホ教室】中止のお知らせ", body: body, to: signup.residentID, source: ClassesModule.name,
                    recordID: signup.id, at: now, on: connection)
                if signup.residentID.map({ !linked.contains($0) }) ?? true {
                    try ClassStore.needCall(signupID: signup.id, reason: "cancelled", on: connection)
                }
            }
            try AuditLog.append(
                origin.event(staffID: staffID, "class_session.cancel", "class_session", id), at: now, on: connection)
            return live.count
        }
    }

    public func addInstructor(name: String, kind: String, staffID: Int64, origin: AuditOrigin, at now: Date) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100 else { throw ClassStepRefused.invalid("お名前を100文字以内で入力してください。") }
        guard kind == "staff" || kind == "volunteer" else { throw ClassStepRefused.invalid("職員かボランティアかを選んでください。") }
        try database.write { connection in
            let id = try ClassStore.insertInstructor(name: trimmed, kind: kind, at: now, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_instructor.create", "class_instructor", id), at: now,
                on: connection)
        }
    }

    // MARK: Signups

    public enum SignupOutcome: Sendable, Equatable {
        /// `guestToken` is the guest's confirmation-page token, shown once; `position` is their place on the
        /// waitlist.
        case signedUp(ClassSignup, position: Int?, guestToken: String?)
        /// The same person (resident or phone number) already has a live signup for the session.
        case alreadySignedUp(ClassSignup, position: Int?)
    }

    /// The one signup rule, for the resident's form, the guest's, the staff's (phone or counter) and the API.
    public func signUp(sessionID: Int64, _ request: SignupRequest, origin: AuditOrigin, at now: Date) throws
        -> SignupOutcome
    {
        let guestToken = request.residentID == nil && request.channel != .counter ? SecureRandom.token() : nil
        return try database.write { connection in
            try signUp(sessionID: sessionID, request, guestToken: guestToken, origin: origin, at: now, on: connection)
        }
    }

    func signUp(
        sessionID: Int64, _ request: SignupRequest, guestToken: String?, origin: AuditOrigin, at now: Date,
        on connection: Connection
    ) throws -> SignupOutcome {
        guard let session = try ClassStore.fetchSession(id: sessionID, on: connection) else {
            throw ClassStepRefused.notFound
        }
        guard session.status != .cancelled else { throw ClassStepRefused.sessionClosed(Self.closedCancelled) }
        // A walk-in is added by staff on the day, while the class runs.
        guard session.status == .scheduled, request.walkIn || now < session.startsAt else {
            throw ClassStepRefused.sessionClosed(Self.closedPast)
        }
        if let existing = try ClassStore.fetchLiveSignup(
            sessionID: sessionID, residentID: request.residentID, phone: request.phone, on: connection)
        {
            let position =
                existing.status == .waitlisted ? try ClassStore.waitlistPosition(of: existing, on: connection) : nil
            return .alreadySignedUp(existing, position: position)
        }
        let counts = try ClassStore.counts(sessionID: sessionID, on: connection)
        let seat = request.walkIn || counts.confirmed < session.capacity
        var loanPhone = LoanPhone.none
        if request.loanPhone != .no {
            if !seat {
                loanPhone = .requested
            } else if counts.phonesAssigned < session.loanPhones {
                loanPhone = .assigned
            } else if request.loanPhone == .wait {
                loanPhone = .requested
            } else {
                throw ClassStepRefused.noLoanPhoneLeft
            }
        }
        let id = try ClassStore.insertSignup(
            sessionID: sessionID, request, status: seat ? .confirmed : .waitlisted, loanPhone: loanPhone,
            guestTokenSHA256: guestToken.map(Self.tokenDigest), at: now, on: connection)
        guard let signup = try ClassStore.fetchSignup(id: id, on: connection) else { throw ClassStepRefused.notFound }
        try UsageEvents.record(
            UsageEvent(
                source: ClassesModule.name, kind: "signed_up", channel: request.channel.usageChannel,
                person: Self.person(signup), subjectCode: session.themeCode, districtCode: session.districtCode),
            at: now, on: connection)
        if let staffID = request.staffID {
            try AuditLog.append(
                origin.event(staffID: staffID, "class_signup.create", "class_signup", id), at: now, on: connection)
        }
        let position = seat ? nil : try ClassStore.waitlistPosition(of: signup, on: connection)
        return .signedUp(signup, position: position, guestToken: guestToken)
    }

    /// Cancels one signup (by the resident, the guest or staff) and, in the same write, gives the freed seat to
    /// the first person waiting and a freed loan phone to the first person waiting for one, telling each.
    public func cancelSignup(signupID: Int64, staffID: Int64?, origin: AuditOrigin, at now: Date) throws {
        try database.write { connection in
            guard let signup = try ClassStore.fetchSignup(id: signupID, on: connection) else {
                throw ClassStepRefused.notFound
            }
            guard signup.isLive else { return }
            guard let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection),
                session.status == .scheduled
            else { throw ClassStepRefused.sessionClosed("中止または開催済みの教室のお申し込みは取り消せません。") }
            try ClassStore.setStatus(signupID: signupID, .cancelled, loanPhone: .none, at: now, on: connection)
            try fillFreedPlaces(sessionID: session.id, at: now, on: connection)
            if let staffID {
                try AuditLog.append(
                    origin.event(staffID: staffID, "class_signup.cancel", "class_signup", signupID), at: now,
                    on: connection)
            }
        }
    }

    /// Moves waiting people up while seats are free, then lends free phones to those waiting for one, FIFO.
    func fillFreedPlaces(sessionID: Int64, at now: Date, on connection: Connection) throws {
        guard let session = try ClassStore.fetchSession(id: sessionID, on: connection), session.status == .scheduled
        else {
            return
        }
        var counts = try ClassStore.counts(sessionID: sessionID, on: connection)
        while counts.confirmed < session.capacity,
            let next = try ClassStore.firstWaitlisted(sessionID: sessionID, on: connection)
        {
            try ClassStore.setStatus(signupID: next.id, .confirmed, loanPhone: next.loanPhone, at: now, on: connection)
            counts.confirmed += 1
            try notify(
                next, session: session, subject: "【スマホ教室】キャンセル待ちから参加が決まりました",
                body:
                    "キャンセルが出たため、「\(session.title)」（\(session.timeText)、\(venueName(session))）に参加いただけることになりました。当日お待ちしています。",
                callReason: "promoted", at: now, on: connection)
        }
        while counts.phonesAssigned < session.loanPhones,
            let next = try ClassStore.firstWaitingForPhone(sessionID: sessionID, on: connection)
        {
            try ClassStore.setStatus(signupID: next.id, .confirmed, loanPhone: .assigned, at: now, on: connection)
            counts.phonesAssigned += 1
            try ResidentMessages.send(
                subject: "【スマホ教室】貸出スマホをご用意します",
                body: "「\(session.title)」（\(session.timeText)）で、貸出スマホをご用意できることになりました。",
                to: next.residentID, source: ClassesModule.name, recordID: next.id, at: now, on: connection)
        }
    }

    func notify(
        _ signup: ClassSignup, session: ClassSession, subject: String, body: String, callReason: String, at now: Date,
        on connection: Connection
    ) throws {
        try ResidentMessages.send(
            subject: subject, body: body, to: signup.residentID, source: ClassesModule.name, recordID: signup.id,
            at: now,
            on: connection)
        let linked = try lineLinks.linkedResidentIDs(among: signup.residentID.map { [$0] } ?? [], on: connection)
        if signup.residentID.map({ !linked.contains($0) }) ?? true {
            try ClassStore.needCall(signupID: signup.id, reason: callReason, on: connection)
        }
    }

    /// Staff link a phone-only signup to the resident record they found, so attribution can follow them.
    public func linkSignup(signupID: Int64, residentID: Int64, staffID: Int64, origin: AuditOrigin, at now: Date) throws
    {
        try database.write { connection in
            guard try ClassStore.fetchSignup(id: signupID, on: connection) != nil else {
                throw ClassStepRefused.notFound
            }
            guard try ResidentStore.fetchResident(id: residentID, on: connection) != nil else {
                throw ClassStepRefused.invalid("その住民番号の方は見つかりませんでした。")
            }
            try ClassStore.linkResident(signupID: signupID, residentID: residentID, at: now, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_signup.link", "class_signup", signupID), at: now, on: connection)
        }
    }

    public func markCalled(signupID: Int64, called: Bool, staffID: Int64, origin: AuditOrigin, at now: Date) throws {
        try database.write { connection in
            guard try ClassStore.fetchSignup(id: signupID, on: connection) != nil else {
                throw ClassStepRefused.notFound
            }
            try ClassStore.markCalled(
                signupID: signupID, staffID: called ? staffID : nil, at: called ? now : nil, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_signup.called", "class_signup", signupID), at: now, on: connection
            )
        }
    }

    // MARK: Reminders

    public struct ReminderTally: Sendable, Equatable {
        public var line = 0
        public var callList = 0
    }

    /// The day before (by the JST calendar): confirmed signups of tomorrow's sessions get a LINE message if
    /// linked, else a line on the call list. Each signup once, however often it runs.
    public func sendReminders(at now: Date) throws -> ReminderTally {
        let tomorrow = CalendarDate.adding(days: 1, to: CalendarDate.today(at: now))
        guard let from = JapanTime.startOfDay(tomorrow),
            let to = JapanTime.startOfDay(CalendarDate.adding(days: 1, to: tomorrow))
        else { return ReminderTally() }
        // The job runs every few minutes: a pass with nothing due reads and commits nothing.
        let due = try database.read { connection in
            try ClassStore.fetchSessions(startingFrom: from, before: to, on: connection).contains { session in
                try ClassStore.fetchSignups(sessionID: session.id, on: connection)
                    .contains { $0.status == .confirmed && $0.remindedAt == nil }
            }
        }
        guard due else { return ReminderTally() }
        return try database.write { connection in
            var tally = ReminderTally()
            for session in try ClassStore.fetchSessions(startingFrom: from, before: to, on: connection) {
                let due = try ClassStore.fetchSignups(sessionID: session.id, on: connection)
                    .filter { $0.status == .confirmed && $0.remindedAt == nil }
                let linked = try lineLinks.linkedResidentIDs(among: due.compactMap(\.residentID), on: connection)
                for signup in due {
                    if let residentID = signup.residentID, linked.contains(residentID) {
                        try ResidentMessages.send(
                            subject: "【スマホ教室】明日の教室のご案内",
                            body: reminderBody(session, signup: signup), to: residentID, source: ClassesModule.name,
                            recordID: signup.id, at: now, on: connection)
                        tally.line += 1
                    } else {
                        try ClassStore.needCall(signupID: signup.id, reason: "reminder", on: connection)
                        tally.callList += 1
                    }
                    try ClassStore.markReminded(signupID: signup.id, at: now, on: connection)
                }
            }
            return tally
        }
    }

    func reminderBody(_ session: ClassSession, signup: ClassSignup) -> String {
        var text = "明日 \(session.timeText)、\(venueName(session))で「\(session.title)」を開きます。"
        if signup.loanPhone == .assigned { text += "\n貸出スマホをご用意しています。" }
        if !session.bring.isEmpty { text += "\n持ち物：\(session.bring)" }
        return text
    }

    // MARK: Attendance and survey

    public func markAttendance(signupID: Int64, present: Bool, staffID: Int64, origin: AuditOrigin, at now: Date) throws
    {
        try database.write { connection in
            guard let signup = try ClassStore.fetchSignup(id: signupID, on: connection), signup.status == .confirmed,
                let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection)
            else { throw ClassStepRefused.notFound }
            guard session.status == .scheduled else { throw ClassStepRefused.sessionClosed("出欠はすでに締め切られています。") }
            try ClassStore.setAttended(signupID: signupID, present, at: now, on: connection)
            try AuditLog.append(
                origin.event(staffID: staffID, "class_signup.attendance", "class_signup", signupID), at: now,
                on: connection)
        }
    }

    /// Closes attendance: the session is held, and each present person is counted once as an attendee.
    public func closeAttendance(sessionID: Int64, staffID: Int64, origin: AuditOrigin, at now: Date) throws -> Int {
        try database.write { connection in
            guard let session = try ClassStore.fetchSession(id: sessionID, on: connection) else {
                throw ClassStepRefused.notFound
            }
            guard session.status == .scheduled else { throw ClassStepRefused.sessionClosed("この教室は中止または開催済みです。") }
            try ClassStore.markHeld(id: sessionID, at: now, on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: ClassesModule.name, kind: "session_held", channel: .counter,
                    person: .guest(record: "class_session", id: sessionID), subjectCode: session.themeCode,
                    districtCode: session.districtCode),
                at: now, on: connection)
            let present = try ClassStore.fetchSignups(sessionID: sessionID, on: connection)
                .filter { $0.status == .confirmed && $0.attended == true }
            for signup in present {
                try UsageEvents.record(
                    UsageEvent(
                        source: ClassesModule.name, kind: "attended", channel: .counter, person: Self.person(signup),
                        subjectCode: session.themeCode, districtCode: session.districtCode),
                    at: now, on: connection)
            }
            try AuditLog.append(
                origin.event(staffID: staffID, "class_session.close", "class_session", sessionID), at: now,
                on: connection)
            return present.count
        }
    }

    public struct SurveyForm: Sendable, Equatable {
        public var satisfaction: Int
        public var learned: String
        public var nextWish: String
    }

    /// 満足度 1–5 is required; the two free texts are optional (a paper sheet often leaves them blank).
    public static func checkSurvey(satisfaction: String, learned: String, nextWish: String) -> (
        SurveyForm?, FormErrorsList
    ) {
        var errors: FormErrorsList = []
        guard let value = Int(satisfaction), (1...5).contains(value) else {
            errors.append(("satisfaction", "満足度を1から5の中から選んでください。"))
            return (nil, errors)
        }
        let learnedText = learned.trimmingCharacters(in: .whitespacesAndNewlines)
        let nextText = nextWish.trimmingCharacters(in: .whitespacesAndNewlines)
        if learnedText.count > 1000 { errors.append(("learned", "1000文字以内で入力してください。")) }
        if nextText.count > 1000 { errors.append(("next_wish", "1000文字以内で入力してください。")) }
        guard errors.isEmpty else { return (nil, errors) }
        return (SurveyForm(satisfaction: value, learned: learnedText, nextWish: nextText), [])
    }

    /// One answer per attendee: online by them (`staffID` nil) or typed in by staff from the paper sheet.
    public func submitSurvey(signupID: Int64, _ form: SurveyForm, staffID: Int64?, origin: AuditOrigin, at now: Date)
        throws
    {
        try database.write { connection in
            guard let signup = try ClassStore.fetchSignup(id: signupID, on: connection), signup.attended == true,
                let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection)
            else { throw ClassStepRefused.notFound }
            guard try ClassStore.fetchSurveyAnswer(signupID: signupID, on: connection) == nil else {
                throw ClassStepRefused.invalid("アンケートはすでにお答えいただいています。ありがとうございました。")
            }
            try ClassStore.insertSurveyAnswer(
                signupID: signupID, sessionID: session.id, satisfaction: form.satisfaction, learned: form.learned,
                nextWish: form.nextWish, channel: staffID == nil ? "web" : "counter", staffID: staffID, at: now,
                on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: ClassesModule.name, kind: "survey_answered", channel: staffID == nil ? .web : .counter,
                    person: Self.person(signup), subjectCode: "satisfaction-\(form.satisfaction)",
                    districtCode: session.districtCode),
                at: now, on: connection)
            if let staffID {
                try AuditLog.append(
                    origin.event(staffID: staffID, "class_survey.enter", "class_signup", signupID), at: now,
                    on: connection)
            }
        }
    }

    // MARK: Helpers

    func venueName(_ session: ClassSession) -> String {
        catalog.venue(code: session.venueCode)?.name ?? session.venueCode
    }

    static func tokenDigest(_ token: String) -> String { Hex.encode(Digest.sha256(Array(token.utf8))) }

    static func person(_ signup: ClassSignup) -> UsagePerson {
        signup.residentID.map { .resident(id: $0) } ?? .guest(record: "class_signup", id: signup.id)
    }
}

public typealias FormErrorsList = [(String, String)]

extension SignupChannel {
    var usageChannel: UsageChannel {
        switch self {
        case .web: .web
        case .line: .line
        case .counter: .counter
        }
    }
}

/// Where a staff request came from, for its audit row.
public struct AuditOrigin: Sendable {
    public var clientAddress: String?
    public var requestID: String?
    public static let none = AuditOrigin(clientAddress: nil, requestID: nil)

    public init(clientAddress: String?, requestID: String?) {
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    func event(staffID: Int64, _ action: String, _ subjectType: String, _ subjectID: Int64) -> AuditEvent {
        AuditEvent(
            actor: .staff(id: staffID), action: action, subjectType: subjectType, subjectID: String(subjectID),
            clientAddress: clientAddress, requestID: requestID)
    }
}

extension Request {
    var auditOrigin: AuditOrigin { AuditOrigin(clientAddress: clientAddress, requestID: requestID) }
}
