import Cryptography
import Foundation
import HTTPClient
import Identity
import Security
import Store
import TestSupport
import Testing

@testable import Applications

/// A staff member calling `/api/v1/staff/...` with the console's session cookie and its CSRF token.
struct StaffAPIClient {
    let browser: Browser
    let csrfToken: String

    /// Signs in through `/staff/login`, as a counter tablet's web view would, and keeps the session's CSRF token.
    static func logIn(_ app: TestApplication, _ loginID: String) throws -> StaffAPIClient {
        let browser = app.browser()
        try browser.signInAsStaff(loginID)
        _ = try browser.get("/staff/")
        return StaffAPIClient(browser: browser, csrfToken: try #require(browser.csrfToken))
    }

    func get(_ path: String) throws -> BrowserResponse { try browser.json("GET", path) }

    /// A state-changing call with `X-CSRF-Token`.
    func post(_ path: String, _ body: String? = nil, method: String = "POST") throws -> BrowserResponse {
        try browser.json(method, path, body: body, headers: [("X-CSRF-Token", csrfToken)])
    }
}

extension BrowserResponse {
    var errorCode: String? { (jsonObject?["error"] as? [String: Any])?["code"] as? String }
}

extension EndToEnd {
    static let waterStartAnswers = """
        {"start_date":"2026-04-10","service_address":"北海道沙流郡平取町本町1番地","building_type":"house",
         "user_name":"平取 花子","user_kana":"ビラトリ ハナコ","phone":"01457-2-0000","household_size":"2",
         "billing_method":"payment_slip"}
        """

    static let waterStopAnswers = """
        {"stop_date":"2026-04-20","service_address":"平取町本町1","user_name":"平取 太郎","phone":"0145720000",
         "final_billing":"account_transfer"}
        """

    /// A guest submission through the resident JSON API; returns the new application's id and reference.
    static func apiSubmit(_ app: TestApplication, procedure: String, answers: String) throws -> (
        id: Int64, reference: String
    ) {
        let body = """
            {"procedure_code":"\(procedure)","submission_token":"\(SecureRandom.token())","answers":\(answers)}
            """
        let response = try app.request(
            "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        precondition(response.status == 201, "submit failed: \(response.status) \(response.text)")
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        let reference = try #require(object?["reference"] as? String)
        let id = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) }?.id)
        return (id, reference)
    }
}

@Suite("Staff JSON API over HTTP")
struct StaffAPITests {
    func auditCount(_ app: TestApplication, _ action: String, subject: String) throws -> Int {
        try app.database.read {
            try $0.scalar(
                "SELECT count(*) FROM audit_log WHERE action = ? AND subject_id = ?", action, subject, as: Int.self)
        } ?? 0
    }

