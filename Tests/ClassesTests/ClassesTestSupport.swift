import App
import Foundation
import Store
import TestSupport

@testable import Classes

/// The classes module of a running test application, and sessions made through its workflow.
enum ClassesFixtures {
    /// 2026-04-10 10:00 JST, nine days after the test clock's start.
    static let classStart = Date(timeIntervalSince1970: 1_775_782_800)

    static func module(_ app: TestApplication) -> ClassesModule {
        app.application.modules.compactMap { $0 as? ClassesModule }.first!
    }

    static func workflow(_ app: TestApplication) -> ClassWorkflow { module(app).workflow }

    /// A session at `start` (default 2026-04-10 10:00 JST) in 振内 unless told.
    @discardableResult
    static func makeSession(
        _ app: TestApplication, title: String = "LINEをはじめよう", theme: String = "line",
        venue: String = "furenai-seikatsukan", start: Date = classStart, capacity: Int = 10, loanPhones: Int = 2,
        staffID: Int64 = 1
    ) throws -> Int64 {
        try workflow(app).createSession(
            SessionDraft(
                title: title, themeCode: theme, venueCode: venue, startsAt: start,
                endsAt: start.addingTimeInterval(7200), capacity: capacity, loanPhones: loanPhones, instructorIDs: [],
                bring: "お持ちのスマホ", notes: ""),
            staffID: staffID, origin: .none, at: app.clock.now())
    }

    static func guest(_ name: String, phone: String, loan: SignupRequest.LoanPhoneChoice = .no) -> SignupRequest {
        SignupRequest(
            residentID: nil, fullName: name, fullNameKana: "テスト", phone: phone, channel: .web, loanPhone: loan)
    }

    static func signups(_ app: TestApplication, session: Int64) throws -> [ClassSignup] {
        try app.database.read { try ClassStore.fetchSignups(sessionID: session, on: $0) }
    }

    static func usageEvents(_ app: TestApplication, kind: String) throws -> [(
        channel: String, subject: String?, district: String?
    )] {
        try app.database.read { connection in
            try connection.query(
                "SELECT channel, subject_code, district_code FROM usage_events WHERE source = 'classes' AND kind = ? ORDER BY id",
                kind
            ).map { (try $0.get("channel"), try $0.get("subject_code"), try $0.get("district_code")) }
        }
    }

    static func messages(_ app: TestApplication) throws -> [(resident: Int64?, record: Int64?, subject: String)] {
        try app.database.read { connection in
            try connection.query(
                "SELECT resident_id, record_id, subject FROM resident_messages WHERE source = 'classes' ORDER BY id"
            ).map { (try $0.get("resident_id"), try $0.get("record_id"), try $0.get("subject")) }
        }
    }

    static func guestForm(name: String, kana: String = "テスト タロウ", phone: String, loan: String = "no") -> [(
        String, String
    )] {
        [("full_name", name), ("full_name_kana", kana), ("phone", phone), ("loan_phone", loan), ("channel", "web")]
    }
}
