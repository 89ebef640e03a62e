import Formats
import Foundation
import Identity
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Classes

@Suite("Outcome attribution")
struct OutcomeTests {
    static let day: TimeInterval = 86_400

    func attend(_ app: TestApplication, session: Int64, residentID: Int64?, phone: String) throws -> Int64 {
        let request = SignupRequest(
            residentID: residentID, fullName: "参加者", fullNameKana: "", phone: phone, channel: .counter, loanPhone: .no,
            staffID: 1)
        guard
            case .signedUp(let signup, _, _) = try ClassesFixtures.workflow(app).signUp(
                sessionID: session, request, origin: .none, at: app.clock.now())
        else { throw CancellationError() }
        try ClassesFixtures.workflow(app).markAttendance(
            signupID: signup.id, present: true, staffID: 1, origin: .none, at: app.clock.now())
        return signup.id
    }

    func event(
        _ app: TestApplication, _ source: String, _ kind: String, _ channel: UsageChannel, _ residentID: Int64,
        at time: Date
    )
        throws
    {
        try app.database.write { connection in
            try UsageEvents.record(
                UsageEvent(source: source, kind: kind, channel: channel, person: .resident(id: residentID)), at: time,
                on: connection)
        }
    }

    /// Exact counts on a seeded history: the 90-day edge counts, one second past it does not, an application
    /// before the class is not a first one, a counter entry is not online, and a phone-only attendee counts
    /// only once staff link them to a resident record.
    @Test func attribution_isExact_includingTheNinetyDayEdge_andPhoneOnlyAttendees() throws {
        let app = try TestApplication()
        let r = try Fixtures.makeResidents(app.database, count: 6, linked: { _ in false })
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let t0 = ClassesFixtures.classStart
        let t1 = t0.addingTimeInterval(30 * Self.day)
        let lineClass = try ClassesFixtures.makeSession(app, theme: "line", venue: "furenai-seikatsukan", start: t0)
        let onlineClass = try ClassesFixtures.makeSession(
            app, theme: "online-application", venue: "biratori-townhall", start: t1)
        for (index, resident) in r.prefix(5).enumerated() {
            _ = try attend(app, session: lineClass, residentID: resident, phone: "014573000\(index)")
        }
        let phoneOnly = try attend(app, session: lineClass, residentID: nil, phone: "0145739999")
        _ = try attend(app, session: onlineClass, residentID: r[0], phone: "0145738888")
        let workflow = ClassesFixtures.workflow(app)
        _ = try workflow.closeAttendance(
            sessionID: lineClass, staffID: 1, origin: .none, at: t0.addingTimeInterval(7200))
        _ = try workflow.closeAttendance(
            sessionID: onlineClass, staffID: 1, origin: .none, at: t1.addingTimeInterval(7200))

        try event(app, "notices", "line_linked", .line, r[0], at: t0.addingTimeInterval(3600))  // during the class
        try event(app, "applications", "submitted", .web, r[1], at: t0.addingTimeInterval(90 * Self.day))  // the edge
        try event(app, "applications", "submitted", .web, r[2], at: t0.addingTimeInterval(90 * Self.day + 1))  // past it
        try event(app, "applications", "submitted", .web, r[3], at: t0.addingTimeInterval(-10 * Self.day))  // before
        try event(app, "applications", "submitted", .web, r[3], at: t0.addingTimeInterval(5 * Self.day))
        try event(app, "certificates", "requested", .web, r[3], at: t0.addingTimeInterval(30 * Self.day))
        try event(app, "applications", "submitted", .counter, r[4], at: t0.addingTimeInterval(Self.day))  // not online
        try event(app, "notices", "line_linked", .line, r[5], at: t0.addingTimeInterval(2 * Self.day))

        var outcomes = try app.database.read { try ClassOutcomes.compute(fiscalYear: FiscalYear(2026), on: $0) }
        var line = try #require(outcomes.byTheme.first { $0.code == "line" })
        #expect(line.attendees == 6 && line.followed == 5 && line.phoneOnly == 1)
        #expect(line.linkedLINE == 1 && line.firstApplication == 1 && line.firstCertificateRequest == 1)
        #expect(line.anyOutcome == 3)
        let biratori = try #require(outcomes.byDistrict.first { $0.code == "biratori" })
        #expect(biratori.attendees == 1 && biratori.anyOutcome == 0)  // r0's link came before that class

        let staff = app.browser()
        try staff.signInAsStaff("machi")
        let page = try staff.get("/staff/classes/outcomes?fy=2026")
        #expect(page.text.contains("住民の記録に結び付いていない参加者（1 人）は、その後を追えないため数えていません。"))

        // Staff link the phone-only attendee to their record (r5): now they count, with r5's LINE link.
        _ = try staff.get("/staff/classes/\(lineClass)")
        _ = try staff.submit("/staff/classes/signups/\(phoneOnly)/link", form: [("resident_id", String(r[5]))])
        outcomes = try app.database.read { try ClassOutcomes.compute(fiscalYear: FiscalYear(2026), on: $0) }
        line = try #require(outcomes.byTheme.first { $0.code == "line" })
        #expect(line.followed == 6 && line.phoneOnly == 0 && line.linkedLINE == 2 && line.anyOutcome == 4)
        #expect(outcomes.total.attendees == 6)
        #expect(outcomes.total.linkedLINE == 2 && outcomes.total.firstApplication == 1)
        #expect(outcomes.total.firstCertificateRequest == 1 && outcomes.total.anyOutcome == 4)
        let furenai = try #require(outcomes.byDistrict.first { $0.code == "furenai" })
        #expect(
            furenai
                == ClassOutcomes.Row(
                    code: "furenai", attendees: 6, followed: 6, phoneOnly: 0, linkedLINE: 2, firstApplication: 1,
                    firstCertificateRequest: 1, anyOutcome: 4))
        // Another fiscal year has none of these.
        #expect(
            try app.database.read { try ClassOutcomes.compute(fiscalYear: FiscalYear(2025), on: $0) }.total.attendees
                == 0)
    }

    /// A resident's outcome events are found in every fiscal year from the first event's to the last's, a
    /// year without events in between included, and never another resident's; and by index searches, not a
    /// scan of usage_events (which a report over a town's years of events paid once per attendee).
    @Test func attendeeEvents_comeFromEveryFiscalYear_byIndexSearch() throws {
        let app = try TestApplication()
        let r = try Fixtures.makeResidents(app.database, count: 2, linked: { _ in false })
        let year: TimeInterval = 365 * Self.day
        let t0 = ClassesFixtures.classStart
        try event(app, "applications", "submitted", .web, r[0], at: t0.addingTimeInterval(-2 * year))
        try event(app, "notices", "line_linked", .line, r[1], at: t0.addingTimeInterval(-year))
        try event(app, "certificates", "requested", .web, r[0], at: t0.addingTimeInterval(year))
        try event(app, "applications", "submitted", .counter, r[0], at: t0)
        let found = try app.database.read { try ClassOutcomes.fetchEvents(residentID: r[0], on: $0) }
        #expect(found.map(\.kind).sorted() == ["requested", "submitted"])
        #expect(found.map(\.at).sorted() == [t0.addingTimeInterval(-2 * year), t0.addingTimeInterval(year)])
        let plan = try app.database.read { connection in
            try connection.query("EXPLAIN QUERY PLAN " + ClassOutcomes.eventsOfPersonSQL, "key").map {
                try $0.get("detail") as String
            }
        }
        #expect(plan.contains("SEARCH usage_events USING INDEX usage_events_by_year (fiscal_year=? AND resident_key=?)"))
        #expect(!plan.contains { $0.hasPrefix("SCAN usage_events") })
    }
}
