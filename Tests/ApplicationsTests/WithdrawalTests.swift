import Foundation
import Store
import TestSupport
import Testing

@testable import Applications

/// 取下げ asks before it acts, and a second tap says "already withdrawn" instead of a 409 about review: one tap
/// on 「この申請を取り下げる」 used to end the application, and the next tap blamed a review that never started.
@Suite("Withdrawing an application")
struct WithdrawalTests {
    @Test func resident_confirmsFirst_andASecondWithdrawSaysItIsAlreadyWithdrawn() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(
            app.database, loginID: "hanako@example.jp", profile: ApplicationFixtures.profile)
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "road-light-report"))
        let application = try ApplicationFixtures.submit(app.database, procedure: procedure, residentID: residentID)
        let reference = try #require(application.reference)
        let browser = app.browser()
        try browser.signInAsResident("hanako@example.jp")

        // The status page's button opens a confirmation page; nothing has changed yet.
        let status = try browser.get("/applications/\(reference)")
        #expect(status.text.contains("<form method=\"get\" action=\"/applications/\(reference)/withdraw\">"))
        #expect(!status.text.contains("<form method=\"post\" action=\"/applications/\(reference)/withdraw\""))
        let confirm = try browser.get("/applications/\(reference)/withdraw")
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("この申請を取り下げますか"))
        #expect(confirm.text.contains("<form method=\"post\" action=\"/applications/\(reference)/withdraw\""))
        #expect(confirm.text.contains("取り下げずに申請の状況へ戻る"))
        #expect(try storedStatus(app, reference) == .received, "opening the confirmation withdraws nothing")

        let withdrawn = try browser.submit("/applications/\(reference)/withdraw", form: [])
        #expect(withdrawn.status == 303)
        #expect(try storedStatus(app, reference) == .withdrawn)

        // The second tap (Back, then the button again) says it is done, and records nothing more.
        let again = try browser.submit("/applications/\(reference)/withdraw", form: [])
        #expect(again.status == 303)
        #expect(again.location == "/applications/\(reference)?done=already-withdrawn")
        let shown = try browser.get("/applications/\(reference)?done=already-withdrawn")
        #expect(shown.text.contains("この申請はすでに取り下げ済みです。"))
        #expect(!shown.text.contains("審査が始まっている"))
        let reopened = try browser.get("/applications/\(reference)/withdraw")
        #expect(reopened.status == 303)
        #expect(reopened.location == "/applications/\(reference)?done=already-withdrawn")
        let withdrewEvents = try app.database.read {
            try $0.scalar("SELECT count(*) FROM usage_events WHERE kind = 'withdrew'", as: Int.self)
        }
        #expect(withdrewEvents == 1)

        // The API answers the same way: a conflict that says why, not one about review.
        let api = try browser.json(
            "POST", "/api/v1/applications/\(reference)/withdraw",
            headers: [("X-CSRF-Token", try #require(browser.csrfToken))])
        #expect(api.status == 409)
        #expect(api.text.contains("すでに取り下げ済み"))
    }

    @Test func guest_confirmsFirst_andASecondWithdrawSaysItIsAlreadyWithdrawn() throws {
        let app = try TestApplication()
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "road-light-report"))
        let secret = "ABCD-EFGH-JKLM"
        let application = try ApplicationFixtures.submit(
            app.database, procedure: procedure, residentID: nil, guestSecret: secret)
        let reference = try #require(application.reference)
        let guest = app.browser()
        _ = try guest.get("/applications/lookup")
        let found = try guest.submit(
            "/applications/lookup", form: [("reference", reference), ("guest_secret", secret)])
        #expect(found.status == 200)
        #expect(found.text.contains("action=\"/applications/lookup/confirm-withdrawal\""))
        #expect(!found.text.contains("action=\"/applications/lookup/withdraw\""))

        let confirm = try guest.submit(
            "/applications/lookup/confirm-withdrawal", form: [("reference", reference), ("guest_secret", secret)])
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("この申請を取り下げますか"))
        #expect(confirm.text.contains("action=\"/applications/lookup/withdraw\""))
        #expect(try storedStatus(app, reference) == .received)

        // The confirmation page's token, as a second tap on it (Back, then the button again) would send.
        let form = [("csrf_token", try #require(guest.csrfToken)), ("reference", reference), ("guest_secret", secret)]
        let withdrawn = try guest.post("/applications/lookup/withdraw", form: form)
        #expect(withdrawn.status == 200)
        #expect(withdrawn.text.contains("申請を取り下げました。"))
        let again = try guest.post("/applications/lookup/withdraw", form: form)
        #expect(again.status == 200, "not a 409 about review")
        #expect(again.text.contains("この申請はすでに取り下げ済みです。"))
        let confirmAgain = try guest.post("/applications/lookup/confirm-withdrawal", form: form)
        #expect(confirmAgain.status == 200)
        #expect(confirmAgain.text.contains("この申請はすでに取り下げ済みです。"))
        #expect(!confirmAgain.text.contains("この申請を取り下げますか"))
    }

    func storedStatus(_ app: TestApplication, _ reference: String) throws -> ApplicationStatus? {
        try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) }?.status
    }
}
