import Cryptography
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

@Suite("A resident requests a certificate")
struct ResidentRequestTests {
    func signedIn(_ app: TestApplication) throws -> (Browser, Int64) {
        let residentID = try Fixtures.makeResident(app.database)
        let browser = app.browser()
        try browser.signInAsResident()
        return (browser, residentID)
    }

    func post(
        _ browser: Browser, code: String = "juminhyo", _ fields: [(String, String)],
        letter: (String, String, Data)? = nil
    )
        throws -> BrowserResponse
    {
        _ = try browser.get("/certificates/new/\(code)")
        let body = CertificateFixtures.multipart(fields, csrf: try #require(browser.csrfToken), letter: letter)
        return try browser.send(
            "POST", "/certificates/new/\(code)", headers: [("Content-Type", body.contentType)], body: body.data)
    }

    @Test func confirmShowsTheTotal_andADoubleSubmitMakesOneRequest() throws {
        let app = try TestApplication()
        let (browser, residentID) = try signedIn(app)
        let token = SecureRandom.token()
        let confirm = try post(browser, CertificateFixtures.formFields(token: token))
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("請求内容の確認"))
        #expect(confirm.text.contains("600円"), "2通 × 300円 shown before confirming")
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM certificate_requests") == 0)

        let confirmed =
            CertificateFixtures.formFields(token: token).filter { $0.0 != "form_token" } + [
                ("form_token", token), ("type", "juminhyo"),
            ]
        let first = try browser.submit("/certificates/confirm", form: confirmed)
        #expect(first.status == 303)
        let location = try #require(first.location)
        #expect(location.hasPrefix("/certificates/") && location.hasSuffix("?done=requested"))
        let again = try browser.submit("/certificates/confirm", form: confirmed)
        #expect(again.location == location, "the second submit answers with the first request")
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM certificate_requests") == 1)
        #expect(
            try CertificateFixtures.count(
                app.database,
                "SELECT count(*) FROM usage_events WHERE source = 'certificates' AND kind = 'requested' AND paper_pages = 1"
            )
                == 1)

        let status = try browser.get(location)
        #expect(status.text.contains("受付済み（窓口でお支払い）"))
        #expect(status.text.contains("交付準備の予定"))
        let myPage = try browser.get("/mypage")
        #expect(myPage.text.contains("証明書の請求"))
        #expect(myPage.text.contains("住民票の写し"))
        #expect(myPage.text.contains("交付準備の予定：2026年4月2日 8:45"), "ready when the chosen pickup day opens")
        _ = residentID
    }

    @Test func everyBadInputIsAJapaneseErrorBesideItsField_andNothingIsStored() throws {
        let app = try TestApplication()
        let (browser, _) = try signedIn(app)
        try CertificateFixtures.expectEveryBadInputRefused { try post(browser, code: $0, $1) }
        // A 委任状 that is a text file renamed .pdf: refused by its bytes.
        let notPDF = try post(
            browser, CertificateFixtures.formFields(["requester": "agent"], token: SecureRandom.token()),
            letter: ("委任状.pdf", "application/pdf", Data("hello, not a pdf".utf8)))
        #expect(notPDF.status == 422)
        #expect(notPDF.text.contains("委任状は JPEG・PNG の画像か PDF を添付してください。"))
        // A real PDF from an agent goes through to the confirmation.
        let good = try post(
            browser, CertificateFixtures.formFields(["requester": "agent"], token: SecureRandom.token()),
            letter: ("委任状.pdf", "application/pdf", SampleFiles.pdf))
        #expect(good.status == 200)
        #expect(good.text.contains("委任状.pdf"))
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM certificate_requests") == 0)
        #expect(
            try CertificateFixtures.count(app.database, "SELECT count(*) FROM certificate_letters_of_attorney") == 0)
    }

    @Test func anAdminClosedDayIsRefusedAsAPickupDay() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "admin", role: .admin)
        let admin = app.browser()
        try admin.signInAsStaff("admin")
        _ = try admin.get("/staff/certificates/calendar")
        let added = try admin.submit(
            "/staff/certificates/calendar", form: [("date", "2026-04-02"), ("reason", "庁舎点検")])
        #expect(added.status == 303)
        let (browser, _) = try signedIn(app)
        let refused = try post(browser, CertificateFixtures.formFields(token: SecureRandom.token()))
        #expect(refused.status == 422)
        #expect(refused.text.contains("2026年4月2日は閉庁日です"))
        let audit = try Fixtures.auditRecords(app.database)
        #expect(audit.contains { $0.action == "certificate_calendar.close" && $0.subjectID == "2026-04-02" })
    }

    @Test func anotherResidentsRequestIs404_onThePageAndInTheAPI() throws {
        let app = try TestApplication()
        let owner = try Fixtures.makeResident(app.database, loginID: "owner@example.jp")
        let workflow = try CertificateFixtures.workflow(app.database, fees: nil)
        let made = try workflow.submit(
            CertificateFixtures.juminhyo(payment: .counter), residentID: owner, channel: .web,
            token: SecureRandom.token(), at: CertificateFixtures.now)
        let (browser, _) = try signedIn(app)
        #expect(try browser.get("/certificates/\(made.request.id)").status == 404)
        #expect(try browser.get("/certificates/999999").status == 404)
        #expect(try browser.json("GET", "/api/v1/certificates/\(made.request.id)").status == 404)
    }

    @Test func theAPI_quotesThenRequestsOnce_andSaysWhichFieldIsWrong() throws {
        let app = try TestApplication()
        let (browser, _) = try signedIn(app)
        _ = try browser.get("/certificates")
        let csrf = try #require(browser.csrfToken ?? (try browser.get("/mypage")).csrfToken)
        let headers = [("X-CSRF-Token", csrf)]
        let body = """
            {"type":"koseki-zenbu","copies":3,"requester":"self","purpose":"相続の手続き","delivery":"counter",
             "pickup_date":"2026-04-02","payment":"counter","submission_token":"api-token-0123456789"}
            """
        let quote = try browser.json("POST", "/api/v1/certificates/quote", body: body, headers: headers)
        #expect(quote.status == 200)
        #expect(quote.jsonObject?["total_fee_yen"] as? Int == 1350)
        let first = try browser.json("POST", "/api/v1/certificates", body: body, headers: headers)
        #expect(first.status == 201)
        let second = try browser.json("POST", "/api/v1/certificates", body: body, headers: headers)
        #expect(second.status == 200)
        #expect(first.jsonObject?["id"] as? Int == second.jsonObject?["id"] as? Int)
        let bad = try browser.json(
            "POST", "/api/v1/certificates",
            body: """
                {"type":"koseki-zenbu","copies":3,"requester":"self","delivery":"counter","pickup_date":"2026-04-02",
                 "payment":"counter","submission_token":"api-token-other-0123"}
                """, headers: headers)
        #expect(bad.status == 422)
        #expect(bad.text.contains("\"field\":\"purpose\""))
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM certificate_requests") == 1)
    }
}
