import Foundation
import HTTPClient
import Identity
import Store
import TestSupport
import Testing

@testable import Applications

@Suite("Resident flows over HTTP")
struct ResidentFlowTests {
    @Test func catalog_search_andAPI() throws {
        let app = try TestApplication()
        let page = try app.browser().get("/applications")
        #expect(page.status == 200)
        for name in ["水道使用開始届", "犬の登録", "粗大ごみ収集申込", "生活館等集会施設使用申請", "道路・街灯の不具合連絡", "住宅リフォーム補助金交付申請"] {
            #expect(page.text.contains(name))
        }
        let search = try app.browser().get("/applications?q=%E7%8A%AC")  // 犬
        #expect(search.text.contains("犬の登録"))
        #expect(!search.text.contains("水道使用開始届"))
        let api = try app.request("GET", "/api/v1/procedures")
        #expect(api.status == 200)
        #expect(api.text.contains("\"code\":\"water-start\""))
        #expect(try app.request("GET", "/api/v1/procedures/nope").status == 404)
    }

    @Test func resident_prefill_validation_confirm_submit_doubleSubmit_myPage_andIDOR() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(
            app.database, loginID: "hanako@example.jp", profile: ApplicationFixtures.profile)
        _ = try Fixtures.makeResident(app.database, loginID: "taro@example.jp", profile: ApplicationFixtures.profile)
        let browser = app.browser()
        try browser.signInAsResident("hanako@example.jp")

        // Prefilled from the profile (書かない).
        let form = try browser.get("/applications/new/water-start")
        #expect(form.status == 200)
        #expect(form.text.contains("value=\"平取 花子\""))
        #expect(form.text.contains("value=\"ビラトリ ハナコ\""))
        #expect(form.text.contains("enctype=\"multipart/form-data\""))

        // Errors beside each field and in the summary.
        let invalid = try browser.postMultipart("/applications/new/water-start", fields: [("household_size", "abc")])
        #expect(invalid.status == 422)
        #expect(invalid.text.contains("error-summary"))
        #expect(invalid.text.contains("href=\"#start_date\""))
        #expect(invalid.text.contains("id=\"start_date-error\""))
        #expect(invalid.text.contains("世帯人数は半角数字で入力してください。"))

