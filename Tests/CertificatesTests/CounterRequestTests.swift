import Cryptography
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

/// 書かない窓口: a clerk enters the request for the resident standing at the counter.
@Suite("A clerk enters a request at the counter")
struct CounterRequestTests {
    struct Setup {
        let app: TestApplication
        let residentID: Int64
        let onlineID: Int64
        let clerk: Browser
    }

    /// A resident's online request made a minute before the resident walks up to the counter.
    func setUp() throws -> Setup {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        try Fixtures.makeStaff(app.database, loginID: "clerk1")
        let workflow = try CertificateFixtures.workflow(app.database, fees: nil)
        let online = try workflow.submit(
            CertificateFixtures.juminhyo(payment: .counter), residentID: residentID, channel: .web,
            token: SecureRandom.token(), at: app.clock.now())
        app.clock.advance(by: 60)
        let clerk = app.browser()
        try clerk.signInAsStaff("clerk1")
        return Setup(app: app, residentID: residentID, onlineID: online.request.id, clerk: clerk)
    }

    func check(
        _ setup: Setup, code: String = "juminhyo", _ fields: [(String, String)], letter: (String, String, Data)? = nil
    )
        throws -> BrowserResponse
    {
        _ = try setup.clerk.get("/staff/certificates/counter/new?resident=\(setup.residentID)&type=\(code)")
        let body = CertificateFixtures.multipart(
            fields + [("resident_id", String(setup.residentID))], csrf: try #require(setup.clerk.csrfToken),
            letter: letter)
        return try setup.clerk.send(
            "POST", "/staff/certificates/counter/check/\(code)", headers: [("Content-Type", body.contentType)],
            body: body.data)
    }

    func requestCount(_ setup: Setup) throws -> Int {
        try CertificateFixtures.count(setup.app.database, "SELECT count(*) FROM certificate_requests")
    }

    @Test func theClerksEntry_jumpsAheadOfAnOlderOnlineRequest_withAnAuditedLookupAndTheCounterChannel() throws {
        let setup = try setUp()
        let (app, clerk) = (setup.app, setup.clerk)
        _ = try clerk.get("/staff/certificates/counter")
        let empty = try clerk.submit(
            "/staff/certificates/counter/search", form: [("type", "juminhyo"), ("name", ""), ("resident_number", "")])
        #expect(empty.status == 422)
        #expect(empty.text.contains("氏名（フリガナ）か住民番号を入力してください。"))
        let otherBirthday = try clerk.submit(
            "/staff/certificates/counter/search",
            form: [("type", "juminhyo"), ("name", "ビラトリ"), ("birth_date", "1951-04-01")])
        #expect(otherBirthday.text.contains("該当する方が見つかりません。"), "the birth date narrows the names")
        let found = try clerk.submit(
            "/staff/certificates/counter/search",
            form: [("type", "juminhyo"), ("name", "ビラトリ"), ("birth_date", "1950-04-01")])
        #expect(found.status == 200)
        #expect(found.text.contains("/staff/certificates/counter/new?resident=\(setup.residentID)&amp;type=juminhyo"))
        let byNumber = try clerk.submit(
            "/staff/certificates/counter/search",
            form: [("type", "juminhyo"), ("resident_number", "\(setup.residentID)")])
        #expect(byNumber.text.contains("平取 花子"))
        let searches = try Fixtures.auditRecords(app.database).filter { $0.action == "resident.search" }
        #expect(searches.map(\.subjectID) == [nil, String(setup.residentID), String(setup.residentID)])
        #expect(!searches.contains { $0.subjectID?.contains("ビラトリ") == true }, "the query stays out of the log")

        let form = try clerk.get("/staff/certificates/counter/new?resident=\(setup.residentID)&type=juminhyo")
        #expect(form.text.contains("平取 花子 様"))
        #expect(!form.text.contains("value=\"online\""), "paid at the desk")
        #expect(try clerk.get("/staff/certificates/counter/new?resident=999999&type=juminhyo").status == 404)

        let token = SecureRandom.token()
        let confirm = try check(setup, CertificateFixtures.formFields(token: token))
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("請求内容の確認") && confirm.text.contains("600円"))
        #expect(try requestCount(setup) == 1, "nothing stored before the confirmation")
        let confirmed =
            CertificateFixtures.formFields(token: token) + [
                ("type", "juminhyo"), ("resident_id", String(setup.residentID)),
            ]
        let first = try clerk.submit("/staff/certificates/counter/confirm", form: confirmed)
        #expect(first.location == "/staff/certificates?message=entered")
        let again = try clerk.submit("/staff/certificates/counter/confirm", form: confirmed)
        #expect(again.location == "/staff/certificates?message=entered")
        #expect(try requestCount(setup) == 2, "a double submit makes one request")

