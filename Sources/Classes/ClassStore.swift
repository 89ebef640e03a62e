import Foundation
import Store

/// A seat and loan-phone tally of one session, counted inside the transaction that uses it.
public struct SessionCounts: Sendable, Equatable {
    public var confirmed = 0
    public var waitlisted = 0
    public var phonesAssigned = 0
    public var phonesRequested = 0
}

/// An instructor (デジタル活用支援員) in the small registry.
public struct ClassInstructor: Sendable, Equatable {
    public let id: Int64
    public let name: String
    /// staff or volunteer
    public let kind: String
    public let active: Bool

    public var kindLabel: String { kind == "staff" ? "職員" : "デジタル活用支援員（ボランティア）" }
}

public struct SurveyAnswer: Sendable, Equatable {
    public let signupID: Int64
    public let sessionID: Int64
    public let satisfaction: Int
    public let learned: String
    public let nextWish: String
    public let channel: String
}

/// Every SQL statement of the classes module.
public enum ClassStore {
    // MARK: Sessions

    static func insertSession(
        _ draft: SessionDraft, districtCode: String, staffID: Int64, at time: Date, on connection: Connection
    )
        throws -> Int64
    {
        try connection.run(
            """
            INSERT INTO class_sessions (title, theme_code, venue_code, district_code, starts_at, ends_at, capacity,
                loan_phones, instructor_ids, bring, notes, created_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, draft.title, draft.themeCode, draft.venueCode, districtCode, draft.startsAt, draft.endsAt,
            draft.capacity, draft.loanPhones, idsJSON(draft.instructorIDs), draft.bring, draft.notes, staffID, time,
            time)
        return connection.lastInsertRowID
    }

    static func updateSession(
        id: Int64, _ draft: SessionDraft, districtCode: String, at time: Date, on connection: Connection
    )
        throws
    {
        try connection.run(
            """
            UPDATE class_sessions SET title = ?, theme_code = ?, venue_code = ?, district_code = ?, starts_at = ?,
                ends_at = ?, capacity = ?, loan_phones = ?, instructor_ids = ?, bring = ?, notes = ?, updated_at = ?
            WHERE id = ?
            """, draft.title, draft.themeCode, draft.venueCode, districtCode, draft.startsAt, draft.endsAt,
            draft.capacity, draft.loanPhones, idsJSON(draft.instructorIDs), draft.bring, draft.notes, time, id)
    }

    static func markCancelled(id: Int64, reason: String, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_sessions SET status = 'cancelled', cancel_reason = ?, cancelled_at = ?, updated_at = ? WHERE id = ?",
            reason, time, time, id)
    }

    static func markHeld(id: Int64, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_sessions SET status = 'held', held_at = ?, updated_at = ? WHERE id = ?", time, time, id)
    }

    public static func fetchSession(id: Int64, on connection: Connection) throws -> ClassSession? {
        try connection.queryFirst("SELECT * FROM class_sessions WHERE id = ?", id).map(session)
    }

    /// Sessions that have not started yet and are not cancelled, soonest first.
    public static func fetchUpcomingSessions(after time: Date, on connection: Connection) throws -> [ClassSession] {
        try connection.query(
            "SELECT * FROM class_sessions WHERE status = 'scheduled' AND starts_at > ? ORDER BY starts_at, id", time
        ).map(session)
    }

    public static func fetchAllSessions(limit: Int = 500, on connection: Connection) throws -> [ClassSession] {
        try connection.query("SELECT * FROM class_sessions ORDER BY starts_at DESC, id DESC LIMIT ?", limit).map(
            session)
    }

    /// Scheduled sessions that start inside [from, to).
    static func fetchSessions(startingFrom from: Date, before to: Date, on connection: Connection) throws
        -> [ClassSession]
    {
        try connection.query(
            "SELECT * FROM class_sessions WHERE status = 'scheduled' AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id",
            from, to
        ).map(session)
    }

    static func fetchHeldSessions(fiscalYearStart from: Date, end to: Date, on connection: Connection) throws
        -> [ClassSession]
    {
        try connection.query(
            "SELECT * FROM class_sessions WHERE status = 'held' AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id",
            from, to
        ).map(session)
    }

    public static func counts(sessionID: Int64, on connection: Connection) throws -> SessionCounts {
        var counts = SessionCounts()
        for row in try connection.query(
            "SELECT status, loan_phone, count(*) AS n FROM class_signups WHERE session_id = ? AND walk_in = 0 GROUP BY status, loan_phone",
            sessionID)
        {
            let (status, loan, n): (String, String, Int) = (
                try row.get("status"), try row.get("loan_phone"), try row.get("n")
            )
            if status == "confirmed" {
                counts.confirmed += n
                if loan == "assigned" { counts.phonesAssigned += n }
                if loan == "requested" { counts.phonesRequested += n }
            } else if status == "waitlisted" {
                counts.waitlisted += n
            }
        }
        return counts
    }

    // MARK: Signups

    static func insertSignup(
        sessionID: Int64, _ request: SignupRequest, status: SignupStatus, loanPhone: LoanPhone,
        guestTokenSHA256: String?,
        at time: Date, on connection: Connection
    ) throws -> Int64 {
        try connection.run(
            """
            INSERT INTO class_signups (session_id, resident_id, full_name, full_name_kana, phone, channel, status,
                loan_phone, walk_in, attended, guest_token_sha256, signed_up_by_staff_id, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, sessionID, request.residentID, request.fullName, request.fullNameKana, request.phone,
            request.channel.rawValue, status.rawValue, loanPhone.rawValue, request.walkIn,
            request.walkIn ? Optional(true) : nil, guestTokenSHA256, request.staffID, time, time)
        return connection.lastInsertRowID
    }

    public static func fetchSignup(id: Int64, on connection: Connection) throws -> ClassSignup? {
        try connection.queryFirst("SELECT * FROM class_signups WHERE id = ?", id).map(signup)
    }

    static func fetchSignup(guestTokenSHA256: String, on connection: Connection) throws -> ClassSignup? {
        try connection.queryFirst("SELECT * FROM class_signups WHERE guest_token_sha256 = ?", guestTokenSHA256).map(
            signup)
    }

    /// The live signup of the same person for the session: same resident, or same phone.
    static func fetchLiveSignup(sessionID: Int64, residentID: Int64?, phone: String?, on connection: Connection) throws
        -> ClassSignup?
    {
        try connection.queryFirst(
            """
            SELECT * FROM class_signups WHERE session_id = ? AND status <> 'cancelled'
              AND ((resident_id IS NOT NULL AND resident_id = ?) OR (phone IS NOT NULL AND phone = ?))
            ORDER BY id LIMIT 1
            """, sessionID, residentID, phone
        ).map(signup)
    }

    /// Every signup of a session in arrival order (the waitlist's order).
    public static func fetchSignups(sessionID: Int64, on connection: Connection) throws -> [ClassSignup] {
        try connection.query("SELECT * FROM class_signups WHERE session_id = ? ORDER BY id", sessionID).map(signup)
    }

    public static func fetchSignups(residentID: Int64, on connection: Connection) throws -> [ClassSignup] {
        try connection.query(
            "SELECT * FROM class_signups WHERE resident_id = ? ORDER BY id DESC LIMIT 50", residentID
        ).map(signup)
    }

    /// 1 for the first waiting person.
    static func waitlistPosition(of signup: ClassSignup, on connection: Connection) throws -> Int {
        try connection.scalar(
            "SELECT count(*) FROM class_signups WHERE session_id = ? AND status = 'waitlisted' AND id <= ?",
            signup.sessionID, signup.id, as: Int.self) ?? 0
    }

    static func firstWaitlisted(sessionID: Int64, on connection: Connection) throws -> ClassSignup? {
        try connection.queryFirst(
            "SELECT * FROM class_signups WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1", sessionID
        ).map(signup)
    }

    static func firstWaitingForPhone(sessionID: Int64, on connection: Connection) throws -> ClassSignup? {
        try connection.queryFirst(
            """
            SELECT * FROM class_signups WHERE session_id = ? AND status = 'confirmed' AND loan_phone = 'requested'
            ORDER BY id LIMIT 1
            """, sessionID
        ).map(signup)
    }

    static func setStatus(
        signupID: Int64, _ status: SignupStatus, loanPhone: LoanPhone, at time: Date, on connection: Connection
    )
        throws
    {
        try connection.run(
            "UPDATE class_signups SET status = ?, loan_phone = ?, updated_at = ?, cancelled_at = CASE WHEN ? = 'cancelled' THEN ? ELSE cancelled_at END WHERE id = ?",
            status.rawValue, loanPhone.rawValue, time, status.rawValue, time, signupID)
    }

    static func setAttended(signupID: Int64, _ attended: Bool?, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_signups SET attended = ?, updated_at = ? WHERE id = ?", attended, time, signupID)
    }

    static func linkResident(signupID: Int64, residentID: Int64, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_signups SET resident_id = ?, updated_at = ? WHERE id = ?", residentID, time, signupID)
    }

    static func markReminded(signupID: Int64, at time: Date, on connection: Connection) throws {
        try connection.run("UPDATE class_signups SET reminded_at = ? WHERE id = ?", time, signupID)
    }

    /// Puts the signup on the call list (again): a new reason to phone clears the last tick.
    static func needCall(signupID: Int64, reason: String, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_signups SET call_reason = ?, called_at = NULL, called_by_staff_id = NULL WHERE id = ?",
            reason,
            signupID)
    }