    @Test func queueFilters_detailIsAudited_transitionsWithMessagesAndNotes_andCSV() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .constructionAndWater)  // 建設水道課
        let start = try EndToEnd.apiSubmit(app, procedure: "water-start", answers: EndToEnd.waterStartAnswers)
        app.clock.advance(by: 3 * 86_400)
        let stop = try EndToEnd.apiSubmit(app, procedure: "water-stop", answers: EndToEnd.waterStopAnswers)

        // Without a staff session: 401 JSON, not a redirect to the login page.
        let anonymous = try app.browser().json("GET", "/api/v1/staff/applications")
        #expect(anonymous.status == 401)
        #expect(anonymous.errorCode == "unauthenticated")

        let clerk = try StaffAPIClient.logIn(app, "clerk-a")
        let queue = try clerk.get("/api/v1/staff/applications")
        #expect(queue.status == 200)
        let items = try #require(queue.jsonObject?["applications"] as? [[String: Any]])
        #expect(items.compactMap { $0["reference"] as? String } == [start.reference, stop.reference], "oldest first")
        #expect(items.first?["days_waiting"] as? Int == 3)
        #expect(items.first?["department"] as? String == "建設水道課")
        // The queue holds no personal data; names and answers are only on the audited detail.
        #expect(!queue.text.contains("平取 花子"))
        #expect(!queue.text.contains("answers"))

        func references(_ query: String) throws -> [String] {
            let response = try clerk.get("/api/v1/staff/applications?\(query)")
            #expect(response.status == 200, "\(query)")
            return (response.jsonObject?["applications"] as? [[String: Any]] ?? []).compactMap {
                $0["reference"] as? String
            }
        }
        #expect(try references("procedure=water-stop") == [stop.reference])
        #expect(try references("older_than_days=2") == [start.reference])
        #expect(try references("status=in_review").isEmpty)
        #expect(try references("department=%E7%94%BA%E6%B0%91%E8%AA%B2").isEmpty)  // 町民課
        #expect(try references("department=all&mine=1").isEmpty)
        // A typo is a 400 naming the parameter, never a silently unfiltered list.
        let typo = try clerk.get("/api/v1/staff/applications?status=in-review&older_than_days=x")
        #expect(typo.status == 400)
        #expect(typo.errorCode == "invalid_query")
        #expect(typo.text.contains("status, older_than_days"))

        // The detail shows answers, and every look is an audit row carrying the request id.
        let detail = try clerk.get("/api/v1/staff/applications/\(start.id)")
        #expect(detail.status == 200)
        #expect((detail.jsonObject?["answers"] as? [String: Any])?["user_name"] as? String == "平取 花子")
        #expect(detail.jsonObject?["guest"] as? Bool == true)
        #expect(detail.jsonObject?["allowed_transitions"] as? [String] == ["in_review"])
        let requestID = try #require(detail.headers["x-request-id"])
        let auditedRequest = try app.database.read {
            try $0.scalar(
                "SELECT request_id FROM audit_log WHERE action = 'application.read' AND subject_id = ? AND actor_type = 'staff'",
                String(start.id), as: String.self)
        }
        #expect(auditedRequest == requestID)
        // Unknown, malformed and draft ids are all the same 404, and none of them is audited.
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "water-stop"))
        let draft = try app.database.write { connection in
            try ApplicationStore.saveDraft(
                NewApplication(
                    procedure: procedure, residentID: nil, channel: .web, answers: [:],
                    submissionToken: SecureRandom.token()),
                at: app.clock.now(), on: connection)
        }
        guard case .saved(let draftID) = draft else { Issue.record("draft not saved"); return }
        for path in ["999999", "abc", "-1", String(draftID)] {
            let missing = try clerk.get("/api/v1/staff/applications/\(path)")
            #expect(missing.status == 404, "\(path)")
            #expect(missing.errorCode == "not_found")
        }
        #expect(try auditCount(app, "application.read", subject: String(draftID)) == 0)

        // State changes need the session's CSRF token in the header.
        let forged = try clerk.browser.json("POST", "/api/v1/staff/applications/\(start.id)/claim")
        #expect(forged.status == 403)
        #expect(forged.errorCode == "csrf_failed")

        func move(_ from: String, _ to: String, _ extra: String = "") throws -> BrowserResponse {
            try clerk.post(
                "/api/v1/staff/applications/\(start.id)/transitions",
                "{\"from\":\"\(from)\",\"to\":\"\(to)\",\"internal_note\":\"電話で確認済み\"\(extra)}")
        }
        #expect(try move("received", "in_review").status == 409, "claim first")
        let claimed = try clerk.post("/api/v1/staff/applications/\(start.id)/claim")
        #expect(claimed.status == 200)
        #expect(claimed.jsonObject?["assigned_staff_id"] as? Int != nil)
        #expect(try clerk.post("/api/v1/staff/applications/\(start.id)/claim").status == 200, "claiming twice is fine")

        #expect(try move("received", "approved").status == 409, "not a move the state machine allows")
        #expect(try move("received", "reviewing").status == 400)
        let reviewing = try move("received", "in_review", ",\"template_id\":1")
        #expect(reviewing.status == 200)
        #expect(reviewing.jsonObject?["status"] as? String == "in_review")
        #expect(reviewing.jsonObject?["allowed_transitions"] as? [String] == ["approved", "rejected", "returned"])
        #expect(try move("received", "in_review").status == 409, "stale: someone already moved it")
        let noMessage = try move("in_review", "returned")
        #expect(noMessage.status == 400, "要訂正 must tell the resident what to fix")
        #expect(try move("in_review", "returned", ",\"message\":\"世帯人数を確認してください。\"").status == 200)

        // The guest sees the message, never the internal note.
        let messages = try app.database.read {
            try ApplicationStore.fetchResidentMessages(applicationID: start.id, on: $0).map(\.body)
        }
        #expect(messages.contains("世帯人数を確認してください。"))
        #expect(messages.contains { $0.hasPrefix("申請を受け付け、担当者が内容を確認しています。") }, "template 1's text")
        #expect(!messages.contains { $0.contains("電話で確認済み") })

        #expect(
            try clerk.post("/api/v1/staff/applications/\(start.id)/notes", "{\"internal_note\":\"  \"}").status == 400)
        #expect(
            try clerk.post("/api/v1/staff/applications/\(start.id)/notes", "{\"internal_note\":\"折り返し待ち\"}").status
                == 204)
        #expect(try clerk.post("/api/v1/staff/applications/999999/notes", "{\"internal_note\":\"x\"}").status == 404)
        let history = try clerk.get("/api/v1/staff/applications/\(start.id)")
        let events = try #require(history.jsonObject?["events"] as? [[String: Any]])
        #expect(
            events.map { "\($0["kind"] ?? ""):\($0["to_status"] ?? "-")" } == [
                "status:received", "assigned:-", "status:in_review", "status:returned", "note:-",
            ])
        #expect(events.last?["internal_note"] as? String == "折り返し待ち")
        #expect(events.last?["actor_name"] as? String == "職員 clerk-a")
        #expect(try auditCount(app, "application.read", subject: String(start.id)) == 2)
        #expect(try auditCount(app, "application.status.returned", subject: String(start.id)) == 1)

        // The second application goes all the way: received → in review → approved → completed.
        let stopPath = "/api/v1/staff/applications/\(stop.id)"
        #expect(try clerk.post("\(stopPath)/claim").status == 200)
        for (from, to) in [("received", "in_review"), ("in_review", "approved"), ("approved", "completed")] {
            let moved = try clerk.post(
                "\(stopPath)/transitions", "{\"from\":\"\(from)\",\"to\":\"\(to)\",\"message\":\"\"}")
            #expect(moved.status == 200, "\(from) → \(to): \(moved.text)")
        }
        let completed = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(id: stop.id, on: $0) })
        #expect(completed.status == .completed)
        #expect(completed.retainUntil != nil, "closing starts the retention period")
        #expect(
            try clerk.post("\(stopPath)/transitions", "{\"from\":\"completed\",\"to\":\"in_review\"}").status == 409)

        // CSV for Excel: BOM, the procedure's columns, audited; a bad period is a JSON 400.
        let csv = try clerk.get(
            "/api/v1/staff/applications/export.csv?procedure=water-stop&from=2026-04-01&to=2026-04-30")
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(csv.headers["content-disposition"] == "attachment; filename=\"water-stop-2026-04-01-2026-04-30.csv\"")
        #expect(csv.text.hasPrefix("\u{FEFF}受付番号,状態,受付経路,"))
        #expect(csv.text.contains(ReferenceNumber.display(stop.reference)))
        #expect(csv.text.contains("完了"))
        #expect(!csv.text.contains(ReferenceNumber.display(start.reference)), "another procedure")
        #expect(try auditCount(app, "application.export", subject: "water-stop") == 1)
        let sjis = try clerk.get(
            "/api/v1/staff/applications/export.csv?procedure=water-stop&from=2026-04-01&to=2026-04-30&encoding=sjis")
        #expect(sjis.headers["content-type"] == "text/csv; charset=Shift_JIS")
        for query in [
            "procedure=water-stop&from=2026-04-30&to=2026-04-01", "procedure=nope&from=2026-04-01&to=2026-04-30",
            "procedure=water-stop&from=2026-04-01&to=2026-04-30&encoding=latin1",
        ] {
            let bad = try clerk.get("/api/v1/staff/applications/export.csv?\(query)")
            #expect(bad.status == 400, "\(query)")
            #expect(bad.errorCode == "invalid_query")
        }
        #expect(try auditCount(app, "application.export", subject: "water-stop") == 2, "only the two good exports")
    }

    @Test func claimRace_exactlyOneClerkWins_theOtherGets409() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .constructionAndWater)
        try Fixtures.makeStaff(app.database, loginID: "clerk-b", department: .constructionAndWater)
        let application = try EndToEnd.apiSubmit(app, procedure: "water-stop", answers: EndToEnd.waterStopAnswers)
        let clerks = [try StaffAPIClient.logIn(app, "clerk-a"), try StaffAPIClient.logIn(app, "clerk-b")]
        let sessions = clerks.map { ($0.browser.cookies, $0.csrfToken) }

        // Both press 担当する at the same moment, each on its own connection.
        let results = Mutex2<[(Int, Int, String?)]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let browser = app.browser()
            for (name, value) in sessions[index].0 { browser.setCookie(name, value) }
            let response = try? browser.json(
                "POST", "/api/v1/staff/applications/\(application.id)/claim",
                headers: [("X-CSRF-Token", sessions[index].1)])
            results.append((index, response?.status ?? 0, response?.errorCode))
        }
        let outcomes = results.values.sorted { $0.1 < $1.1 }
        #expect(outcomes.map(\.1) == [200, 409])
        #expect(outcomes.last?.2 == "already_assigned")
        let winner = try #require(outcomes.first?.0)
        let holder = try app.database.read { try ApplicationStore.fetchApplication(id: application.id, on: $0) }?
            .assignedStaffID
        let winnerID = try app.database.read {
            try StaffStore.fetchStaff(loginID: winner == 0 ? "clerk-a" : "clerk-b", on: $0)
        }?.id
        #expect(holder == winnerID)
        #expect(try auditCount(app, "application.claim", subject: String(application.id)) == 1)
        let events = try app.database.read { try ApplicationStore.fetchEvents(applicationID: application.id, on: $0) }
        #expect(events.filter { $0.kind == .assigned }.count == 1)
        // The loser still cannot take it, and cannot move it.
        let loser = clerks[1 - winner]
        #expect(try loser.post("/api/v1/staff/applications/\(application.id)/claim").status == 409)
        #expect(
            try loser.post(
                "/api/v1/staff/applications/\(application.id)/transitions",
                "{\"from\":\"received\",\"to\":\"in_review\"}"
            ).status == 409)
        #expect(try loser.post("/api/v1/staff/applications/999999/claim").status == 404)
    }

    @Test func clerksReleaseOnlyTheirOwn_supervisorsAnyone_andOnlySupervisorsEditTemplates() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .constructionAndWater)
        try Fixtures.makeStaff(app.database, loginID: "clerk-b", department: .constructionAndWater)
        try Fixtures.makeStaff(app.database, loginID: "chief", role: .supervisor, department: .constructionAndWater)
        let application = try EndToEnd.apiSubmit(app, procedure: "water-stop", answers: EndToEnd.waterStopAnswers)
        let path = "/api/v1/staff/applications/\(application.id)"
        let clerkA = try StaffAPIClient.logIn(app, "clerk-a")
        let clerkB = try StaffAPIClient.logIn(app, "clerk-b")
        let chief = try StaffAPIClient.logIn(app, "chief")

        #expect(try clerkA.post("\(path)/claim").status == 200)
        let refused = try clerkB.post("\(path)/release")
        #expect(refused.status == 409, "a clerk cannot take a colleague's application away")
        #expect(try clerkB.post("\(path)/transitions", "{\"from\":\"received\",\"to\":\"in_review\"}").status == 409)
        let freed = try chief.post("\(path)/release")
        #expect(freed.status == 200, "a supervisor frees what a colleague left behind")
        #expect(freed.jsonObject?["assigned_staff_id"] == nil)
        #expect(try clerkB.post("\(path)/claim").status == 200)
        #expect(try clerkB.post("\(path)/release").status == 200, "a clerk releases their own")
        #expect(try clerkB.post("\(path)/release").status == 409, "nothing left to release")
        #expect(try auditCount(app, "application.release", subject: String(application.id)) == 2)

        // Everyone reads the templates; only supervisors (and admins) change the town's wording.
        let templates = try clerkA.get("/api/v1/staff/templates")
        #expect(templates.status == 200)
        #expect((templates.jsonObject?["templates"] as? [Any])?.count == 7)
        let body = "{\"title\":\"書類の再提出\",\"to_status\":\"returned\",\"body\":\"書類をもう一度添付してください。\"}"
        let clerkTry = try clerkA.post("/api/v1/staff/templates", body)
        #expect(clerkTry.status == 403)
        #expect(clerkTry.errorCode == "forbidden")
        #expect(try clerkA.post("/api/v1/staff/templates/1", body, method: "PUT").status == 403)
        let created = try chief.post("/api/v1/staff/templates", body)
        #expect(created.status == 201)
        let id = try #require(created.jsonObject?["id"] as? Int)
        let edited = try chief.post(
            "/api/v1/staff/templates/\(id)", "{\"title\":\"書類の再提出\",\"body\":\"書類を添付し直してください。\"}", method: "PUT")
        #expect(edited.status == 200)
        #expect(edited.jsonObject?["body"] as? String == "書類を添付し直してください。")
        #expect(try chief.post("/api/v1/staff/templates/999999", body, method: "PUT").status == 404)
        #expect(try chief.post("/api/v1/staff/templates", "{\"title\":\"\",\"body\":\"x\"}").status == 400)
        // A refused to_status is a 422 naming the field (it was a 400; `received` was a 500): see APIConformanceTests.
        #expect(
            try chief.post("/api/v1/staff/templates", "{\"title\":\"t\",\"to_status\":\"withdrawn\",\"body\":\"x\"}")
                .status == 422)
        #expect(try auditCount(app, "response_template.save", subject: String(id)) == 2)
    }
}
