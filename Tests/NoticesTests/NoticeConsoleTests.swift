import Foundation
import Identity
import Notices
import Security
import ServiceKit
import Store
import TestSupport
import Testing

/// The staff console, マイページ's LINE section and the counter, over HTTP against the wired app.
@Suite("Notices console and LINE linking over HTTP")
struct NoticeConsoleTests {
    static let linkedUser = "U" + String(repeating: "a", count: 32)

    /// A resident who asked for letters by post, so only a LINE link changes how notices reach them.
    static func profile(name: String, district: String = "biratori") -> ResidentProfile {
        Fixtures.residentProfile(
            name: name, kana: "テスト", district: district, phone: "0145720000", contactChannel: .post)
    }

    @Test func compose_preview_confirm_createsTheNotice_withLINEAndFallbackCounts() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        try Fixtures.makeResident(
            app.database, loginID: "a@example.jp", profile: Self.profile(name: "連携 一子"), lineUserID: Self.linkedUser)
        try Fixtures.makeResident(app.database, loginID: "b@example.jp", profile: Self.profile(name: "未連携 二郎"))
        try Fixtures.makeResident(
            app.database, loginID: "c@example.jp", profile: Self.profile(name: "振内 三郎", district: "furenai"))
        let browser = app.browser()
        try browser.signInAsStaff("clerk")
        #expect(try browser.get("/staff/notices/new").status == 200)
        let form: [(String, String)] = [
            ("title", "断水のお知らせ"), ("template", ""), ("text", "{氏名} 様\n{日時}に断水します。"), ("values", "日時=4月2日 10時"),
            ("audience", "district"), ("resident_ids", ""), ("district", "biratori"), ("send_at", "2026-04-02T09:30"),
        ]
        let preview = try browser.submit("/staff/notices/preview", form: form)
        #expect(preview.status == 200)
        #expect(preview.text.contains("合計 2 人：LINE 1 人、郵便・電話 1 人"))
        #expect(preview.text.contains("2026年4月2日 9:30（日本時間）"))
        // Personalised: the first recipient's rendering (residents in id order).
        #expect(preview.text.contains("連携 一子 様\n4月2日 10時に断水します。"))
        #expect(!preview.text.contains(Self.linkedUser))
        #expect(try NoticeStore(database: app.database).fetchRecentNotices().isEmpty, "the preview stores nothing")