    /// The call list: signups staff must phone, of sessions not yet over, soonest class first.
    static func fetchCallList(after time: Date, on connection: Connection) throws -> [ClassSignup] {
        try connection.query(
            """
            SELECT g.* FROM class_signups g JOIN class_sessions s ON s.id = g.session_id
            WHERE g.call_reason IS NOT NULL AND s.ends_at > ?
            ORDER BY g.called_at IS NOT NULL, s.starts_at, g.id
            """, time
        ).map(signup)
    }

    static func markCalled(signupID: Int64, staffID: Int64?, at time: Date?, on connection: Connection) throws {
        try connection.run(
            "UPDATE class_signups SET called_at = ?, called_by_staff_id = ? WHERE id = ?", time, staffID, signupID)
    }

    // MARK: Instructors

    static func insertInstructor(name: String, kind: String, at time: Date, on connection: Connection) throws -> Int64 {
        try connection.run("INSERT INTO class_instructors (name, kind, created_at) VALUES (?, ?, ?)", name, kind, time)
        return connection.lastInsertRowID
    }

    public static func fetchInstructors(on connection: Connection) throws -> [ClassInstructor] {
        try connection.query("SELECT * FROM class_instructors ORDER BY id").map { row in
            ClassInstructor(
                id: try row.get("id"), name: try row.get("name"), kind: try row.get("kind"),
                active: try row.get("active"))
        }
    }

