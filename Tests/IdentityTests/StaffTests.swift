import Foundation
import Identity
import Security
import Store
import TestSupport
import Testing

/// The staff side over real HTTP: roles, the audited resident pages, reset codes and staff admin.
@Suite("Staff pages over HTTP")
struct StaffTests {
    /// The printed code, e.g. `ABCD-EFGH`, from the page's one-time-code element.
    static func resetCode(in html: String) -> String? {
        guard
            let range = html.range(of: "class=\"one-time-code\">[A-Z2-9]{4}-[A-Z2-9]{4}<", options: .regularExpression)
        else { return nil }
        return String(html[range].dropFirst("class=\"one-time-code\">".count).dropLast())
    }

    @Test func aClerk_cannotUseAdminOrAuditPages() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        let login = try browser.submitStaffLogin("clerk")
        #expect(login.status == 303)
        #expect(login.location == "/staff/")
        let dashboard = try browser.get("/staff/")
        #expect(dashboard.status == 200)
        #expect(!dashboard.text.contains("/staff/admin/staff"), "the menu hides what the role cannot open")

        let admin = try browser.get("/staff/admin/staff")
        #expect(admin.status == 403)
        #expect(admin.text.contains("この操作を行う権限がありません。"))
        #expect(try browser.get("/staff/audit").status == 403)
        _ = try browser.get("/staff/")
        // Even with a valid CSRF token from a page the clerk may see, the admin action is refused.
        let create = try browser.submit(
            "/staff/admin/staff",
            form: [
                ("login_id", "mallory"), ("display_name", "M"), ("role", "admin"), ("department", "総務課"),
                ("password", "a long enough password"),
            ])
        #expect(create.status == 403)
        #expect(try app.database.read { try StaffStore.fetchStaff(loginID: "mallory", on: $0) } == nil)
    }

    @Test func staffSessionAPI_givesAJSONClientItsIdentityAndCSRFToken() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        #expect(
            try browser.json("GET", "/api/v1/staff/session").status == 401, "JSON, not a redirect to the login page")
        _ = try browser.submitStaffLogin("clerk")
        let session = try browser.json("GET", "/api/v1/staff/session")
        #expect(session.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(session.text.utf8)) as? [String: Any])
        #expect(body["login_id"] as? String == "clerk")
        #expect(body["role"] as? String == "clerk")
        let token = try #require(body["csrf_token"] as? String)
        #expect(session.text.contains(token) && token.count >= 20)
        // The token is the session's own: the page forms carry the same one.
        #expect(try browser.get("/staff/").text.contains(token))
    }

    @Test func rolesAreOrdered_supervisorSeesAudit_adminSeesEverything() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "boss", role: .supervisor)
        try Fixtures.makeStaff(app.database, loginID: "root", role: .admin)
        let supervisor = app.browser()
        try supervisor.submitStaffLogin("boss")
        #expect(try supervisor.get("/staff/audit").status == 200)
        #expect(try supervisor.get("/staff/admin/staff").status == 403)
        let admin = app.browser()
        try admin.submitStaffLogin("root")
        #expect(try admin.get("/staff/audit").status == 200)
        #expect(try admin.get("/staff/admin/staff").status == 200)
    }

    @Test func staffPages_sendStrangersToTheStaffLogin_residentsToo() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let stranger = try app.browser().get("/staff/")
        #expect(stranger.status == 303)
        #expect(stranger.location == "/staff/login")
        let resident = app.browser()
        try resident.submitResidentLogin()
        #expect(try resident.get("/staff/residents").location == "/staff/login", "a resident session is not staff")
    }

    @Test func staffSession_endsAfterThirtyIdleMinutes_andAfterTwelveHours() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        try browser.submitStaffLogin("clerk")
        app.clock.advance(by: 29 * 60)
        #expect(try browser.get("/staff/").status == 200)
        app.clock.advance(by: 30 * 60 + 1)
        #expect(try browser.get("/staff/").location == "/staff/login")

        try browser.submitStaffLogin("clerk")
        for _ in 0..<(12 * 4 - 1) {
            app.clock.advance(by: 15 * 60)
            #expect(try browser.get("/staff/").status == 200)
        }
        app.clock.advance(by: 15 * 60)
        #expect(try browser.get("/staff/").location == "/staff/login", "12 hours after login, however busy")
    }

    @Test func readingAResidentsRecord_isAudited_withIDsOnly() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        let clerkID = try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        try browser.submitStaffLogin("clerk")

        _ = try browser.get("/staff/residents")
        let search = try browser.submit("/staff/residents/search", form: [("q", "びらとり")])
        #expect(search.status == 200)
        #expect(search.text.contains("href=\"/staff/residents/\(residentID)\""))
        #expect(search.text.contains("平取 花子"))

        let record = try browser.get("/staff/residents/\(residentID)")
        #expect(record.status == 200)
        #expect(record.text.contains("hanako@example.jp"))
        #expect(try browser.get("/staff/residents/999999").status == 404)

        let records = try Fixtures.auditRecords(app.database)
        let searchRow = try #require(records.first { $0.action == "resident.search" })
        #expect(searchRow.actorType == "staff" && searchRow.actorID == String(clerkID))
        #expect(searchRow.subjectID == String(residentID), "the ids shown are recorded, not the query")
        let readRow = try #require(records.first { $0.action == "resident.read" })
        #expect(readRow.actorID == String(clerkID))
        #expect(readRow.subjectType == "resident" && readRow.subjectID == String(residentID))
        #expect(readRow.requestID == record.headers["x-request-id"], "the audit row names the request")
        #expect(records.filter { $0.action == "resident.read" }.count == 1, "a missing record leaves no read row")

        // No personal data in the log: not the name, not the kana typed into the search, not the login id.
        let dump = try app.database.read { connection in
            try connection.query("SELECT * FROM audit_log").flatMap { row in
                row.values.map { value -> String in
                    if case .text(let text) = value { return text }
                    return ""
                }
            }.joined(separator: "\n")
        }
        for personal in ["平取", "花子", "びらとり", "ビラトリ", "hanako"] {
            #expect(!dump.contains(personal), "\(personal) in the audit log")
        }
        #expect(try AuditLog.verify(app.database) == .intact(rows: records.count))
    }

    @Test func searchNeedsAQuery_andTravelsByPOST() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        try browser.submitStaffLogin("clerk")
        let page = try browser.get("/staff/residents")
        #expect(page.text.contains("<form method=\"post\" action=\"/staff/residents/search\""))
        let empty = try browser.submit("/staff/residents/search", form: [("q", " ")])
        #expect(empty.status == 422)
        #expect(empty.text.contains("href=\"#q\""))
    }

    @Test func counterRegistration_resetCode_thenTheResidentSetsAPasswordAndLogsIn() throws {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let staff = app.browser()
        try staff.submitStaffLogin("clerk")
        _ = try staff.get("/staff/residents/new")
        let created = try staff.submit(
            "/staff/residents/new",
            form: [("login_id", "090-8765-4321")]
                + Fixtures.residentProfileForm(name: "貫気別 次郎", kana: "ぬきべつ じろう", channel: "post"))
        #expect(created.status == 303)
        let location = try #require(created.location)
        #expect(location.hasPrefix("/staff/residents/") && location.hasSuffix("?done=created"))
        let recordPath = String(location.prefix { $0 != "?" })
        let record = try staff.get(location)
        #expect(record.text.contains("未設定"))

        let issued = try staff.submit(recordPath + "/reset-code", form: [])
        #expect(issued.status == 200)
        let code = try #require(Self.resetCode(in: issued.text))

        let resident = app.browser()
        _ = try resident.get("/reset")
        let wrong = try resident.submit(
            "/reset",
            form: [
                ("login_id", "09087654321"), ("code", "ABCD-EFGH"), ("password", "new secret words"),
                ("password_confirmation", "new secret words"),
            ])
        #expect(wrong.status == 422)
        #expect(wrong.text.contains("ログインIDまたは再設定コードが正しくないか"))
        let reset = try resident.submit(
            "/reset",
            form: [
                ("login_id", "090-8765-4321"), ("code", code.lowercased()), ("password", "new secret words"),
                ("password_confirmation", "new secret words"),
            ])
        #expect(reset.status == 303)
        #expect(reset.location == "/login?reset=1")
        #expect(try resident.submitResidentLogin("09087654321", password: "new secret words").status == 303)

        let again = app.browser()
        _ = try again.get("/reset")
        let reused = try again.submit(
            "/reset",
            form: [
                ("login_id", "09087654321"), ("code", code), ("password", "another new secret"),
                ("password_confirmation", "another new secret"),
            ])
        #expect(reused.status == 422, "a code works once")

        let actions = try Fixtures.auditRecords(app.database).map(\.action)
        #expect(actions.contains("resident.create"))
        #expect(actions.contains("resident.reset_code.issue"))
        #expect(actions.contains("password_reset.failure"))
        #expect(actions.contains("resident.password_reset"))
        #expect(try AuditLog.verify(app.database) == .intact(rows: actions.count))
    }

    @Test func resetCodes_expireAfter72Hours() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let staff = app.browser()
        try staff.submitStaffLogin("clerk")
        _ = try staff.get("/staff/residents/\(residentID)")
        let issued = try staff.submit("/staff/residents/\(residentID)/reset-code", form: [])
        let code = try #require(Self.resetCode(in: issued.text))
        app.clock.advance(by: 72 * 3600)
        let resident = app.browser()
        _ = try resident.get("/reset")
        let late = try resident.submit(
            "/reset",
            form: [
                ("login_id", "hanako@example.jp"), ("code", code),
                ("password", "new secret words"), ("password_confirmation", "new secret words"),
            ])
        #expect(late.status == 422)
    }

    @Test func admin_addsAndDisablesStaff_andTheDisabledSessionStopsAtOnce() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "root", role: .admin)
        let admin = app.browser()
        try admin.submitStaffLogin("root")
        _ = try admin.get("/staff/admin/staff")
        let invalid = try admin.submit(
            "/staff/admin/staff",
            form: [
                ("login_id", "Tanaka"), ("display_name", "田中 一郎"), ("role", "clerk"), ("department", "町民課"),
                ("password", "too short"),
            ])
        #expect(invalid.status == 422)
        #expect(invalid.text.contains("パスワードは12文字以上で入力してください。"))
        let created = try admin.submit(
            "/staff/admin/staff",
            form: [
                ("login_id", "Tanaka"), ("display_name", "田中 一郎"), ("role", "clerk"), ("department", "町民課"),
                ("password", "tanaka's long password"),
            ])
        #expect(created.status == 303)
        let tanaka = try #require(try app.database.read { try StaffStore.fetchStaff(loginID: "tanaka", on: $0) })
        #expect(tanaka.role == .clerk && tanaka.department == .residentServices)

        let clerk = app.browser()
        #expect(try clerk.submitStaffLogin("tanaka", password: "tanaka's long password").status == 303)
        #expect(try clerk.get("/staff/").status == 200)

        _ = try admin.get("/staff/admin/staff")
        let disabled = try admin.submit("/staff/admin/staff/\(tanaka.id)/disable", form: [])
        #expect(disabled.status == 303)
        #expect(try clerk.get("/staff/").location == "/staff/login")
        #expect(try clerk.submitStaffLogin("tanaka", password: "tanaka's long password").status == 401)

        let rootID = try #require(try app.database.read { try StaffStore.fetchStaff(loginID: "root", on: $0) }?.id)
        _ = try admin.get("/staff/admin/staff")
        #expect(try admin.submit("/staff/admin/staff/\(rootID)/disable", form: []).status == 400)
        let actions = try Fixtures.auditRecords(app.database).map(\.action)
        #expect(actions.contains("staff.create") && actions.contains("staff.disable"))
    }

    @Test func auditViewer_filtersByActionAndSubject() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        try Fixtures.makeStaff(app.database, loginID: "boss", role: .supervisor)
        let browser = app.browser()
        try browser.submitStaffLogin("boss")
        _ = try browser.get("/staff/residents/\(residentID)")
        let filtered = try browser.get(
            "/staff/audit?action=resident.read&subject_type=resident&subject_id=\(residentID)")
        #expect(filtered.status == 200)
        #expect(filtered.text.contains("<td>resident.read</td>"))
        #expect(!filtered.text.contains("<td>login.success</td>"))
        #expect(filtered.text.contains("職員 boss（"), "staff ids are shown with their login id")
        let all = try browser.get("/staff/audit")
        #expect(all.text.contains("<td>login.success</td>"))
        let badDate = try browser.get("/staff/audit?from=yesterday")
        #expect(badDate.status == 422)
        #expect(badDate.text.contains("href=\"#from\""))
    }

    @Test func productionPasswordCost_isUsedWhenNotLowered() throws {
        let app = try TestApplication(passwordIterations: PasswordHasher.minimumProductionIterations)
        try Fixtures.seedDistricts(app.database)
        let browser = app.browser()
        _ = try browser.get("/register")
        let registered = try browser.submit(
            "/register",
            form: [
                ("login_id", "hanako@example.jp"), ("password", "correct horse battery"),
                ("password_confirmation", "correct horse battery"),
            ] + Fixtures.residentProfileForm())
        #expect(registered.status == 303)
        let stored = try app.database.read { try $0.scalar("SELECT password_hash FROM residents", as: String.self) }
        #expect(stored?.hasPrefix("pbkdf2-sha256$600000$") == true)
    }
}
