import Foundation
import Store
import TestSupport
import Testing

@testable import Payments

/// The 日計表: a supervisor closes a JST day, its figures never change again (even a direct UPDATE fails), and a
/// later correction shows on the next close.
@Suite struct DayCloseTests {
    static let day = "2026-04-01"

    /// 締める, with the session's CSRF token as the page's form carries it.
    static func close(_ client: StaffClient, _ day: String) throws -> BrowserResponse {
        try client.browser.post("/staff/payments/close", form: [("csrf_token", client.csrfToken), ("day", day)])
    }

    static func refundBody(_ amount: Int, available: Int) -> String {
        #"{"amount_yen":\#(amount),"refund_amount_available":\#(available),"reason":"訂正"}"#
    }

    @Test func aClosedDayIsFrozenAndALaterCorrectionShowsOnTheNextClose() throws {
        let harness = try PaymentsHarness()
        let small = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1, amountYen: 300))
        let large = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2, amountYen: 1_000))
        let cash = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 3, amountYen: 200))
        try harness.payInSandbox(small, outcome: "pay", method: "qr_code")
        try harness.payInSandbox(large, outcome: "pay", method: "credit_card")
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        #expect(
            try clerk.post(
                "/api/v1/staff/payments/\(cash.paymentID)/counter", #"{"method":"cash","cash_received_yen":1000}"#
            ).status == 201)
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        #expect(
            try supervisor.post(
                "/api/v1/staff/payments/\(large.paymentID)/refunds", Self.refundBody(100, available: 1_000)
            ).status == 201)

        let preview = try clerk.browser.get("/staff/payments/close?day=\(Self.day)")
        #expect(preview.status == 200)
        #expect(preview.text.contains("未締め"))
        #expect(!preview.text.contains("この日を締める"), "clerks do not close")
        #expect(try Self.close(clerk, Self.day).status == 403)

        _ = try supervisor.browser.get("/staff/payments/close?day=\(Self.day)")
        let closed = try Self.close(supervisor, Self.day)
        #expect(closed.status == 303)
        #expect(closed.location == "/staff/payments/close?day=\(Self.day)&done=closed")
        let page = try supervisor.browser.get(try #require(closed.location))
        #expect(page.text.contains("締め済み"))
        #expect(page.text.contains("<dt>現金 収納</dt><dd>200円</dd>"))
        #expect(page.text.contains("<dt>キャッシュレス 収納</dt><dd>1,300円</dd>"))
        #expect(page.text.contains("<dt>還付</dt><dd>-100円</dd>"))
        #expect(page.text.contains("<dt>差引 キャッシュレス</dt><dd>1,200円</dd>"))
        let frozen = try harness.workflow.dayCloseReport(day: Self.day)
        #expect(try Self.close(supervisor, Self.day).status == 409)

        // Nothing can change the closed day, not even SQL typed by hand.
        let database = harness.app.database
        for statement in [
            "UPDATE payments SET amount_yen = 1 WHERE id = \(small.paymentID)",
            "UPDATE payments SET method = 'cash' WHERE id = \(large.paymentID)",
            "DELETE FROM payments WHERE id = \(small.paymentID)",
            "UPDATE payment_refunds SET amount_yen = 1",
            "DELETE FROM payment_refunds",
            "UPDATE payment_day_close_lines SET total_yen = 0",
            "DELETE FROM payment_day_close_lines",
            "UPDATE payment_day_closes SET closed_at = '2026-01-01T00:00:00.000Z'",
            "DELETE FROM payment_day_closes",
        ] {
            #expect(throws: SQLiteError.self, "\(statement)") { try database.write { try $0.run(statement) } }
        }
        // The provider's settlement of a counted payment still goes through.
        #expect(
            try harness.workflow.move(paymentID: small.paymentID, to: .settled, actor: .system, at: Date()).state
                == .settled)

        // A refund recorded after the close, for the closed day: the next day's close counts it as a correction.
        #expect(
            try supervisor.post(
                "/api/v1/staff/payments/\(large.paymentID)/refunds", Self.refundBody(50, available: 900)
            ).status == 201)
        #expect(try harness.workflow.dayCloseReport(day: Self.day) == frozen)
        harness.app.clock.advance(by: 24 * 3600)
        let nextDay = try StaffClient.signIn(harness, "kaikei", staffID: supervisor.staffID)
        #expect(
            try Self.close(nextDay, "2026-04-02").location == "/staff/payments/close?day=2026-04-02&done=closed")
        let next = try harness.workflow.dayCloseReport(day: "2026-04-02")
        #expect(next.lines.count == 1)
        #expect(next.lines.first?.kind == "refund")
        #expect(next.lines.first?.entryDay == Self.day)
        #expect(next.lines.first?.totalYen == 50)
        let nextPage = try nextDay.browser.get("/staff/payments/close?day=2026-04-02")
        #expect(nextPage.text.contains("還付（2026年4月1日分の訂正）"))

        let csv = try nextDay.browser.get("/staff/payments/close.csv?day=\(Self.day)")
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(csv.text.hasPrefix("\u{FEFF}業務日,区分"))
        #expect(csv.text.contains("窓口現金"))
        #expect(csv.text.contains("差引（キャッシュレス）"))
        let audit = try Fixtures.auditRecords(database).filter { $0.action == "payment.day_close" }
        #expect(audit.map(\.subjectID) == [Self.day, "2026-04-02"])
    }

    @Test func daysCloseInOrderAndNotBeforeTheyBegin() throws {
        let harness = try PaymentsHarness()
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        _ = try supervisor.browser.get("/staff/payments/close")
        #expect(try Self.close(supervisor, "2026-04-02").status == 409)
        #expect(try Self.close(supervisor, "2026-04-01").status == 303)
        #expect(try Self.close(supervisor, "2026-03-31").status == 409)
        #expect(try Self.close(supervisor, "April").status == 400)
    }
}
