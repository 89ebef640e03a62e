import Foundation
import HTTP
import Identity
import Security
import Store
import TestSupport
import Testing

/// The handler wrappers other modules use, mounted on a bare server the way a module would mount them.
@Suite("Authentication wrappers")
struct AuthenticationWrapperTests {
    let directory = TemporaryDirectory()

    private func makeServer(_ database: Database, clock: ManualTimeSource) throws -> LiveServer {
        let auth = try Authentication(
            database: database, settings: IdentitySettings(passwordIterations: 1_000), timeSource: clock)
        var routes = Routes()
        routes.get("/api/v1/kpi", auth.apiToken(scope: "kpi:read") { _, token in .text("hello \(token.name)") })
        routes.post(
            "/api/v1/notices", auth.apiToken(scope: "notices:send") { _, token in .text("sent by \(token.name)") })
        routes.get("/api/v1/staff-only", auth.staff(minimum: .supervisor) { _, staff in .text("\(staff.id)") })
        routes.get("/module/page", auth.resident { _, resident in .text("resident \(resident.id)") })
        return try LiveServer(routes: routes)
    }

    private func createToken(_ database: Database, name: String, scopes: [String]) throws -> String {
        let token = APITokenRules.generateToken()
        let now = ManualTimeSource.defaultStart
        try database.write {
            _ = try APITokenStore.insertToken(
                name: name, tokenHash: APITokenRules.hash(token), scopes: scopes, at: now, on: $0)
        }
        return token
    }

    @Test func apiToken_needsAnActiveTokenWithTheScope() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let clock = ManualTimeSource()
        let server = try makeServer(database, clock: clock)
        let kpi = try createToken(database, name: "kpi-report", scopes: ["kpi:read"])
        let notices = try createToken(database, name: "notices-timer", scopes: ["notices:send"])

        let missing = try server.request("GET", "/api/v1/kpi")
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(try server.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer nonsense")]).status == 401)
        let forged = APITokenRules.generateToken()
        #expect(
            try server.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer \(forged)")]).status == 401)

        let allowed = try server.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer \(kpi)")])
        #expect(allowed.status == 200)
        #expect(allowed.text == "hello kpi-report")
        let wrongScope = try server.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer \(notices)")])
        #expect(wrongScope.status == 403)
        #expect(wrongScope.text.contains("insufficient_scope"))

        // Bearer calls need no CSRF token: there is no ambient credential to abuse.
        let posted = try server.request("POST", "/api/v1/notices", headers: [("Authorization", "Bearer \(notices)")])
        #expect(posted.status == 200)

        let now = clock.now()
        try database.write { _ = try APITokenStore.revokeToken(name: "kpi-report", at: now, on: $0) }
        #expect(try server.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer \(kpi)")]).status == 401)
        let used = try database.read { try APITokenStore.fetchToken(name: "notices-timer", on: $0) }
        #expect(used?.lastUsedAt == now)
    }

    @Test func sessionWrappers_answerJSONUnderAPI_andRedirectPages() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let server = try makeServer(database, clock: ManualTimeSource())
        let api = try server.request("GET", "/api/v1/staff-only")
        #expect(api.status == 401)
        #expect(api.headers["content-type"]?.hasPrefix("application/json") == true)
        let page = try server.request("GET", "/module/page")
        #expect(page.status == 303)
        #expect(page.headers["location"] == "/login")
    }

    @Test func verifyAPIToken_readsOnly_andARevocationByAnotherProcessRefusesTheNextRequest() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let clock = ManualTimeSource()
        let auth = try Authentication(
            database: database, settings: IdentitySettings(passwordIterations: 1_000), timeSource: clock)
        var routes = Routes()
        routes.post("/api/v1/create", execution: .inline) { request in
            let verified = try auth.verifyAPIToken(request, scope: "payments:create")
            return .text("\(verified.token.name) \(verified.touchAt.map { _ in "due" } ?? "recent")")
        }
        let server = try LiveServer(routes: routes)
        let token = try createToken(database, name: "billing", scopes: ["payments:create"])
        let reader = try createToken(database, name: "reader", scopes: ["payments:read"])
        func call(_ authorization: String) throws -> (Int, String) {
            let response = try server.request("POST", "/api/v1/create", headers: [("Authorization", authorization)])
            return (response.status, response.text)
        }

        // The scheme in any case, spaces and tabs around the token.
        #expect(try call("bearer  \(token)\t") == (200, "billing due"))
        #expect(try call("BEARER \(token)") == (200, "billing due"))
        // Nothing written: recording the use is the caller's, in its own write.
        #expect(try database.read { try APITokenStore.fetchToken(name: "billing", on: $0) }?.lastUsedAt == nil)
        #expect(try call("Bearer \(reader)").0 == 403)
        #expect(try call("Basic \(token)").0 == 401)

        let now = clock.now()
        let verified = try auth.verifyAPIToken(
            Request(method: "POST", path: "/api/v1/create", headers: ["authorization": "Bearer \(token)"]),
            scope: "payments:create")
        try database.write { try verified.recordUse(on: $0) }
        #expect(try call("Bearer \(token)") == (200, "billing recent"))

        // `madoguchi token revoke` runs in another process, on a connection of its own.
        let otherProcess = try Database(path: database.path)
        try otherProcess.write { _ = try APITokenStore.revokeToken(name: "billing", at: now, on: $0) }
        otherProcess.close()
        #expect(try call("Bearer \(token)").0 == 401)
    }
}
