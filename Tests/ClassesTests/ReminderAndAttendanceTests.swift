import Foundation
import Identity
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Classes

@Suite("Reminders, attendance and survey")
struct ReminderAndAttendanceTests {
    /// Reminders go out the day before by the JST calendar: at 23:59 JST two days before nothing is due; at
    /// 00:00 JST the day before (15:00 UTC) it is — LINE for the linked resident, the call list for the guest.
    @Test func reminder_atTheJSTDayBoundary_toLINEAndToTheCallList() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let residents = try Fixtures.makeResidents(app.database, count: 1)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let workflow = ClassesFixtures.workflow(app)
        let id = try ClassesFixtures.makeSession(app)  // 2026-04-10 10:00 JST
        let now = app.clock.now()
        _ = try workflow.signUp(
            sessionID: id,
            SignupRequest(
                residentID: residents[0], fullName: "町民1", fullNameKana: "", phone: nil, channel: .line, loanPhone: .no),
            origin: .none, at: now)
        _ = try workflow.signUp(
            sessionID: id, ClassesFixtures.guest("電話 ハナ", phone: "0145731234"), origin: .none, at: now)
        // 2026-04-08 23:59:59 JST = 2026-04-08T14:59:59Z.
        app.clock.set(Date(timeIntervalSince1970: 1_775_660_399))
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        _ = try staff.get("/staff/classes/calls")
        var done = try staff.submit("/staff/classes/reminders", form: [])
        #expect(done.location == "/staff/classes/calls?done=reminded-0-0")
        #expect(try ClassesFixtures.messages(app).isEmpty)

