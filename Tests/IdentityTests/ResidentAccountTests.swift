import Cryptography
import Foundation
import Identity
import Security
import Store
import TestSupport
import Testing

/// The resident side over real HTTP: registration, login, cookies, sessions, CSRF and the pages.
@Suite("Resident accounts over HTTP")
struct ResidentAccountTests {
    @Test func register_signsIn_andMyPageShowsTheProfile() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let browser = app.browser()
        let form = try browser.get("/register")
        #expect(form.status == 200)
        #expect(form.text.contains("<label for=\"login_id\">"))
        let registered = try browser.submit(
            "/register",
            form: [
                ("login_id", "Hanako@Example.jp"), ("password", "correct horse battery"),
                ("password_confirmation", "correct horse battery"),
            ] + Fixtures.residentProfileForm())
        #expect(registered.status == 303)
        #expect(registered.location == "/mypage")
        let myPage = try browser.get("/mypage")
        #expect(myPage.status == 200)
        #expect(myPage.text.contains("平取 花子"))
        #expect(myPage.text.contains("ビラトリ ハナコ"))
        #expect(myPage.text.contains("hanako@example.jp"), "the login id was normalised")
        // Sections come from the service modules the app wires in; the profile section is Identity's own.
        #expect(myPage.text.contains("登録内容"))
        let stored = try app.database.read {
            try $0.scalar("SELECT password_hash FROM residents", as: String.self)
        }
        #expect(stored?.hasPrefix("pbkdf2-sha256$1000$") == true)
        #expect(try Fixtures.auditRecords(app.database).map(\.action) == ["resident.register"])
    }

    @Test func register_withErrors_showsThemBesideTheFieldsAndInASummary() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        _ = try browser.get("/register")
        let page = try browser.submit(
            "/register",
            form: [("login_id", "hanako@example.jp"), ("password", "short"), ("password_confirmation", "short")]
                + Fixtures.residentProfileForm(name: ""))
        #expect(page.status == 422)
        #expect(page.text.contains("<title>エラー：新規登録"))
        #expect(page.text.contains("<a href=\"#password\">パスワードは8文字以上で入力してください。</a>"))
        #expect(page.text.contains("<a href=\"#full_name\">氏名を入力してください。</a>"))
        #expect(page.text.contains("id=\"password-error\""))
        #expect(!page.text.contains("value=\"short\""), "passwords are never echoed")

        let taken = try browser.submit(
            "/register",
            form: [
                ("login_id", "HANAKO@example.jp"), ("password", "another good password"),
                ("password_confirmation", "another good password"),
            ] + Fixtures.residentProfileForm())
        #expect(taken.status == 422)
        #expect(taken.text.contains("このログインIDはすでに登録されています"))
    }

    @Test func sessionCookie_hasHostPrefixSecureHttpOnlyLax() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        let login = try browser.get("/login")
        let preSession = try #require(login.setCookie)
        #expect(preSession.name == "__Host-madoguchi-pre")
        #expect(preSession.has("Secure") && preSession.has("HttpOnly") && preSession.attributes["samesite"] == "Lax")

        let response = try browser.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", Fixtures.residentPassword)])
        #expect(response.status == 303)
        let cookie = try #require(response.setCookie)
        #expect(cookie.name == "__Host-madoguchi")
        #expect(cookie.value.utf8.count == 43, "256 bits, base64url")
        #expect(cookie.has("Secure"))
        #expect(cookie.has("HttpOnly"))
        #expect(cookie.attributes["samesite"] == "Lax")
        #expect(cookie.attributes["path"] == "/")
        #expect(!cookie.has("Domain"), "__Host- cookies must not name a domain")
        #expect(!cookie.has("Max-Age") && !cookie.has("Expires"), "a browser-session cookie")

        let stored = try app.database.read { try $0.scalar("SELECT token_hash FROM sessions", as: String.self) }
        #expect(stored == Digest.sha256Hex(cookie.value), "only the token's SHA-256 is stored")
    }

    @Test func developmentMode_dropsSecureAndThePrefix_forPlainHTTPLoopback() throws {
        let app = try TestApplication(developmentMode: true)
        try Fixtures.makeResident(app.database)
        let response = try app.browser().submitResidentLogin()
        let cookie = try #require(response.setCookie)
        #expect(cookie.name == "madoguchi")
        #expect(!cookie.has("Secure"))
        #expect(cookie.has("HttpOnly") && cookie.attributes["samesite"] == "Lax")
    }

    @Test func login_rotatesTheToken_andAPlantedCookieIsWorthless() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        let planted = SessionToken.generate()
        browser.setCookie("__Host-madoguchi", planted)
        try browser.submitResidentLogin()
        let first = try #require(browser.cookies["__Host-madoguchi"])
        #expect(first != planted)
        try browser.submitResidentLogin()
        let second = try #require(browser.cookies["__Host-madoguchi"])
        #expect(second != first)

        let stale = app.browser()
        stale.setCookie("__Host-madoguchi", first)
        #expect(try stale.get("/mypage").status == 303, "the session replaced at the second login is gone")
        #expect(try browser.get("/mypage").status == 200)
        #expect(try app.database.read { try $0.scalar("SELECT count(*) FROM sessions", as: Int.self) } == 1)
    }

    @Test func logout_endsTheSessionOnTheServer() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()
        let token = try #require(browser.cookies["__Host-madoguchi"])
        let myPage = try browser.get("/mypage")
        #expect(myPage.status == 200)

        let loggedOut = try browser.submit("/logout", form: [])
        #expect(loggedOut.status == 303)
        #expect(loggedOut.location == "/?signed_out=1")
        let cleared = try #require(loggedOut.setCookie)
        #expect(cleared.name == "__Host-madoguchi" && cleared.value.isEmpty && cleared.attributes["max-age"] == "0")
        #expect(cleared.has("Secure") && cleared.has("HttpOnly"))

        // Someone who kept a copy of the cookie gets nothing: the server forgot the session.
        let replay = app.browser()
        replay.setCookie("__Host-madoguchi", token)
        let page = try replay.get("/mypage")
        #expect(page.status == 303)
        #expect(page.location == "/login")
        #expect(try replay.json("GET", "/api/v1/me").status == 401)
        #expect(try Fixtures.auditRecords(app.database).map(\.action) == ["login.success", "logout"])
    }

    @Test func residentSession_endsAfterTwoIdleHours_butActivityKeepsItAlive() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()
        app.clock.advance(by: 2 * 3600 - 60)
        #expect(try browser.get("/mypage").status == 200, "just inside the idle timeout; this request touches it")
        app.clock.advance(by: 2 * 3600 - 60)
        #expect(try browser.get("/mypage").status == 200)
        app.clock.advance(by: 2 * 3600 + 1)
        let expired = try browser.get("/mypage")
        #expect(expired.status == 303)
        #expect(expired.location == "/login")
    }

    @Test func residentSession_endsAfterSevenDays_however_busy() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()
        for _ in 0..<(7 * 24 - 1) {
            app.clock.advance(by: 3600)
            #expect(try browser.get("/mypage").status == 200)
        }
        app.clock.advance(by: 3600)
        #expect(try browser.get("/mypage").status == 303)
    }

    @Test func wrongPassword_andUnknownID_getTheSameAnswer() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        _ = try browser.get("/login")
        let wrongPassword = try browser.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", "not the password")])
        let unknownID = try browser.submit(
            "/login", form: [("login_id", "nobody@example.jp"), ("password", "not the password")])
        #expect(wrongPassword.status == 401)
        #expect(unknownID.status == wrongPassword.status)
        #expect(wrongPassword.text.contains("ログインIDまたはパスワードが正しくありません。"))
        // The form echoes what was typed into the ID field; apart from that the pages are identical.
        #expect(
            wrongPassword.text.replacingOccurrences(of: "hanako@example.jp", with: "ID")
                == unknownID.text.replacingOccurrences(of: "nobody@example.jp", with: "ID"))
        #expect(wrongPassword.setCookie == nil && unknownID.setCookie == nil)

        let api = app.browser()
        let apiWrongPassword = try api.json(
            "POST", "/api/v1/sessions", body: #"{"login_id":"hanako@example.jp","password":"not the password"}"#)
        let apiUnknownID = try api.json(
            "POST", "/api/v1/sessions", body: #"{"login_id":"nobody@example.jp","password":"not the password"}"#)
        #expect(apiWrongPassword.status == 401 && apiUnknownID.status == 401)
        let first = try #require(apiWrongPassword.jsonObject?["error"] as? [String: Any])
        let second = try #require(apiUnknownID.jsonObject?["error"] as? [String: Any])
        #expect(first["code"] as? String == "invalid_credentials")
        #expect(first["code"] as? String == second["code"] as? String)
        #expect(first["message"] as? String == second["message"] as? String)
    }

    @Test func counterRegisteredResident_withoutPassword_cannotLogIn() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database, password: nil)
        let response = try app.browser().submitResidentLogin(password: "")
        #expect(response.status == 401)
    }

    @Test func postWithoutCSRFToken_is403_andChangesNothing() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()

        let noToken = try browser.post("/profile", form: Fixtures.residentProfileForm(name: "改ざん 太郎"))
        #expect(noToken.status == 403)
        #expect(noToken.text.contains("送信を受け付けられませんでした"))
        let wrongToken = try browser.post(
            "/profile", form: [("csrf_token", SecureRandom.token())] + Fixtures.residentProfileForm(name: "改ざん 太郎"))
        #expect(wrongToken.status == 403)
        #expect(try browser.post("/logout", form: []).status == 403)
        let name = try app.database.read {
            try ResidentStore.fetchResident(id: residentID, on: $0)?.profile.fullName
        }
        #expect(name == "平取 花子")
        #expect(try browser.get("/mypage").status == 200, "the refused logout left the session alone")

        // Forms shown before login are protected by the pre-session token.
        let fresh = app.browser()
        let noCookie = try fresh.post("/login", form: [("login_id", "hanako@example.jp"), ("password", "x")])
        #expect(noCookie.status == 403)
        _ = try fresh.get("/login")
        let cookieButNoToken = try fresh.post("/login", form: [("login_id", "hanako@example.jp"), ("password", "x")])
        #expect(cookieButNoToken.status == 403)
        let forgedToken = try fresh.post(
            "/register", form: [("csrf_token", SecureRandom.token()), ("login_id", "a@example.jp")])
        #expect(forgedToken.status == 403)
    }

    @Test func nothingChangesStateThroughGET() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()
        #expect(try browser.get("/logout").status == 405)
        #expect(try browser.get("/staff/logout").status == 405)
        #expect(try browser.get("/mypage").status == 200)
    }

    @Test func profile_editSavesAndIsAudited() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.submitResidentLogin()
        let form = try browser.get("/profile")
        #expect(form.text.contains("value=\"平取 花子\""))
        let saved = try browser.submit(
            "/profile",
            form: [
                ("full_name", "平取 花子"), ("full_name_kana", "ビラトリ ハナコ"), ("birth_date", "1950/4/1"),
                ("postal_code", "055-0107"), ("address", "北海道沙流郡平取町振内町1番地"), ("district", "furenai"),
                ("phone", "01457-2-0000"), ("contact_channel", "phone"),
            ])
        #expect(saved.status == 303)
        #expect(saved.location == "/profile?saved=1")
        #expect(try browser.get("/profile?saved=1").text.contains("登録内容を保存しました。"))
        let resident = try #require(try app.database.read { try ResidentStore.fetchResident(id: residentID, on: $0) })
        #expect(resident.profile.districtCode == "furenai")
        #expect(resident.profile.phone == "0145720000")
        #expect(resident.profile.contactChannel == .phone)

        let invalid = try browser.submit("/profile", form: Fixtures.residentProfileForm(kana: "Hanako"))
        #expect(invalid.status == 422)
        #expect(invalid.text.contains("フリガナはカタカナで入力してください。"))
        #expect(try Fixtures.auditRecords(app.database).last?.action == "resident.update")
    }

    @Test func homePage_offersRegisterAndLogin_thenMyPage() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        let anonymous = try browser.get("/")
        #expect(anonymous.text.contains("href=\"/register\"") && anonymous.text.contains("href=\"/login\""))
        try browser.submitResidentLogin()
        let signedIn = try browser.get("/")
        #expect(signedIn.text.contains("平取 花子 さん"))
        #expect(signedIn.text.contains("href=\"/mypage\""))
        #expect(try browser.get("/login").location == "/mypage", "already signed in")
    }
}