        let counterID = try #require(
            try app.database.read {
                try $0.scalar("SELECT id FROM certificate_requests WHERE channel = 'counter'", as: Int64.self)
            })
        let stored = try #require(try app.database.read { try CertificateStore.fetchRequest(id: counterID, on: $0) })
        #expect(stored.priority == 1 && stored.status == .payAtCounter && stored.residentID == setup.residentID)
        let events = try app.database.read { try CertificateStore.fetchEvents(requestID: counterID, on: $0) }
        #expect(events.map(\.actorType) == ["staff"], "the history names the clerk who typed it")

        // Newer, but counter-waiting: first in the page, the JSON queue and claim-next.
        let queue = try clerk.get("/staff/certificates")
        let counterRow = try #require(queue.text.range(of: "href=\"/staff/certificates/\(counterID)\""))
        let onlineRow = try #require(queue.text.range(of: "href=\"/staff/certificates/\(setup.onlineID)\""))
        #expect(counterRow.lowerBound < onlineRow.lowerBound)
        #expect(queue.text.contains("窓口で待機中"))
        let json = try clerk.json("GET", "/api/v1/staff/certificates")
        let listed = (json.jsonObject?["requests"] as? [[String: Any]]) ?? []
        #expect(listed.compactMap { $0["id"] as? Int } == [Int(counterID), Int(setup.onlineID)])
        #expect(listed.first?["channel"] as? String == "counter")
        #expect(
            try clerk.submit("/staff/certificates/claim-next", form: []).location == "/staff/certificates/\(counterID)")

        let counterEvents = try CertificateFixtures.count(
            app.database,
            """
            SELECT count(*) FROM usage_events
            WHERE source = 'certificates' AND kind = 'requested' AND channel = 'counter' AND paper_pages IS NULL
            """)
        #expect(counterEvents == 1)
        let audit = try Fixtures.auditRecords(app.database)
        #expect(audit.contains { $0.action == "certificate_request.create" && $0.subjectID == String(counterID) })
        #expect(audit.contains { $0.action == "resident.read" && $0.subjectID == String(setup.residentID) })
    }

    @Test func everyBadInputIsRefusedBesideItsField_asOnline_andNothingIsStored() throws {
        let setup = try setUp()
        try CertificateFixtures.expectEveryBadInputRefused { try check(setup, code: $0, $1) }
        let notPDF = try check(
            setup, CertificateFixtures.formFields(["requester": "agent"], token: SecureRandom.token()),
            letter: ("委任状.pdf", "application/pdf", Data("hello, not a pdf".utf8)))
        #expect(notPDF.text.contains("委任状は JPEG・PNG の画像か PDF を添付してください。"))
        let online = try check(
            setup, CertificateFixtures.formFields(["payment": "online"], token: SecureRandom.token()))
        #expect(online.status == 422, "a counter entry is paid at the desk")
        #expect(try requestCount(setup) == 1)
    }

    @Test func theStaffAPI_findsAndEnters_onceByToken_withFieldErrors() throws {
        let setup = try setUp()
        let csrf = try #require(try setup.clerk.get("/staff/").csrfToken)
        let headers = [("X-CSRF-Token", csrf)]
        let search = try setup.clerk.json(
            "POST", "/api/v1/staff/certificates/residents/search",
            body: #"{"name":"平取","birth_date":"1950-04-01"}"#, headers: headers)
        #expect(search.status == 200)
        let residents = (search.jsonObject?["residents"] as? [[String: Any]]) ?? []
        #expect(residents.compactMap { $0["id"] as? Int } == [Int(setup.residentID)])
        let noName = try setup.clerk.json(
            "POST", "/api/v1/staff/certificates/residents/search", body: "{}", headers: headers)
        #expect(noName.status == 422 && noName.text.contains("\"field\":\"name\""))
        let emptyDate = try setup.clerk.json(
            "POST", "/api/v1/staff/certificates/residents/search", body: #"{"resident_number":1,"birth_date":""}"#,
            headers: headers)
        #expect(emptyDate.status == 422 && emptyDate.text.contains("\"field\":\"birth_date\""), "not a date")

        func enter(_ fields: String, resident: Int64? = nil) throws -> BrowserResponse {
            try setup.clerk.json(
                "POST", "/api/v1/staff/certificates/counter",
                body: """
                    {"resident_id":\(resident ?? setup.residentID),"type":"juminhyo","requester":"self",
                     "delivery":"counter","pickup_date":"2026-04-02",\(fields)}
                    """, headers: headers)
        }
        let first = try enter(#""copies":1,"submission_token":"counter-token-0123456""#)
        #expect(first.status == 201)
        #expect(first.jsonObject?["channel"] as? String == "counter")
        #expect(first.jsonObject?["payment"] as? String == "counter")
        let second = try enter(#""copies":1,"submission_token":"counter-token-0123456""#)
        #expect(second.status == 200)
        #expect(first.jsonObject?["id"] as? Int == second.jsonObject?["id"] as? Int)
        let tooMany = try enter(#""copies":11,"submission_token":"counter-token-other-01""#)
        #expect(tooMany.status == 422 && tooMany.text.contains("\"field\":\"copies\""))
        let nobody = try enter(#""copies":1,"submission_token":"counter-token-nobody-1""#, resident: 999_999)
        #expect(nobody.status == 404)
        #expect(try requestCount(setup) == 2)
        let queue = try setup.clerk.json("GET", "/api/v1/staff/certificates")
        let listed = (queue.jsonObject?["requests"] as? [[String: Any]]) ?? []
        #expect(listed.first?["id"] as? Int == first.jsonObject?["id"] as? Int, "counter-waiting first")
        let searches = try Fixtures.auditRecords(setup.app.database).filter { $0.action == "resident.search" }
        #expect(searches.map(\.subjectID) == [String(setup.residentID)], "the refused search read nobody")
    }
}
