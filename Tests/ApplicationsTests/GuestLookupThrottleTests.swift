import Cryptography
import Foundation
import Identity
import TestSupport
import Testing

@testable import Applications

/// The wave-1 examination sent 40 wrong secrets for one reference to the guest lookup and never saw a 429. The
/// lookup now grows its delays as login does, per reference and per client address.
@Suite("Guest lookup throttle over HTTP")
struct GuestLookupThrottleTests {
    /// A guest submission through the JSON API; returns the reference and the secret shown once.
    func submitAsGuest(_ app: TestApplication) throws -> (reference: String, secret: String) {
        let body = """
            {"procedure_code":"water-start","submission_token":"\(SecureRandom.token())",
             "answers":\(EndToEnd.waterStartAnswers)}
            """
        let response = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        #expect(response.status == 201)
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        return (try #require(object["reference"] as? String), try #require(object["guest_secret"] as? String))
    }

    func lookUp(_ app: TestApplication, _ reference: String, _ secret: String) throws -> BrowserResponse {
        try app.browser().json(
            "POST", "/api/v1/applications/lookup", body: "{\"reference\":\"\(reference)\",\"secret\":\"\(secret)\"}")
    }

    @Test func wrongSecretsForOneReference_get429WithRetryAfter_andTheRightSecretWorksAfterTheDelay() throws {
        let app = try TestApplication()
        let (reference, secret) = try submitAsGuest(app)
        let threshold = ThrottlePolicy().accountThreshold
        for attempt in 1...threshold {
            #expect(try lookUp(app, reference, "AAAA-BBBB-CCCC").status == 404, "wrong secret \(attempt)")
        }
        // Locked now: even the right secret is refused, before it is compared, with the time to wait.
        let locked = try lookUp(app, reference, secret)
        #expect(locked.status == 429)
        #expect(locked.errorCode == "too_many_attempts")
        #expect(locked.text.contains("しばらく時間をおいてから"))
        let retryAfter = try #require(locked.headers["retry-after"].flatMap(Int.init))
        #expect(retryAfter >= 1)
        #expect(try lookUp(app, reference, "AAAA-BBBB-CCCC").status == 429)

        app.clock.advance(by: TimeInterval(retryAfter) + 1)
        let found = try lookUp(app, reference, secret)
        #expect(found.status == 200)
        #expect(found.jsonObject?["reference"] as? String == reference)
        // The right secret cleared the reference's count: one more slip is a plain 404 again.
        #expect(try lookUp(app, reference, "AAAA-BBBB-CCCC").status == 404)
    }

    @Test func manyReferencesFromOneAddress_get429_andTheLookupPageSaysWhyInJapanese() throws {
        let app = try TestApplication()
        let (reference, secret) = try submitAsGuest(app)
        // Different, well-formed references, none of them issued: only the address counter adds up.
        for _ in 1...ThrottlePolicy().addressThreshold {
            #expect(try lookUp(app, ReferenceNumber.generate(), "AAAA-BBBB-CCCC").status == 404)
        }
        #expect(try lookUp(app, reference, secret).status == 429, "the address is locked for every reference")

        let guest = app.browser()
        _ = try guest.get("/applications/lookup")
        let page = try guest.submit("/applications/lookup", form: [("reference", reference), ("guest_secret", secret)])
        #expect(page.status == 429)
        #expect(page.headers["retry-after"] != nil)
        #expect(page.text.contains("確認の試行回数が多すぎます。"))
        #expect(page.text.contains("name=\"reference\""), "the form again, to try later")
        // The lookup page's actions check the secret too, so they are no way round the lock.
        let withdraw = try guest.submit(
            "/applications/lookup/withdraw", form: [("reference", reference), ("guest_secret", secret)])
        #expect(withdraw.status == 429)
        let status = try app.database.read {
            try $0.scalar("SELECT status FROM applications WHERE reference = ?", reference, as: String.self)
        }
        #expect(status == "received")
    }
}