        app.clock.advance(by: 1)  // 2026-04-09 00:00 JST
        done = try staff.submit("/staff/classes/reminders", form: [])
        #expect(done.location == "/staff/classes/calls?done=reminded-1-1")
        let messages = try ClassesFixtures.messages(app)
        try #require(messages.count == 1)
        #expect(messages[0].resident == residents[0] && messages[0].subject == "【スマホ教室】明日の教室のご案内")
        let calls = try staff.get("/staff/classes/calls")
        #expect(calls.text.contains("電話 ハナ"))
        #expect(calls.text.contains("0145731234"))
        #expect(calls.text.contains("前日のご案内"))
        // Running again reminds nobody twice.
        _ = try staff.submit("/staff/classes/reminders", form: [])
        #expect(try ClassesFixtures.messages(app).count == 1)
        // Ticking off the call.
        let guest = try #require(try ClassesFixtures.signups(app, session: id).first { $0.residentID == nil })
        _ = try staff.get("/staff/classes/calls")
        _ = try staff.submit("/staff/classes/signups/\(guest.id)/called", form: [("called", "1")])
        #expect(try ClassesFixtures.signups(app, session: id).first { $0.id == guest.id }?.calledAt != nil)
    }

    /// The serve process's job does the same pass by the server's clock: started on the day before, its first
    /// pass reminds; stopped, it has finished that pass.
    @Test func reminderJob_remindsByTheServersClock() throws {
        let app = try TestApplication()
        let residents = try Fixtures.makeResidents(app.database, count: 1)
        let workflow = ClassesFixtures.workflow(app)
        let id = try ClassesFixtures.makeSession(app)
        _ = try workflow.signUp(
            sessionID: id,
            SignupRequest(
                residentID: residents[0], fullName: "町民1", fullNameKana: "", phone: nil, channel: .web, loanPhone: .no),
            origin: .none, at: app.clock.now())
        app.clock.set(Date(timeIntervalSince1970: 1_775_660_400))  // 2026-04-09 00:00 JST
        let job = ClassReminderJob(workflow: workflow, clock: app.clock.function, interval: 3600, logger: .disabled)
        job.start()
        job.stop()
        #expect(try ClassesFixtures.messages(app).map(\.subject) == ["【スマホ教室】明日の教室のご案内"])
        // Every later pass finds nothing due and writes nothing.
        let writes = app.database.writerStatistics.writes
        #expect(try workflow.sendReminders(at: app.clock.now()) == ClassWorkflow.ReminderTally())
        #expect(app.database.writerStatistics.writes == writes)
    }

    @Test func attendance_onTheTablet_walkIns_closeMarksHeld_andTheSurvey() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let workflow = ClassesFixtures.workflow(app)
        let id = try ClassesFixtures.makeSession(app, theme: "cashless")
        let now = app.clock.now()
        guard
            case .signedUp(let present, _, let token) = try workflow.signUp(
                sessionID: id, ClassesFixtures.guest("出席 する", phone: "0145731001"), origin: .none, at: now)
        else { Issue.record("no signup"); return }
        _ = try workflow.signUp(
            sessionID: id, ClassesFixtures.guest("欠席 する", phone: "0145731002"), origin: .none, at: now)
        app.clock.set(ClassesFixtures.classStart.addingTimeInterval(600))
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        let page = try staff.get("/staff/classes/\(id)/attendance")
        #expect(page.text.contains("class=\"touch\""))
        let absent = try #require(try ClassesFixtures.signups(app, session: id).first { $0.fullName == "欠席 する" })
        _ = try staff.submit("/staff/classes/signups/\(present.id)/attendance", form: [("present", "1")])
        _ = try staff.get("/staff/classes/\(id)/attendance")
        _ = try staff.submit("/staff/classes/signups/\(absent.id)/attendance", form: [("present", "0")])
        _ = try staff.get("/staff/classes/\(id)/attendance")
        _ = try staff.submit("/staff/classes/\(id)/walk-ins", form: [("full_name", "飛び入り さん"), ("phone", "")])
        let roster = try staff.get("/staff/classes/\(id)/roster")
        #expect(roster.text.contains("飛び入り さん"))
        _ = try staff.get("/staff/classes/\(id)/attendance")
        let closed = try staff.submit("/staff/classes/\(id)/close", form: [])
        #expect(closed.location == "/staff/classes/\(id)?done=held")
        let session = try #require(try app.database.read { try ClassStore.fetchSession(id: id, on: $0) })
        #expect(session.status == .held)
        #expect(try ClassesFixtures.usageEvents(app, kind: "session_held").map(\.subject) == ["cashless"])
        let attended = try ClassesFixtures.usageEvents(app, kind: "attended")
        #expect(attended.count == 2)  // the present one and the walk-in
        #expect(attended.allSatisfy { $0.channel == "counter" && $0.district == "furenai" })

        // The attendee answers online on their confirmation page; staff type in the walk-in's paper sheet.
        let guest = app.browser()
        let status = try guest.get("/classes/signup/\(try #require(token))")
        #expect(status.text.contains("満足度"))
        let answered = try guest.submit(
            "/classes/signup/\(try #require(token))/survey",
            form: [("satisfaction", "5"), ("learned", "QRコード決済"), ("next_wish", "マイナポータル")])
        #expect(answered.status == 303)
        let walkIn = try #require(try ClassesFixtures.signups(app, session: id).first { $0.walkIn })
        _ = try staff.get("/staff/classes/signups/\(walkIn.id)/survey")
        let noChoice = try staff.submit("/staff/classes/signups/\(walkIn.id)/survey", form: [("learned", "x")])
        #expect(noChoice.status == 422)
        #expect(noChoice.text.contains("満足度を1から5の中から選んでください。"))
        _ = try staff.submit("/staff/classes/signups/\(walkIn.id)/survey", form: [("satisfaction", "3")])
        let surveyEvents = try ClassesFixtures.usageEvents(app, kind: "survey_answered")
        #expect(surveyEvents.map(\.channel) == ["web", "counter"])
        #expect(surveyEvents.map(\.subject) == ["satisfaction-5", "satisfaction-3"])
        let detail = try staff.get("/staff/classes/\(id)")
        #expect(detail.text.contains("満足度の平均 4.0"))
        let results = try staff.get("/staff/classes/results")
        #expect(results.text.contains("キャッシュレス決済"))
    }
}