        // Valid → confirmation → submit → completion with a reference number.
        let confirm = try browser.postMultipart("/applications/new/water-start", fields: EndToEnd.waterStartFields)
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("入力内容の確認"))
        #expect(confirm.text.contains("納付書"))
        let formToken = try #require(EndToEnd.hidden("form_token", in: confirm.text))

        // 「入力内容を修正する」 brings the form back filled from the draft, under the same form token; another
        // visitor cannot open someone's draft with its token.
        let revise = try browser.submit("/applications/revise", form: [("form_token", formToken)])
        #expect(revise.status == 200)
        #expect(revise.text.contains("value=\"平取 花子\""))
        #expect(EndToEnd.hidden("form_token", in: revise.text) == formToken)
        let stranger = app.browser()
        _ = try stranger.get("/applications/lookup")
        #expect(try stranger.submit("/applications/revise", form: [("form_token", formToken)]).status == 404)
        let confirmedAgain = try browser.postMultipart(
            "/applications/new/water-start", fields: EndToEnd.waterStartFields)
        #expect(EndToEnd.hidden("form_token", in: confirmedAgain.text) == formToken)

        let done = try browser.submit("/applications/submit", form: [("form_token", formToken)])
        #expect(done.status == 200)
        let reference = try #require(EndToEnd.reference(in: done.text))
        #expect(ReferenceNumber.isValid(reference))

        // The same form token again: the same application, nothing new.
        let again = try browser.submit("/applications/submit", form: [("form_token", formToken)])
        #expect(again.text.contains("すでに受け付けています"))
        #expect(EndToEnd.reference(in: again.text) == reference)
        let count = try app.database.read {
            try $0.scalar("SELECT count(*) FROM applications WHERE status <> 'draft'", as: Int.self)
        }
        #expect(count == 1)
        let usage = try app.database.read {
            try $0.scalar(
                "SELECT count(*) FROM usage_events WHERE kind = 'submitted' AND channel = 'web'", as: Int.self)
        }
        #expect(usage == 1)
        // The KPI's paperless estimate: the event carries the paper form set's sheets (water-start.json).
        let pages = try app.database.read {
            try $0.scalar("SELECT paper_pages FROM usage_events WHERE kind = 'submitted'", as: Int?.self)
        }
        #expect(pages == 2)

        // マイページ lists it with its history; the status page belongs to its owner.
        let myPage = try browser.get("/mypage")
        #expect(myPage.text.contains("水道使用開始届"))
        #expect(myPage.text.contains(ReferenceNumber.display(reference)))
        #expect(try browser.get("/applications/\(reference)").status == 200)
        let api = try browser.json("GET", "/api/v1/applications/\(reference)")
        #expect(api.status == 200)
        #expect(api.text.contains("\"status\":\"received\""))

        // IDOR: another resident gets 404 on the page, the API and the withdraw action.
        let other = app.browser()
        try other.signInAsResident("taro@example.jp")
        #expect(try other.get("/applications/\(reference)").status == 404)
        #expect(try other.json("GET", "/api/v1/applications/\(reference)").status == 404)
        _ = try other.get("/applications")
        #expect(try other.submit("/applications/\(reference)/withdraw", form: []).status == 404)
        // Logged out: sent to the login page; the reference never leads anywhere without a session.
        #expect(try app.browser().get("/applications/\(reference)").status == 303)

        // Withdraw (取下げ) while not yet in review.
        _ = try browser.get("/applications/\(reference)")
        let withdrawn = try browser.submit("/applications/\(reference)/withdraw", form: [])
        #expect(withdrawn.status == 303)
        let stored = try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) }
        #expect(stored?.status == .withdrawn)
        #expect(stored?.residentID == residentID)
    }

    @Test func guest_submit_lookup_andWithdraw() throws {
        let app = try TestApplication()
        let guest = app.browser()
        let form = try guest.get("/applications/new/road-light-report")
        #expect(form.status == 200)
        let confirm = try guest.postMultipart(
            "/applications/new/road-light-report",
            fields: [
                ("issue_type", "streetlight"), ("location", "=HYPERLINK(\"http://evil\")振内の町道"),
                ("details", "街灯が消えています"),
            ],
            files: [("photo", "街灯.png", "image/png", SampleFiles.png)])
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("街灯.png"))
        let done = try guest.submit(
            "/applications/submit",
            form: [("form_token", try #require(EndToEnd.hidden("form_token", in: confirm.text)))])
        let reference = try #require(EndToEnd.reference(in: done.text))
        let secret = try #require(EndToEnd.guestSecret(in: done.text))

        // A fresh browser (another day, another device) looks it up.
        let later = app.browser()
        _ = try later.get("/applications/lookup")
        let wrong = try later.submit(
            "/applications/lookup", form: [("reference", reference), ("guest_secret", "AAAA-BBBB-CCCC")])
        #expect(wrong.status == 422)
        #expect(wrong.text.contains("受付番号または確認コードが違います。"))
        let typo = try later.submit(
            "/applications/lookup", form: [("reference", String(reference.reversed())), ("guest_secret", secret)])
        #expect(typo.status == 422)
        let found = try later.submit(
            "/applications/lookup",
            form: [("reference", ReferenceNumber.display(reference).lowercased()), ("guest_secret", secret)])
        #expect(found.status == 200)
        #expect(found.text.contains("道路・街灯の不具合連絡"))
        #expect(found.text.contains("受付済み"))
        let api = try app.request(
            "POST", "/api/v1/applications/lookup", headers: [("Content-Type", "application/json")],
            body: Data("{\"reference\":\"\(reference)\",\"secret\":\"\(secret)\"}".utf8))
        #expect(api.status == 200)
        let lookups = try app.database.read {
            try $0.scalar("SELECT count(*) FROM usage_events WHERE kind = 'looked_up'", as: Int.self)
        }
        #expect(lookups == 2)

        let withdrawn = try later.submit(
            "/applications/lookup/withdraw", form: [("reference", reference), ("guest_secret", secret)])
        #expect(withdrawn.status == 200)
        #expect(withdrawn.text.contains("申請を取り下げました。"))
    }

    @Test func api_submit_isIdempotent_andValidates() throws {
        let app = try TestApplication()
        let token = "api-token-0123456789"
        func post(_ body: String) throws -> EasyHandle.Response {
            try app.request(
                "POST", "/api/v1/applications", headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        }
        let invalid = try post("{\"procedure_code\":\"water-stop\",\"submission_token\":\"\(token)\",\"answers\":{}}")
        #expect(invalid.status == 422)
        #expect(invalid.text.contains("\"field\":\"stop_date\""))
        let body = """
            {"procedure_code":"water-stop","submission_token":"\(token)","answers":{"stop_date":"2026-04-20",
             "service_address":"平取町本町1","user_name":"平取 太郎","phone":"0145720000","final_billing":"account_transfer"}}
            """
        let created = try post(body)
        #expect(created.status == 201)
        #expect(created.text.contains("guest_secret"))
        let repeated = try post(body)
        #expect(repeated.status == 200)
        #expect(!repeated.text.contains("guest_secret"))
        let count = try app.database.read { try $0.scalar("SELECT count(*) FROM applications", as: Int.self) }
        #expect(count == 1)
    }
}
