import Foundation
import Identity
import ServiceKit
import Store
import Synchronization
import TestSupport
import Testing

@testable import Classes

@Suite("Capacity, waitlist and promotion")
struct CapacityTests {
    /// 100 guests press 申し込む at once for 10 seats and 4 loan phones: the single writer gives exactly 10
    /// seats and 4 phones, and the other 90 join the waitlist in the order the writer took them.
    @Test func hundredConcurrentSignups_exactlyCapacityConfirmed_restWaitlistedInArrivalOrder() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let id = try ClassesFixtures.makeSession(app, capacity: 10, loanPhones: 4)
        let browsers = (0..<100).map { _ in app.browser() }
        for browser in browsers { _ = try browser.get("/classes/\(id)") }
        let answers = Mutex<[Int: String]>([:])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (index, browser) in browsers.enumerated() {
            group.enter()
            let thread = Thread {
                start.wait()
                let phone = String(format: "0145750%04d", index)
                let text =
                    (try? browser.submit(
                        "/classes/\(id)/signups",
                        form: ClassesFixtures.guestForm(name: "町民\(index)", phone: phone, loan: "wait")))?.text ?? ""
                answers.withLock { $0[index] = text }
                group.leave()
            }
            thread.start()
        }
        for _ in 0..<100 { start.signal() }
        group.wait()

        let signups = try ClassesFixtures.signups(app, session: id)
        #expect(signups.count == 100)
        let confirmed = signups.filter { $0.status == .confirmed }
        let waitlisted = signups.filter { $0.status == .waitlisted }
        #expect(confirmed.count == 10)
        #expect(waitlisted.count == 90)
        #expect(confirmed.filter { $0.loanPhone == .assigned }.count == 4)
        #expect(confirmed.filter { $0.loanPhone == .requested }.count == 6)
        // Arrival order is the writer's order: the seats went to the first ten ids, and each waiting person's
        // page named the place their id holds.
        #expect(confirmed.map(\.id) == Array(signups.map(\.id).prefix(10)))
        let texts = answers.withLock { $0 }
        for (rank, signup) in waitlisted.enumerated() {
            let index = Int(signup.fullName.dropFirst(2))!
            #expect(texts[index]?.contains("キャンセル待ち \(rank + 1) 番目") == true, "signup \(signup.id)")
        }
        let counts = try app.database.read { try ClassStore.counts(sessionID: id, on: $0) }
        #expect(counts.confirmed == 10 && counts.phonesAssigned == 4)
    }

    @Test func cancellation_promotesTheFirstWaiting_inTheSameWrite_andTellsThem() throws {
        let app = try TestApplication()
        let residents = try Fixtures.makeResidents(app.database, count: 3, linked: { $0 == 1 })
        let workflow = ClassesFixtures.workflow(app)
        let id = try ClassesFixtures.makeSession(app, capacity: 1, loanPhones: 1)
        let now = app.clock.now()
        func signUp(_ residentID: Int64, loan: SignupRequest.LoanPhoneChoice) throws -> ClassSignup {
            let request = SignupRequest(
                residentID: residentID, fullName: "町民", fullNameKana: "", phone: nil, channel: .web, loanPhone: loan)
            guard case .signedUp(let signup, _, _) = try workflow.signUp(sessionID: id, request, origin: .none, at: now)
            else {
                throw CancellationError()
            }
            return signup
        }
        let first = try signUp(residents[0], loan: .yes)
        let second = try signUp(residents[1], loan: .wait)
        let third = try signUp(residents[2], loan: .no)
        #expect(second.status == .waitlisted && third.status == .waitlisted)

        // The first cancels on マイページ's page: the second (LINE-linked) moves up and gets the freed phone.
        try workflow.cancelSignup(signupID: first.id, staffID: nil, origin: .none, at: now)
        let after = try ClassesFixtures.signups(app, session: id)
        #expect(after.first { $0.id == second.id }?.status == .confirmed)
        #expect(after.first { $0.id == second.id }?.loanPhone == .assigned)
        #expect(after.first { $0.id == third.id }?.status == .waitlisted)
        let messages = try ClassesFixtures.messages(app)
        #expect(messages.map(\.subject) == ["【スマホ教室】キャンセル待ちから参加が決まりました", "【スマホ教室】貸出スマホをご用意します"])
        #expect(messages.allSatisfy { $0.resident == residents[1] })
        // Linked on LINE: no call needed.
        #expect(after.first { $0.id == second.id }?.callReason == nil)

        // Staff cancel the second over HTTP: the third (no LINE) moves up and lands on the call list.
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        _ = try staff.get("/staff/classes/\(id)")
        #expect(try staff.submit("/staff/classes/signups/\(second.id)/cancel", form: []).status == 303)
        let promoted = try #require(try ClassesFixtures.signups(app, session: id).first { $0.id == third.id })
        #expect(promoted.status == .confirmed)
        #expect(promoted.callReason == "promoted")
        #expect(try ClassesFixtures.messages(app).last?.resident == residents[2])
        let calls = try staff.get("/staff/classes/calls")
        #expect(calls.text.contains("キャンセル待ちからの繰り上げ"))
    }

    @Test func cancellingASession_notifiesEveryoneSignedUp() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let linked = try Fixtures.makeResidents(app.database, count: 1)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let workflow = ClassesFixtures.workflow(app)
        let id = try ClassesFixtures.makeSession(app, capacity: 2)
        let now = app.clock.now()
        _ = try workflow.signUp(
            sessionID: id,
            SignupRequest(
                residentID: linked[0], fullName: "町民1", fullNameKana: "", phone: nil, channel: .web, loanPhone: .no),
            origin: .none, at: now)
        _ = try workflow.signUp(
            sessionID: id, ClassesFixtures.guest("電話の人", phone: "0145731111"), origin: .none, at: now)
        _ = try workflow.signUp(
            sessionID: id, ClassesFixtures.guest("待つ人", phone: "0145732222"), origin: .none, at: now)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        _ = try staff.get("/staff/classes/\(id)")
        let done = try staff.submit("/staff/classes/\(id)/cancel", form: [("reason", "大雪のため")])
        #expect(done.status == 303)
        let signups = try ClassesFixtures.signups(app, session: id)
        let messages = try ClassesFixtures.messages(app)
        #expect(messages.count == 3)
        #expect(messages.allSatisfy { $0.subject == "【スマホ教室】中止のお知らせ" })
        #expect(Set(messages.compactMap(\.record)) == Set(signups.map(\.id)))
        #expect(messages.first { $0.resident == linked[0] } != nil)
        // The two without LINE are on the call list.
        #expect(signups.filter { $0.callReason == "cancelled" }.count == 2)
        let page = try app.browser().get("/classes/\(id)")
        #expect(page.text.contains("この教室は中止になりました。"))
        #expect(try Fixtures.auditRecords(app.database).map(\.action).contains("class_session.cancel"))
    }
}
