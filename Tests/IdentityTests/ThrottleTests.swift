import Foundation
import Identity
import TestSupport
import Testing

/// Login throttling over HTTP, stepped through with the manual clock.
@Suite("Login throttling over HTTP")
struct ThrottleTests {
    @Test func fiveFailuresForOneAccount_lockIt_withGrowingDelays_andSuccessResets() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        _ = try browser.get("/login")
        func attempt(_ password: String) throws -> BrowserResponse {
            try browser.submit("/login", form: [("login_id", "hanako@example.jp"), ("password", password)])
        }
        for _ in 0..<5 { #expect(try attempt("wrong guess").status == 401) }

        let locked = try attempt(Fixtures.residentPassword)
        #expect(locked.status == 429, "even the right password waits while locked")
        #expect(locked.headers["retry-after"] == "1")
        #expect(locked.text.contains("ログインの試行回数が多すぎます。しばらく時間をおいてから再度お試しください。"))

        app.clock.advance(by: 1)
        #expect(try attempt("wrong guess").status == 401, "the sixth failure")
        #expect(try attempt("wrong guess").status == 429)
        app.clock.advance(by: 1)
        #expect(try attempt("wrong guess").status == 429, "the lock doubled to two seconds")
        app.clock.advance(by: 1)
        #expect(try attempt(Fixtures.residentPassword).status == 303)

        // The success reset the account's counter: four more failures do not lock it.
        let again = app.browser()
        _ = try again.get("/login")
        for _ in 0..<4 {
            let response = try again.submit(
                "/login", form: [("login_id", "hanako@example.jp"), ("password", "wrong guess")])
            #expect(response.status == 401)
        }
        let stillOpen = try again.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", Fixtures.residentPassword)])
        #expect(stillOpen.status == 303)
    }

    @Test func unknownIDs_areThrottledToo_soTheLockRevealsNothing() throws {
        let app = try TestApplication()
        let browser = app.browser()
        _ = try browser.get("/login")
        for _ in 0..<5 {
            _ = try browser.submit("/login", form: [("login_id", "nobody@example.jp"), ("password", "guess")])
        }
        let response = try browser.submit("/login", form: [("login_id", "nobody@example.jp"), ("password", "guess")])
        #expect(response.status == 429)
    }

    @Test func twentyFailuresFromOneAddress_lockThatAddress_acrossAccounts() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let browser = app.browser()
        _ = try browser.get("/login")
        for index in 0..<20 {
            let response = try browser.submit(
                "/login", form: [("login_id", "guess\(index)@example.jp"), ("password", "guess")])
            #expect(response.status == 401)
        }
        let locked = try browser.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", Fixtures.residentPassword)])
        #expect(locked.status == 429)
        app.clock.advance(by: 1)
        let open = try browser.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", Fixtures.residentPassword)])
        #expect(open.status == 303)
    }

    @Test func staffLogin_isThrottledSeparately_andAuditsFailuresByIDOnly() throws {
        let app = try TestApplication()
        let staffID = try Fixtures.makeStaff(app.database, loginID: "suzuki", role: .clerk)
        let browser = app.browser()
        _ = try browser.get("/staff/login")
        for _ in 0..<5 {
            let response = try browser.submit(
                "/staff/login", form: [("login_id", "suzuki"), ("password", "wrong guess")])
            #expect(response.status == 401)
        }
        let locked = try browser.submit(
            "/staff/login", form: [("login_id", "suzuki"), ("password", Fixtures.staffPassword)])
        #expect(locked.status == 429)
        let failures = try Fixtures.auditRecords(app.database).filter { $0.action == "login.failure" }
        #expect(failures.count == 5)
        #expect(failures.allSatisfy { $0.actorType == "guest" && $0.subjectID == String(staffID) })
    }
}

@Suite("Registration throttling over HTTP")
struct RegistrationThrottleTests {
    @Test func fiftyRegistrationsFromOneAddress_thenItWaits() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        let browser = app.browser()
        func register(_ index: Int) throws -> BrowserResponse {
            _ = try browser.get("/register")
            return try browser.submit(
                "/register",
                form: [
                    ("login_id", "resident\(index)@example.jp"), ("password", "correct horse battery"),
                    ("password_confirmation", "correct horse battery"),
                ] + Fixtures.residentProfileForm())
        }
        for index in 0..<50 {
            let response = try register(index)
            #expect(response.status == 303)
            _ = try browser.get("/mypage")
            #expect(try browser.submit("/logout", form: []).status == 303)
        }
        let refused = try register(50)
        #expect(refused.status == 429)
        #expect(refused.text.contains("この接続元からの登録が続いています"))
        app.clock.advance(by: 1)
        #expect(try register(51).status == 303)
    }
}