        let token = try #require(
            preview.text.range(of: "name=\"compose_token\" value=\"[A-Za-z0-9_-]+\"", options: .regularExpression)
                .map { String(preview.text[$0].dropFirst("name=\"compose_token\" value=\"".count).dropLast()) })
        let confirm = form + [("compose_token", token)]
        let created = try browser.submit("/staff/notices", form: confirm)
        #expect(created.status == 303)
        let location = try #require(created.location)
        // A double click: the same preview's token again finds the same notice and freezes nothing new.
        let again = try browser.submit("/staff/notices", form: confirm)
        #expect(again.location == location)
        #expect(try NoticeStore(database: app.database).fetchRecentNotices().count == 1)
        // A confirm that did not come from a preview (no token) creates nothing.
        _ = try browser.get("/staff/notices/new")
        #expect(try browser.submit("/staff/notices", form: form).status == 400)
        #expect(try NoticeStore(database: app.database).fetchRecentNotices().count == 1)
        let notice = try #require(try NoticeStore(database: app.database).fetchRecentNotices().first)
        #expect(location == "/staff/notices/\(notice.id)?done=created")
        #expect(notice.recipientCount == 2 && notice.fallbackCount == 1 && notice.personalised)
        // 09:30 JST is 00:30 UTC.
        #expect(notice.sendAt == Date(timeIntervalSince1970: 1_775_089_800))

        let detail = try browser.get(location)
        #expect(detail.status == 200)
        #expect(detail.text.contains("送信待ち 1"))
        #expect(detail.text.contains("郵便・電話 1"))
        #expect(!detail.text.contains(Self.linkedUser))
        let list = try browser.get("/staff/notices")
        #expect(list.text.contains("断水のお知らせ"))
    }

    @Test func compose_withProblems_showsThemBesideTheFields() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        try Fixtures.seedDistricts(app.database)
        let browser = app.browser()
        try browser.signInAsStaff("clerk")
        _ = try browser.get("/staff/notices/new")
        let response = try browser.submit(
            "/staff/notices/preview",
            form: [("title", ""), ("text", "{日時}です"), ("audience", "residents"), ("resident_ids", "x")])
        #expect(response.status == 422)
        #expect(response.text.contains("href=\"#title\""))
        #expect(response.text.contains("href=\"#resident_ids\""))
    }

    @Test func templates_supervisorsEdit_clerksUse() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        try Fixtures.makeStaff(app.database, loginID: "boss", role: .supervisor)
        let supervisor = app.browser()
        try supervisor.signInAsStaff("boss")
        _ = try supervisor.get("/staff/notices/templates/new")
        #expect(
            try supervisor.submit("/staff/notices/templates", form: [("name", "健診"), ("text", "{氏名} 様、健診の日です。")])
                .location
                == "/staff/notices/templates?done=saved")
        let template = try #require(try NoticeStore(database: app.database).fetchTemplates().first)
        _ = try supervisor.get("/staff/notices/templates/\(template.id)")
        #expect(
            try supervisor.submit(
                "/staff/notices/templates/\(template.id)", form: [("name", "健診のご案内"), ("text", "一\n---\n二")]
            ).status == 303)
        #expect(try NoticeStore(database: app.database).fetchTemplate(id: template.id)?.messages == ["一", "二"])

        let clerk = app.browser()
        try clerk.signInAsStaff("clerk")
        let list = try clerk.get("/staff/notices/templates")
        #expect(list.status == 200 && list.text.contains("健診のご案内"))
        #expect(list.text.contains("/staff/notices/new?template=\(template.id)"))
        #expect(!list.text.contains("/staff/notices/templates/new"))
        #expect(try clerk.get("/staff/notices/templates/new").status == 403)
        let token = try #require(try clerk.get("/staff/notices/templates").csrfToken)
        for path in ["/staff/notices/templates", "/staff/notices/templates/\(template.id)"] {
            #expect(try clerk.post(path, form: [("csrf_token", token), ("name", "x"), ("text", "y")]).status == 403)
        }
        #expect(try clerk.get("/staff/notices/new?template=\(template.id)").text.contains("selected"))
    }

    @Test func fallbackList_isAudited_showsNoLINEUserIDs_andMarksHandled() throws {
        let app = try TestApplication()
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let linked = try Fixtures.makeResident(
            app.database, loginID: "a@example.jp", profile: Self.profile(name: "連携 一子"), lineUserID: Self.linkedUser)
        let unlinked = try Fixtures.makeResident(
            app.database, loginID: "b@example.jp", profile: Self.profile(name: "未連携 二郎"))
        let created = try NoticeStore(database: app.database).createNotice(
            NoticeDraft(
                title: "お祭り", messages: ["{氏名} 様、お祭りです。"], audience: .residents([linked, unlinked]),
                createdBy: "cli"), now: app.clock.now())
        let browser = app.browser()
        try browser.signInAsStaff("clerk")
        let before = try Fixtures.auditRecords(app.database).reversed().map(\.action).filter {
            $0 == "notice_fallback.read"
        }.count
        let page = try browser.get("/staff/notices/fallback?notice=\(created.id)")
        #expect(page.status == 200)
        #expect(page.text.contains("未連携 二郎"))
        #expect(page.text.contains("未連携 二郎 様、お祭りです。"))
        #expect(!page.text.contains(Self.linkedUser))
        #expect(
            try Fixtures.auditRecords(app.database).reversed().map(\.action).filter { $0 == "notice_fallback.read" }
                .count == before + 1)

        let handled = try browser.submit(
            "/staff/notices/fallback/handled",
            form: [
                ("notice_id", String(created.id)), ("resident_id", String(unlinked)),
                ("filter_notice", String(created.id)),
            ])
        #expect(handled.location == "/staff/notices/fallback?done=handled&notice=\(created.id)")
        #expect(try NoticeStore(database: app.database).fetchFallbackList().isEmpty)
        #expect(try Fixtures.auditRecords(app.database).reversed().map(\.action).contains("notice_fallback.handle"))
        // Without a CSRF token nothing changes.
        #expect(
            try browser.post(
                "/staff/notices/fallback/handled", form: [("notice_id", "1"), ("resident_id", String(unlinked))]
            ).status == 403)
        // The dashboard tile links to the console.
        let dashboard = try browser.get("/staff/")
        #expect(dashboard.text.contains("LINEのお知らせ") && dashboard.text.contains("/staff/notices"))
    }

    @Test func theCodePage_promisesOnlyWhatHappens_theReloadedPageShowsTheLink() throws {
        let app = try TestApplication()
        let resident = try Fixtures.makeResident(
            app.database, loginID: "b@example.jp", profile: Self.profile(name: "連携 二子"))
        let browser = app.browser()
        try browser.signInAsResident("b@example.jp")
        _ = try browser.get("/mypage/line")
        let issued = try browser.submit("/mypage/line/code", form: [])
        #expect(!issued.text.contains("返事が来たら"), "no reply is sent in LINE, so none is promised")
        let promise = "このページを開き直して「LINEと連携しています」と表示されたら完了です。"
        #expect(issued.text.contains(promise))
        let code = try #require(
            issued.text.range(of: "[A-HJ-NP-Y2-9]{4}-[A-HJ-NP-Y2-9]{4}", options: .regularExpression).map {
                String(issued.text[$0])
            })

        // The resident sends the code in LINE; the webhook stores it and the processor links.
        let store = NoticeStore(database: app.database)
        let event = Data(
            """
            {"type":"message","mode":"active","timestamp":1775001600000,"webhookEventId":"01JLINKPROMISE0000000000AB",
             "replyToken":"r","deliveryContext":{"isRedelivery":false},
             "source":{"type":"user","userId":"\(Fixtures.lineUserID(9))"},
             "message":{"type":"text","id":"1","quoteToken":"q","text":"\(code)"}}
            """.utf8)
        try store.insertWebhookEvents([try #require(WebhookEvent(json: event))], now: app.clock.now())
        try WebhookEventProcessor(store: store, clock: app.clock.function).processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: resident)?.lineUserID == Fixtures.lineUserID(9))
        #expect(try browser.get("/mypage/line").text.contains("LINEと連携しています"), "what the promise names")
    }

    @Test func myPage_issuesACode_andUnlinks_andTheCounterIssuesOne() throws {
        let app = try TestApplication()
        let resident = try Fixtures.makeResident(
            app.database, loginID: "a@example.jp", profile: Self.profile(name: "連携 一子"), lineUserID: Self.linkedUser)
        try Fixtures.makeStaff(app.database, loginID: "clerk", role: .clerk)
        let browser = app.browser()
        try browser.signInAsResident("a@example.jp")
        let myPage = try browser.get("/mypage")
        #expect(myPage.text.contains("LINEで受け取る") && myPage.text.contains("LINEと連携しています"))
        _ = try browser.get("/mypage/line")
        let issued = try browser.submit("/mypage/line/code", form: [])
        #expect(issued.status == 200)
        #expect(issued.text.contains("公式アカウントを友だち追加して、このコードを送ってください。"))
        let code = try #require(
            issued.text.range(of: "[A-HJ-NP-Y2-9]{4}-[A-HJ-NP-Y2-9]{4}", options: .regularExpression).map {
                String(issued.text[$0])
            })
        #expect(AccountLinking.code(inMessage: code) != nil)
        #expect(!issued.text.contains(Self.linkedUser))
        #expect(try browser.submit("/mypage/line/unlink", form: []).location == "/mypage/line?done=unlinked")
        #expect(try NoticeStore(database: app.database).fetchActiveLink(residentID: resident) == nil)
        #expect(try browser.get("/mypage").text.contains("LINEとは連携していません"))

        let clerk = app.browser()
        try clerk.signInAsStaff("clerk")
        #expect(
            try clerk.get("/staff/notices/counter?resident=\(resident)").location == "/staff/residents/\(resident)/line"
        )
        let counter = try clerk.get("/staff/residents/\(resident)/line")
        #expect(counter.status == 200 && counter.text.contains("連携 一子"))
        let counterCode = try clerk.submit("/staff/residents/\(resident)/line/code", form: [])
        #expect(counterCode.status == 200)
        #expect(counterCode.text.range(of: "[A-HJ-NP-Y2-9]{4}-[A-HJ-NP-Y2-9]{4}", options: .regularExpression) != nil)
        #expect(try clerk.get("/staff/residents/999999/line").status == 404)
        let actions = try Fixtures.auditRecords(app.database).reversed().map(\.action)
        #expect(actions.filter { $0 == "line_link_code.issue" }.count == 2)
        #expect(actions.contains("line_link.end") && actions.contains("line_link.read"))
    }
}