/// マイページ is served from `MyPageCache` while the database is unchanged, and never stale or someone else's.
@Suite("マイページ cache over HTTP")
struct MyPageCacheTests {
    private func cacheHits(_ app: TestApplication) throws -> Int {
        let metrics = try app.browser().get("/metrics").text
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("madoguchi_mypage_cache_hits_total ") }
        return Int(line?.split(separator: " ").last ?? "") ?? -1
    }

    @Test func aSecondVisit_isAHit_andEveryChangeShowsOnTheNextVisit() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        try Fixtures.makeResident(
            app.database, loginID: "other@example.jp", profile: Fixtures.residentProfile(name: "二風谷 次郎"))
        let browser = app.browser()
        try browser.signInAsResident()
        let first = try browser.get("/mypage")
        #expect(first.status == 200)
        let hitsBefore = try cacheHits(app)
        let second = try browser.get("/mypage")
        #expect(second.text == first.text)
        #expect(try cacheHits(app) == hitsBefore + 1, "the unchanged page came from the cache")

        // (b) the resident's own change, through the server.
        let form = try browser.get("/profile")
        #expect(form.status == 200)
        let saved = try browser.submit(
            "/profile",
            form: Fixtures.residentProfileForm().map { $0.0 == "address" ? ($0.0, "北海道沙流郡平取町振内1番地") : $0 })
        #expect(saved.status == 303)
        #expect(try browser.get("/mypage").text.contains("振内1番地"))

        // (c) a change by another process: a raw connection on the same file.
        let other = try Database(path: app.database.path)
        try other.write {
            try $0.run("UPDATE residents SET address = '北海道沙流郡平取町荷負2番地' WHERE login_id = ?", Fixtures.residentLoginID)
        }
        other.close()
        #expect(try browser.get("/mypage").text.contains("荷負2番地"))

        // (d) another resident never gets the first one's page.
        let second2 = app.browser()
        try second2.signInAsResident("other@example.jp")
        let theirs = try second2.get("/mypage").text
        #expect(theirs.contains("二風谷 次郎"))
        #expect(!theirs.contains("荷負2番地"))

        // (e) after logout the old cookie is sent to the login page, not the cached page.
        _ = try browser.get("/mypage")
        let page = try browser.get("/mypage")
        #expect(page.status == 200)
        let cookie = try #require(browser.cookies["__Host-madoguchi"])
        #expect(try browser.submit("/logout", form: []).status == 303)
        let stale = app.browser()
        stale.setCookie("__Host-madoguchi", cookie)
        #expect(try stale.get("/mypage").status == 303)
    }
}
