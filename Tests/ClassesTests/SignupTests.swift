import Foundation
import Identity
import Store
import TestSupport
import Testing

@testable import Classes

@Suite("Class signups over HTTP")
struct SignupTests {
    @Test func guestSignsUp_withNameKanaAndPhone_andGetsAConfirmationPage() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let id = try ClassesFixtures.makeSession(app)
        let browser = app.browser()
        let listing = try browser.get("/classes")
        #expect(listing.status == 200)
        #expect(listing.text.contains("LINEをはじめよう"))
        #expect(listing.text.contains("残り 10 席"))
        let page = try browser.get("/classes/\(id)")
        #expect(page.text.contains("振内生活館"))
        // The venue's address and access lines break once each: `</br>` is a second break in HTML.
        #expect(page.text.contains("振内生活館<br>北海道沙流郡平取町振内町<br>"))
        #expect(page.text.contains("2026年4月10日 10:00〜12:00"))
        let done = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "振内 太郎", phone: "01457-3-1234", loan: "yes")
        )
        #expect(done.status == 200)
        #expect(done.text.contains("参加が決まりました。貸出スマホをご用意します。"))
        let signups = try ClassesFixtures.signups(app, session: id)
        #expect(signups.count == 1)
        #expect(signups[0].phone == "0145731234")
        #expect(signups[0].fullNameKana == "テスト タロウ")
        #expect(signups[0].loanPhone == .assigned)
        let events = try ClassesFixtures.usageEvents(app, kind: "signed_up")
        #expect(events.count == 1)
        #expect(events[0].channel == "web" && events[0].subject == "line" && events[0].district == "furenai")
        // The confirmation page link lets the guest cancel.
        let link = try #require(done.text.range(of: "/classes/signup/[A-Za-z0-9_-]+", options: .regularExpression))
        let path = String(done.text[link])
        let status = try browser.get(path)
        #expect(status.text.contains("参加が決まりました"))
        let cancelled = try browser.submit(path + "/cancel", form: [])
        #expect(cancelled.status == 303)
        #expect(try ClassesFixtures.signups(app, session: id)[0].status == .cancelled)
    }

    @Test func badInput_eachGetsAClearJapaneseMessage_andNothingIsWritten() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let id = try ClassesFixtures.makeSession(app, capacity: 5, loanPhones: 1)
        let browser = app.browser()
        _ = try browser.get("/classes/\(id)")

        let noPhone = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "振内 太郎", phone: ""))
        #expect(noPhone.status == 422)
        #expect(noPhone.text.contains("電話番号を入力してください。アカウントのない方は"))
        let foreign = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "振内 太郎", phone: "+1 212 555 0100"))
        #expect(foreign.status == 422)
        #expect(foreign.text.contains("日本の番号で入力してください"))
        let noKana = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "振内 太郎", kana: "", phone: "0145731234"))
        #expect(noKana.text.contains("フリガナを入力してください。"))
        #expect(try ClassesFixtures.signups(app, session: id).isEmpty)

        // The only loan phone goes to the first; the second is offered the phone waitlist or their own phone.
        _ = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "一", phone: "0145731001", loan: "yes"))
        _ = try browser.get("/classes/\(id)")
        let noPhoneLeft = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "二", phone: "0145731002", loan: "yes"))
        #expect(noPhoneLeft.status == 409)
        #expect(noPhoneLeft.text.contains("貸出スマホはすべて予約済みです"))
        #expect(noPhoneLeft.text.contains("貸出スマホを借りたい（なければ空きを待つ）"))
        #expect(try ClassesFixtures.signups(app, session: id).count == 1)
        let waiting = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "二", phone: "0145731002", loan: "wait"))
        #expect(waiting.text.contains("貸出スマホは空き待ちです"))

        // A second signup by the same phone is refused kindly, showing the first.
        _ = try browser.get("/classes/\(id)")
        let again = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "一", phone: "01457-3-1001"))
        #expect(again.status == 200)
        #expect(again.text.contains("すでにお申し込みいただいています"))
        #expect(again.text.contains("お申し込みの状況：参加確定"))
        #expect(try ClassesFixtures.signups(app, session: id).count == 2)

        // Cancelled and past sessions refuse with a page that says why.
        let cancelledID = try ClassesFixtures.makeSession(app, title: "中止の教室")
        _ = try ClassesFixtures.workflow(app).cancelSession(
            id: cancelledID, reason: "大雪", staffID: 1, origin: .none, at: app.clock.now())
        _ = try browser.get("/classes/\(id)")
        let toCancelled = try browser.submit(
            "/classes/\(cancelledID)/signups", form: ClassesFixtures.guestForm(name: "三", phone: "0145731003"))
        #expect(toCancelled.status == 409)
        #expect(toCancelled.text.contains("この教室は中止になりました。"))
        _ = try browser.get("/classes/\(id)")
        app.clock.set(ClassesFixtures.classStart.addingTimeInterval(60))
        let late = try browser.submit(
            "/classes/\(id)/signups", form: ClassesFixtures.guestForm(name: "三", phone: "0145731003"))
        #expect(late.status == 409)
        #expect(late.text.contains("すでに始まったか終わったため"))
        #expect(try ClassesFixtures.signups(app, session: id).count == 2)
        #expect(try ClassesFixtures.signups(app, session: cancelledID).isEmpty)
    }

    @Test func signedInResident_isPrefilled_andSeesTheSignupOnMyPage() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database, profile: Fixtures.residentProfile(phone: "0145720000"))
        let id = try ClassesFixtures.makeSession(app)
        let browser = app.browser()
        try browser.signInAsResident()
        let page = try browser.get("/classes/\(id)")
        #expect(page.text.contains("平取 花子 様として申し込みます"))
        #expect(page.text.contains("value=\"0145720000\""))
        let done = try browser.submit("/classes/\(id)/signups", form: [("phone", "0145720000"), ("loan_phone", "no")])
        #expect(done.text.contains("参加が決まりました"))
        let signup = try #require(try ClassesFixtures.signups(app, session: id).first)
        #expect(signup.residentID == residentID)
        #expect(signup.fullName == "平取 花子")
        let myPage = try browser.get("/mypage")
        #expect(myPage.text.contains("/classes/mine/\(signup.id)"))
        // Someone else's signup id answers 404.
        let other = try ClassesFixtures.workflow(app).signUp(
            sessionID: id, ClassesFixtures.guest("他人", phone: "0145739999"), origin: .none, at: app.clock.now())
        guard case .signedUp(let otherSignup, _, _) = other else { Issue.record("not signed up"); return }
        #expect(try browser.get("/classes/mine/\(otherSignup.id)").status == 404)
    }

    @Test func staffSignUpACaller_byPhone_withoutAnAccount() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let id = try ClassesFixtures.makeSession(app)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        let page = try staff.get("/staff/classes/\(id)")
        #expect(page.status == 200)
        let done = try staff.submit(
            "/staff/classes/\(id)/signups",
            form: [
                ("full_name", "貫気別 キヨ"), ("full_name_kana", ""), ("phone", "01457-4-0001"), ("resident_id", ""),
                ("loan_phone", "yes"),
            ])
        #expect(done.status == 303)
        let signups = try ClassesFixtures.signups(app, session: id)
        #expect(signups.count == 1)
        #expect(signups[0].channel == .counter && signups[0].residentID == nil && signups[0].loanPhone == .assigned)
        #expect(try ClassesFixtures.usageEvents(app, kind: "signed_up").map(\.channel) == ["counter"])
        let audit = try Fixtures.auditRecords(app.database).map(\.action)
        #expect(audit.contains("class_signup.create"))
        #expect(audit.contains("class_session.read"))
        let detail = try staff.get("/staff/classes/\(id)")
        #expect(detail.text.contains("貫気別 キヨ"))
        // Bad phone: the staff form says so beside the field.
        let bad = try staff.submit(
            "/staff/classes/\(id)/signups", form: [("full_name", "二人目"), ("phone", "12345"), ("loan_phone", "no")])
        #expect(bad.status == 422)
        #expect(bad.text.contains("日本の番号で入力してください"))
    }
}

