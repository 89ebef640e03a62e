import Foundation
import HTTPClient
import Identity
import Store
import TestSupport
import Testing

@testable import Applications

@Suite("Staff flows over HTTP")
struct StaffFlowTests {
    /// Resident submits water-start through the pages; returns the reference.
    func submitWaterStart(_ browser: Browser) throws -> String {
        _ = try browser.get("/applications/new/water-start")
        let confirm = try browser.postMultipart("/applications/new/water-start", fields: EndToEnd.waterStartFields)
        let done = try browser.submit(
            "/applications/submit",
            form: [("form_token", try #require(EndToEnd.hidden("form_token", in: confirm.text)))])
        return try #require(EndToEnd.reference(in: done.text))
    }

    func applicationID(_ app: TestApplication, _ reference: String) throws -> Int64 {
        try #require(try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) }?.id)
    }

    @Test func claimRace_returnResubmit_everyTransition_andMessages() throws {
        let app = try TestApplication()
        _ = try Fixtures.makeResident(app.database, loginID: "hanako@example.jp", profile: ApplicationFixtures.profile)
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .constructionAndWater)
        try Fixtures.makeStaff(app.database, loginID: "clerk-b", department: .constructionAndWater)
        let resident = app.browser()
        try resident.signInAsResident("hanako@example.jp")
        let reference = try submitWaterStart(resident)
        let id = try applicationID(app, reference)

        let clerkA = app.browser()
        try clerkA.signInAsStaff("clerk-a")
        let clerkB = app.browser()
        try clerkB.signInAsStaff("clerk-b")
        let queue = try clerkA.get("/staff/applications")
        #expect(queue.text.contains(ReferenceNumber.display(reference)))
        #expect(!queue.text.contains("平取 花子"))  // no personal data in the queue
        let detail = try clerkA.get("/staff/applications/\(id)")
        #expect(detail.text.contains("平取 花子"))
        _ = try clerkB.get("/staff/applications/\(id)")
        let audited = try app.database.read {
            try $0.scalar(
                "SELECT count(*) FROM audit_log WHERE action = 'application.read' AND subject_id = ?", String(id),
                as: Int.self)
        }
        #expect(audited == 2)

        // Two clerks press 担当する at the same moment: exactly one wins.
        let tokens = [try #require(clerkA.csrfToken), try #require(clerkB.csrfToken)]
        let cookies = [clerkA.cookies, clerkB.cookies]
        let statuses = Mutex2<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let browser = app.browser()
            for (name, value) in cookies[index] { browser.setCookie(name, value) }
            let status =
                (try? browser.post("/staff/applications/\(id)/claim", form: [("csrf_token", tokens[index])]).status)
                ?? 0
            statuses.append(status)
        }
        #expect(statuses.values.sorted() == [303, 409])
        let holder = try app.database.read { try ApplicationStore.fetchApplication(id: id, on: $0) }?.assignedStaffID
        let (winner, loser) = holder == (try staffID(app, "clerk-a")) ? (clerkA, clerkB) : (clerkB, clerkA)

        // Only the holder may move it.
        _ = try loser.get("/staff/applications/\(id)")
        #expect(
            try loser.submit("/staff/applications/\(id)/transition", form: [("from", "received"), ("to", "in_review")])
                .status == 409)
        func move(_ from: String, _ to: String, message: String = "", template: String = "") throws -> Int {
            _ = try winner.get("/staff/applications/\(id)")
            return try winner.submit(
                "/staff/applications/\(id)/transition",
                form: [
                    ("from", from), ("to", to), ("message", message), ("template_id", template),
                    ("internal_note", "確認済み"),
                ]
            ).status
        }
        #expect(try move("received", "approved") == 409)  // not an allowed move
        #expect(try move("received", "in_review", template: "1") == 303)
        // 要訂正 needs a message: the page comes back with the reason beside the field and the typed note kept.
        #expect(try move("in_review", "returned") == 422)
        let refused = try winner.submit(
            "/staff/applications/\(id)/transition",
            form: [("from", "in_review"), ("to", "returned"), ("message", ""), ("internal_note", "電話で確認予定")])
        #expect(refused.text.contains("<title>エラー："))
        #expect(refused.text.contains("href=\"#message\""))
        #expect(refused.text.contains("申請者へのメッセージを入力するか定型文を選んでください"))
        #expect(refused.text.contains("電話で確認予定"))
        #expect(try move("in_review", "returned", message: "世帯人数を確認してください。") == 303)

        // The resident sees 要訂正 with the message, fixes it and resubmits.
        let status = try resident.get("/applications/\(reference)")
        #expect(status.text.contains("要訂正"))
        #expect(status.text.contains("世帯人数を確認してください。"))
        #expect(!status.text.contains("確認済み"))  // internal notes stay internal
        let edit = try resident.get("/applications/\(reference)/edit")
        #expect(edit.status == 200)
        #expect(edit.text.contains("value=\"2\""))
        let invalid = try resident.postMultipart(
            "/applications/\(reference)/edit", fields: [("household_size", "0")], carrying: [])
        #expect(invalid.status == 422)
        _ = try resident.get("/applications/\(reference)/edit")
        let fixed = EndToEnd.waterStartFields.map { $0.0 == "household_size" ? ($0.0, "3") : $0 }
        #expect(
            try resident.postMultipart("/applications/\(reference)/edit", fields: fixed, carrying: []).status == 303)
        let resubmitted = try app.database.read { try ApplicationStore.fetchApplication(id: id, on: $0) }
        #expect(resubmitted?.status == .received)
        #expect(resubmitted?.answers["household_size"] == .text("3"))

        #expect(try move("received", "in_review") == 303)
        #expect(try move("in_review", "approved", template: "2") == 303)
        #expect(try move("approved", "completed", message: "開栓しました。") == 303)
        #expect(try move("completed", "in_review") == 409)

        let (events, messages, usage) = try app.database.read { connection in
            (
                try ApplicationStore.fetchEvents(applicationID: id, on: connection).filter { $0.kind == .status }
                    .map { "\($0.fromStatus?.rawValue ?? "")>\($0.toStatus?.rawValue ?? "")" },
                try ApplicationStore.fetchResidentMessages(applicationID: id, on: connection).count,
                // In the order written: without ORDER BY, SQLite reads whichever index covers `kind` (the KPI's).
                try connection.scalar(
                    "SELECT group_concat(kind) FROM (SELECT kind FROM usage_events ORDER BY id)", as: String.self)
            )
        }
        #expect(
            events == [
                "draft>received", "received>in_review", "in_review>returned", "returned>received", "received>in_review",
                "in_review>approved", "approved>completed",
            ])
        #expect(messages == 5)  // received, in_review (template), returned, approved (template), completed
        #expect(usage == "submitted,resubmitted")
        let myPage = try resident.get("/mypage")
        #expect(myPage.text.contains("開栓しました。"))

