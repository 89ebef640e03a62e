import Cryptography
import Foundation
import Identity
import TestSupport
import Testing

@testable import Applications

/// What schemathesis found against Schemas/openapi.yaml (Tests/Proof/conformance.py), each pinned over HTTP.
@Suite("API answers as openapi.yaml describes")
struct APIConformanceTests {
    @Test func templateForReceived_isA422NamingTheField_notA500() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "chief", role: .supervisor)
        let chief = try StaffAPIClient.logIn(app, "chief")
        // `received` is the resident's own submit: no staff move leads there, so no template words it.
        for status in ["received", "withdrawn", "draft", "no-such-status"] {
            let body = "{\"title\":\"受付\",\"to_status\":\"\(status)\",\"body\":\"受け付けました。\"}"
            let created = try chief.post("/api/v1/staff/templates", body)
            #expect(created.status == 422, "\(status)")
            #expect(created.errorCode == "invalid_field")
            #expect(created.text.contains("to_status"))
            let edited = try chief.post("/api/v1/staff/templates/1", body, method: "PUT")
            #expect(edited.status == 422, "\(status)")
        }
        let count = try app.database.read { try $0.scalar("SELECT count(*) FROM response_templates", as: Int.self) }
        #expect(count == 7, "nothing saved")
        // Every status a staff move reaches is still a template's to_status.
        for status in ["in_review", "approved", "rejected", "returned", "completed"] {
            let body = "{\"title\":\"t\",\"to_status\":\"\(status)\",\"body\":\"b\"}"
            #expect(try chief.post("/api/v1/staff/templates", body).status == 201, "\(status)")
        }
    }

    /// SQLite's length() counts Unicode scalars; Swift's `count` counts characters, and a letter with a combining
    /// accent is one character of two scalars: such a title passed the check and broke the table's CHECK (500).
    @Test func templateTitleOverTheLimitInScalars_isRefused_notA500() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "chief", role: .supervisor)
        let chief = try StaffAPIClient.logIn(app, "chief")
        let title = String(repeating: "e\u{301}", count: 60)  // 60 characters, 120 scalars
        let response = try chief.post("/api/v1/staff/templates", "{\"title\":\"\(title)\",\"body\":\"b\"}")
        #expect(response.status == 400)
        #expect(response.errorCode == "bad_request")
    }

    /// The description says titles, bodies and notes are "not only spaces"; a form feed or a unit separator is
    /// space there, and was saved as a template's whole title.
    @Test func blankTitlesBodiesAndNotes_areRefused() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "chief", role: .supervisor, department: .constructionAndWater)
        let chief = try StaffAPIClient.logIn(app, "chief")
        for blank in ["\\f", "\\u001f", " \\n\\u3000"] {
            let title = try chief.post("/api/v1/staff/templates", "{\"title\":\"\(blank)\",\"body\":\"本文\"}")
            #expect(title.status == 400, "title \(blank)")
            let body = try chief.post("/api/v1/staff/templates", "{\"title\":\"件名\",\"body\":\"\(blank)\"}")
            #expect(body.status == 400, "body \(blank)")
        }
        let application = try EndToEnd.apiSubmit(app, procedure: "water-start", answers: EndToEnd.waterStartAnswers)
        let note = try chief.post(
            "/api/v1/staff/applications/\(application.id)/notes", "{\"internal_note\":\"\\u001c\"}")
        #expect(note.status == 400)
        let count = try app.database.read { try $0.scalar("SELECT count(*) FROM response_templates", as: Int.self) }
        #expect(count == 7)
    }

    @Test func submissionTokenOverTheLimitInScalars_isRefused_notA500() throws {
        let app = try TestApplication()
        let token = String(repeating: "e\u{301}", count: 100)  // 100 characters, 200 scalars; the CHECK allows 128
        let body = """
            {"procedure_code":"water-start","submission_token":"\(token)","answers":\(EndToEnd.waterStartAnswers)}
            """
        let response = try app.browser().json("POST", "/api/v1/applications", body: body)
        #expect(response.status == 400)
        #expect(response.text.contains("submission_token"))
    }

    @Test func olderThanDaysOutside0To3650_isA422NamingTheParameter() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .constructionAndWater)
        _ = try EndToEnd.apiSubmit(app, procedure: "water-start", answers: EndToEnd.waterStartAnswers)
        let clerk = try StaffAPIClient.logIn(app, "clerk-a")
        for days in ["-1", "3651", "999999999"] {
            let response = try clerk.get("/api/v1/staff/applications?older_than_days=\(days)")
            #expect(response.status == 422, "\(days)")
            #expect(response.errorCode == "out_of_range")
            #expect(response.text.contains("older_than_days"))
            #expect(response.text.contains("0〜3650"))
        }
        for days in ["0", "3650"] {
            #expect(try clerk.get("/api/v1/staff/applications?older_than_days=\(days)").status == 200, "\(days)")
        }
        // Empty is not "not given" in the API: the description's enums and integer have no empty value.
        let empty = try clerk.get("/api/v1/staff/applications?mine=&status=&older_than_days=")
        #expect(empty.status == 400)
        #expect(empty.text.contains("status, older_than_days, mine"))
        let everything = try clerk.get("/api/v1/staff/applications?older_than_days=0")
        #expect((everything.jsonObject?["applications"] as? [Any])?.count == 1)
    }
}