    // MARK: Survey

    static func insertSurveyAnswer(
        signupID: Int64, sessionID: Int64, satisfaction: Int, learned: String, nextWish: String, channel: String,
        staffID: Int64?, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            """
            INSERT INTO class_survey_answers (signup_id, session_id, satisfaction, learned, next_wish, channel,
                entered_by_staff_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, signupID, sessionID, satisfaction, learned, nextWish, channel, staffID, time)
    }

    static func fetchSurveyAnswer(signupID: Int64, on connection: Connection) throws -> SurveyAnswer? {
        try connection.queryFirst("SELECT * FROM class_survey_answers WHERE signup_id = ?", signupID).map(surveyAnswer)
    }

    public static func fetchSurveyAnswers(sessionID: Int64, on connection: Connection) throws -> [SurveyAnswer] {
        try connection.query("SELECT * FROM class_survey_answers WHERE session_id = ? ORDER BY id", sessionID)
            .map(surveyAnswer)
    }

    /// Per theme: answers and the satisfaction counts 1…5.
    static func fetchSurveyTotalsByTheme(on connection: Connection) throws -> [(
        theme: String, satisfaction: Int, count: Int
    )] {
        try connection.query(
            """
            SELECT s.theme_code AS theme, a.satisfaction AS satisfaction, count(*) AS n
            FROM class_survey_answers a JOIN class_sessions s ON s.id = a.session_id
            GROUP BY s.theme_code, a.satisfaction ORDER BY s.theme_code, a.satisfaction
            """
        ).map { (try $0.get("theme"), try $0.get("satisfaction"), try $0.get("n")) }
    }

    // MARK: Decoding

    static func idsJSON(_ ids: [Int64]) -> String { "[" + ids.map(String.init).joined(separator: ",") + "]" }

    static func session(_ row: Row) throws -> ClassSession {
        let idsText: String = try row.get("instructor_ids")
        let ids = idsText.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
            .compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        return ClassSession(
            id: try row.get("id"), title: try row.get("title"), themeCode: try row.get("theme_code"),
            venueCode: try row.get("venue_code"), districtCode: try row.get("district_code"),
            startsAt: try row.get("starts_at"), endsAt: try row.get("ends_at"), capacity: try row.get("capacity"),
            loanPhones: try row.get("loan_phones"), instructorIDs: ids, bring: try row.get("bring"),
            notes: try row.get("notes"), status: SessionStatus(rawValue: try row.get("status")) ?? .scheduled,
            cancelReason: try row.get("cancel_reason"), heldAt: try row.get("held_at"))
    }

    static func signup(_ row: Row) throws -> ClassSignup {
        ClassSignup(
            id: try row.get("id"), sessionID: try row.get("session_id"), residentID: try row.get("resident_id"),
            fullName: try row.get("full_name"), fullNameKana: try row.get("full_name_kana"),
            phone: try row.get("phone"), channel: SignupChannel(rawValue: try row.get("channel")) ?? .web,
            status: SignupStatus(rawValue: try row.get("status")) ?? .cancelled,
            loanPhone: LoanPhone(rawValue: try row.get("loan_phone")) ?? .none, walkIn: try row.get("walk_in"),
            attended: try row.get("attended"), remindedAt: try row.get("reminded_at"),
            callReason: try row.get("call_reason"), calledAt: try row.get("called_at"),
            createdAt: try row.get("created_at"))
    }

    static func surveyAnswer(_ row: Row) throws -> SurveyAnswer {
        SurveyAnswer(
            signupID: try row.get("signup_id"), sessionID: try row.get("session_id"),
            satisfaction: try row.get("satisfaction"), learned: try row.get("learned"),
            nextWish: try row.get("next_wish"), channel: try row.get("channel"))
    }
}