@Suite("The classes LINE notice")
struct ClassNoticeTests {
    /// The session page's 「LINEでお知らせする」 opens the notices console's preview with the classes text filled
    /// in: the session's date, venue and its page link, which records a signup from it as a LINE one.
    @Test func noticeCarriesTheSessionLinkDateAndVenue_andASignupFromItCountsAsLINE() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        _ = try Fixtures.makeResidents(app.database, count: 2, district: "furenai")
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let id = try ClassesFixtures.makeSession(app)
        let staff = app.browser()
        try staff.signInAsStaff("machi")
        let page = try staff.get("/staff/classes/\(id)")
        func hidden(_ name: String) throws -> String {
            let pattern = "name=\"\(name)\" value=\"([^\"]*)\""
            let regex = try NSRegularExpression(pattern: pattern)
            let match = try #require(
                regex.firstMatch(in: page.text, range: NSRange(page.text.startIndex..., in: page.text)))
            let value = String(page.text[Range(match.range(at: 1), in: page.text)!])
            return value.replacingOccurrences(of: "&#10;", with: "\n").replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&quot;", with: "\"")
        }
        let fields = try ["title", "text", "values", "audience", "district"].map { ($0, try hidden($0)) }
        let preview = try staff.submit("/staff/notices/preview", form: fields)
        #expect(preview.status == 200)
        #expect(preview.text.contains("日時：2026年4月10日 10:00〜12:00"))
        #expect(preview.text.contains("会場：振内生活館"))
        #expect(preview.text.contains("/classes/\(id)?via=line"))

        let resident = app.browser()
        let fromLINE = try resident.get("/classes/\(id)?via=line")
        #expect(fromLINE.text.contains("name=\"channel\" value=\"line\""))
        _ = try resident.submit(
            "/classes/\(id)/signups",
            form: ClassesFixtures.guestForm(name: "LINE から", phone: "0145731234").map {
                $0.0 == "channel" ? ("channel", "line") : $0
            })
        #expect(try ClassesFixtures.usageEvents(app, kind: "signed_up").map(\.channel) == ["line"])
    }
}
