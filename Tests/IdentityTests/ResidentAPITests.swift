import Foundation
import Identity
import TestSupport
import Testing

/// The resident JSON API: sessions by cookie, and nobody else's record.
@Suite("Resident API over HTTP")
struct ResidentAPITests {
    /// Logs in through the API and returns the CSRF token from the body.
    private func logIn(_ browser: Browser, _ loginID: String) throws -> String {
        let response = try browser.json(
            "POST", "/api/v1/sessions",
            body: #"{"login_id":"\#(loginID)","password":"\#(Fixtures.residentPassword)"}"#)
        #expect(response.status == 201)
        #expect(response.setCookie?.name == "__Host-madoguchi")
        return try #require(response.jsonObject?["csrf_token"] as? String)
    }

    @Test func aResident_cannotReadAnotherResidentsRecord_byChangingTheID() throws {
        let app = try TestApplication()
        let hanako = try Fixtures.makeResident(app.database, loginID: "hanako@example.jp")
        let taro = try Fixtures.makeResident(
            app.database, loginID: "09012345678", profile: Fixtures.residentProfile(name: "振内 太郎", kana: "フレナイ タロウ"))
        let browser = app.browser()
        _ = try logIn(browser, "hanako@example.jp")

        let own = try browser.json("GET", "/api/v1/residents/\(hanako)")
        #expect(own.status == 200)
        #expect(own.jsonObject?["full_name"] as? String == "平取 花子")

        let someoneElse = try browser.json("GET", "/api/v1/residents/\(taro)")
        let nobody = try browser.json("GET", "/api/v1/residents/999999")
        let notANumber = try browser.json("GET", "/api/v1/residents/abc")
        #expect(someoneElse.status == 404)
        #expect(nobody.status == 404)
        #expect(notANumber.status == 404)
        #expect(!someoneElse.text.contains("振内"))
        let first = try #require(someoneElse.jsonObject?["error"] as? [String: Any])
        let second = try #require(nobody.jsonObject?["error"] as? [String: Any])
        #expect(first["code"] as? String == "not_found")
        #expect(first["code"] as? String == second["code"] as? String)
        #expect(first["message"] as? String == second["message"] as? String, "another's id looks like no id at all")

        let me = try browser.json("GET", "/api/v1/me")
        #expect(me.jsonObject?["id"] as? Int == Int(hanako))
        #expect((me.jsonObject?["district"] as? [String: Any])?["name"] as? String == "平取")
    }

    @Test func theAPI_answers401JSON_withoutASession() throws {
        let app = try TestApplication()
        let id = try Fixtures.makeResident(app.database)
        for path in ["/api/v1/me", "/api/v1/residents/\(id)"] {
            let response = try app.browser().json("GET", path)
            #expect(response.status == 401)
            #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect((response.jsonObject?["error"] as? [String: Any])?["code"] as? String == "unauthenticated")
        }
    }

    @Test func deletingTheSession_needsTheCSRFHeader_thenEndsIt() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        let csrfToken = try logIn(browser, "hanako@example.jp")

        let refused = try browser.json("DELETE", "/api/v1/sessions/current")
        #expect(refused.status == 403)
        #expect((refused.jsonObject?["error"] as? [String: Any])?["code"] as? String == "csrf_failed")
        #expect(try browser.json("GET", "/api/v1/me").status == 200)

        let token = try #require(browser.cookies["__Host-madoguchi"])
        let deleted = try browser.json("DELETE", "/api/v1/sessions/current", headers: [("X-CSRF-Token", csrfToken)])
        #expect(deleted.status == 204)
        #expect(deleted.setCookie?.attributes["max-age"] == "0")
        let replay = app.browser()
        replay.setCookie("__Host-madoguchi", token)
        #expect(try replay.json("GET", "/api/v1/me").status == 401)
    }

    @Test func apiLogin_isThrottledLikeTheForm() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        for _ in 0..<5 {
            let failed = try browser.json(
                "POST", "/api/v1/sessions", body: #"{"login_id":"hanako@example.jp","password":"wrong guess"}"#)
            #expect(failed.status == 401)
        }
        let locked = try browser.json(
            "POST", "/api/v1/sessions",
            body: #"{"login_id":"hanako@example.jp","password":"\#(Fixtures.residentPassword)"}"#)
        #expect(locked.status == 429)
        #expect(locked.headers["retry-after"] == "1")
        #expect((locked.jsonObject?["error"] as? [String: Any])?["code"] as? String == "too_many_attempts")
    }
}