        // A second application is rejected, and one still received can no longer be withdrawn once in review.
        let second = try submitWaterStart(resident)
        let secondID = try applicationID(app, second)
        _ = try winner.get("/staff/applications/\(secondID)")
        #expect(try winner.submit("/staff/applications/\(secondID)/claim", form: []).status == 303)
        _ = try winner.get("/staff/applications/\(secondID)")
        #expect(
            try winner.submit(
                "/staff/applications/\(secondID)/transition", form: [("from", "received"), ("to", "in_review")]
            ).status == 303)
        _ = try resident.get("/applications/\(second)")
        #expect(try resident.submit("/applications/\(second)/withdraw", form: []).status == 409)
        _ = try winner.get("/staff/applications/\(secondID)")
        #expect(
            try winner.submit(
                "/staff/applications/\(secondID)/transition",
                form: [("from", "in_review"), ("to", "rejected"), ("template_id", "6")]
            ).status == 303)
        #expect(
            try app.database.read { try ApplicationStore.fetchApplication(id: secondID, on: $0) }?.status == .rejected)
    }

    func staffID(_ app: TestApplication, _ loginID: String) throws -> Int64? {
        try app.database.read { try StaffStore.fetchStaff(loginID: loginID, on: $0) }?.id
    }

    @Test func attachments_csvExport_counterEntry_andPurge() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(
            app.database, loginID: "hanako@example.jp", profile: ApplicationFixtures.profile)
        try Fixtures.makeStaff(app.database, loginID: "clerk-a", department: .tourismAndCommerce)
        let resident = app.browser()
        try resident.signInAsResident("hanako@example.jp")

        // A subsidy with a required attachment: a disguised file is refused beside the field, a PDF is kept.
        _ = try resident.get("/applications/new/housing-renovation-subsidy")
        let fields: [(String, String)] = [
            ("applicant_name", "平取 花子"), ("applicant_kana", "ビラトリ ハナコ"), ("postal_code", "0550107"),
            ("address", "平取町本町1"), ("phone", "0145720000"), ("property_address", "平取町本町1"), ("ownership", "own"),
            ("contractor", "=cmd|' /C calc'!A0"), ("work_type", "roof"), ("work_type", "insulation"),
            ("work_description", "屋根の葺き替え"), ("estimated_cost", "1,200,000"), ("planned_start", "2026-05-01"),
            ("tax_paid", "true"),
        ]
        let disguised = try resident.postMultipart(
            "/applications/new/housing-renovation-subsidy", fields: fields,
            files: [("estimate_document", "見積書.pdf", "application/pdf", Data("<script>alert(1)</script>".utf8))])
        #expect(disguised.status == 422)
        #expect(disguised.text.contains("JPEG・PNG の画像か PDF を添付してください。"))
        let confirm = try resident.postMultipart(
            "/applications/new/housing-renovation-subsidy", fields: fields,
            files: [("estimate_document", "見積書.pdf", "application/pdf", SampleFiles.pdf)])
        #expect(confirm.status == 200)
        let done = try resident.submit(
            "/applications/submit",
            form: [("form_token", try #require(EndToEnd.hidden("form_token", in: confirm.text)))])
        let reference = try #require(EndToEnd.reference(in: done.text))
        let id = try #require(
            try app.database.read { try ApplicationStore.fetchApplication(reference: reference, on: $0) }?.id)
        let attachment = try #require(
            try app.database.read { try ApplicationStore.fetchAttachments(applicationID: id, on: $0) }.first)

        // Files are for staff only, always as a download.
        #expect(try resident.get("/staff/applications/\(id)/attachments/\(attachment.id)").status == 303)
        let clerk = app.browser()
        try clerk.signInAsStaff("clerk-a")
        let download = try clerk.get("/staff/applications/\(id)/attachments/\(attachment.id)")
        #expect(download.status == 200)
        #expect(download.headers["content-type"] == "application/pdf")
        #expect(download.headers["content-disposition"]?.hasPrefix("attachment;") == true)
        #expect(Data(download.text.utf8).prefix(5) == Data("%PDF-".utf8))
        #expect(try clerk.get("/staff/applications/\(id)/attachments/999").status == 404)

        // CSV export: BOM, quoting, formula injection neutralised; Shift_JIS on request.
        let csv = try EasyHandle().perform(
            method: "GET",
            url: app.baseURL
                + "/staff/applications/export.csv?procedure=housing-renovation-subsidy&from=2026-03-01&to=2026-04-30",
            headers: [("Cookie", clerk.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))])
        #expect(csv.status == 200)
        #expect(Array(csv.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(csv.headers["content-disposition"]?.hasPrefix("attachment;") == true)
        let text = String(decoding: csv.body.dropFirst(3), as: UTF8.self)
        #expect(text.contains("'=cmd|' /C calc'!A0"))
        #expect(text.contains(ReferenceNumber.display(reference)))
        #expect(text.contains("\"屋根・外壁、断熱・窓\"") || text.contains("屋根・外壁、断熱・窓"))
        #expect(text.hasSuffix("\r\n"))
        let sjis = try EasyHandle().perform(
            method: "GET",
            url: app.baseURL
                + "/staff/applications/export.csv?procedure=housing-renovation-subsidy&from=2026-03-01&to=2026-04-30&encoding=sjis",
            headers: [("Cookie", clerk.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))])
        #expect(String(data: sjis.body, encoding: .shiftJIS)?.contains("受付番号") == true)
        #expect(
            try app.database.read {
                try $0.scalar("SELECT count(*) FROM audit_log WHERE action = 'application.export'", as: Int.self)
            } == 2)

        // Counter proxy entry (書かない窓口): prefilled from the resident, confirmed by them, channel counter.
        let counterForm = try clerk.get("/staff/counter/water-stop?resident=\(residentID)")
        #expect(counterForm.text.contains("value=\"平取 花子\""))
        let counterConfirm = try clerk.postMultipart(
            "/staff/counter/water-stop",
            fields: [
                ("stop_date", "2026-04-20"), ("service_address", "平取町本町1"), ("user_name", "平取 花子"),
                ("phone", "0145720000"), ("final_billing", "account_transfer"),
            ],
            carrying: ["form_token", "resident_id"])
        #expect(counterConfirm.status == 200)
        let counterToken = try #require(EndToEnd.hidden("form_token", in: counterConfirm.text))
        #expect(
            try clerk.submit(
                "/staff/counter/submit", form: [("form_token", counterToken), ("resident_id", String(residentID))]
            ).status == 422)
        _ = try clerk.get("/staff/applications")
        let counterDone = try clerk.submit(
            "/staff/counter/submit",
            form: [("form_token", counterToken), ("resident_id", String(residentID)), ("resident_confirmed", "true")])
        #expect(counterDone.status == 200)
        let counterReference = try #require(EndToEnd.reference(in: counterDone.text))
        let counterApplication = try app.database.read {
            try ApplicationStore.fetchApplication(reference: counterReference, on: $0)
        }
        #expect(counterApplication?.channel == .counter)
        #expect(counterApplication?.residentID == residentID)
        #expect(
            try app.database.read {
                try $0.scalar("SELECT count(*) FROM usage_events WHERE channel = 'counter'", as: Int.self)
            } == 1)
        #expect(try resident.get("/mypage").text.contains("水道使用中止届"))

        // Purge: after the resident withdraws and the retention period passes, the data and files go.
        _ = try resident.get("/applications/\(reference)")
        #expect(try resident.submit("/applications/\(reference)/withdraw", form: []).status == 303)
        let report = try RetentionJob(database: app.database).run(
            now: app.clock.now().addingTimeInterval(6 * 366 * 86_400))
        #expect(report.purgedApplicationIDs == [id])
        #expect(try app.database.read { try ApplicationStore.fetchAttachments(applicationID: id, on: $0) }.isEmpty)
        let purgedPage = try clerk.get("/staff/applications/\(id)")
        #expect(purgedPage.text.contains("保存期間を過ぎたため"))
        #expect(!purgedPage.text.contains("屋根の葺き替え"))
    }
}

/// A tiny lock-protected box for results gathered from concurrent threads.
final class Mutex2<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Value
    init(_ value: Value) { storage = value }
    var values: Value { lock.withLock { storage } }
    func append<Element>(_ element: Element) where Value == [Element] { lock.withLock { storage.append(element) } }
}
