import Foundation
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// The staff console's payment pages over real HTTP: a clerk records a counter payment, a supervisor refunds,
/// through CSRF-protected forms with the errors beside the field.
@Suite struct StaffPaymentPagesTests {
    /// Signs `loginID` in to the console as `role`, with the console's CSRF token on its last page.
    static func staffBrowser(_ harness: PaymentsHarness, _ loginID: String, role: StaffRole) throws -> StaffClient {
        try StaffClient.logIn(harness, loginID, role: role)
    }

    /// A form post with the session's CSRF token, as the page's form carries it.
    static func submit(_ client: StaffClient, _ path: String, form: [(String, String)]) throws -> BrowserResponse {
        try client.browser.post(path, form: [("csrf_token", client.csrfToken)] + form)
    }

    @Test func aClerkRecordsACashPaymentWithTheChange_andAShortAmountIsShownBesideTheField() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 300))
        let clerk = try Self.staffBrowser(harness, "madoguchi", role: .clerk)
        let path = "/staff/payments/\(charge.paymentID)"

        let page = try clerk.browser.get(path)
        #expect(page.status == 200)
        #expect(page.text.contains("窓口で受け取る"))
        #expect(!page.text.contains("返金する"))
        #expect(
            try Fixtures.auditRecords(harness.app.database).contains {
                $0.action == "payment.read" && $0.subjectID == String(charge.paymentID)
            }, "a staff read of the payment is audited")

        let withoutToken = try clerk.browser.post(
            path + "/counter", form: [("counter_method", "cash"), ("cash_received_yen", "500")])
        #expect(withoutToken.status == 403)

        let short = try Self.submit(
            clerk,
            path + "/counter", form: [("counter_method", "cash"), ("cash_received_yen", "１００")])
        #expect(short.status == 422)
        #expect(short.text.contains(#"id="cash_received_yen-error""#))
        #expect(short.text.contains("お預かり金額が不足しています。300円以上を入力してください。"))
        #expect(short.text.contains(#"value="１００""#), "what the clerk typed stays in the field")
        #expect(try harness.payment(charge.paymentID).state == .created)

        let taken = try Self.submit(
            clerk,
            path + "/counter", form: [("counter_method", "cash"), ("cash_received_yen", "1,000")])
        #expect(taken.status == 303)
        let location = try #require(taken.location)
        #expect(location.hasSuffix("?done=counter"))
        let counterID = try #require(Int64(location.dropFirst("/staff/payments/".count).prefix { $0.isNumber }))
        let counter = try harness.payment(counterID)
        #expect(counter.state == .captured)
        #expect(counter.method == .cash && counter.cashReceivedYen == 1_000 && counter.changeYen == 700)
        #expect(counter.receivedByStaffID == clerk.staffID)
        #expect(try harness.payment(charge.paymentID).state == .cancelled)

        let shown = try clerk.browser.get(location)
        #expect(shown.text.contains("窓口での受領を記録しました。"))
        #expect(shown.text.contains("1,000円") && shown.text.contains("700円"))
        #expect(try clerk.browser.get(path).text.contains("窓口で受け取りました"))
        let again = try Self.submit(clerk, path + "/counter", form: [("counter_method", "card_terminal")])
        #expect(again.status == 409, "the same fee is not taken twice")
        #expect(
            try Fixtures.auditRecords(harness.app.database).filter { $0.action == "payment.counter" }.count == 1)
    }

    @Test func aSupervisorRefundsPartOfACashPayment_aStaleAmountIs412_andAClerkMayNot() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 1_000))
        let clerk = try Self.staffBrowser(harness, "madoguchi", role: .clerk)
        _ = try clerk.browser.get("/staff/payments/\(charge.paymentID)")
        let taken = try Self.submit(
            clerk,
            "/staff/payments/\(charge.paymentID)/counter",
            form: [("counter_method", "cash"), ("cash_received_yen", "1000")])
        let path = try #require(taken.location?.split(separator: "?").first.map(String.init))

        let clerkPage = try clerk.browser.get(path)
        #expect(!clerkPage.text.contains("返金を記録する"), "only supervisors see the refund form")
        let byClerk = try Self.submit(
            clerk,
            path + "/refunds",
            form: [("refund_amount_available", "1000"), ("refund_amount_yen", "100"), ("refund_reason", "過誤納")])
        #expect(byClerk.status == 403)

        let supervisor = try Self.staffBrowser(harness, "kaikei", role: .supervisor)
        let page = try supervisor.browser.get(path)
        #expect(page.text.contains(#"name="refund_amount_available" value="1000""#))
        #expect(page.text.contains("現金でお返し"))
        let empty = try Self.submit(
            supervisor,
            path + "/refunds",
            form: [("refund_amount_available", "1000"), ("refund_amount_yen", ""), ("refund_reason", "")])
        #expect(empty.status == 422)
        #expect(
            empty.text.contains(#"id="refund_amount_yen-error""#) && empty.text.contains(#"id="refund_reason-error""#))

        let refunded = try Self.submit(
            supervisor,
            path + "/refunds",
            form: [("refund_amount_available", "1000"), ("refund_amount_yen", "400"), ("refund_reason", "過誤納のため")])
        #expect(refunded.status == 303)
        let after = try supervisor.browser.get(try #require(refunded.location))
        #expect(after.text.contains("返金を記録しました。"))
        #expect(after.text.contains(#"name="refund_amount_available" value="600""#))
        let paymentID = try #require(Int64(path.split(separator: "/").last!))
        let refunds = try harness.app.database.read { try PaymentStore.fetchRefunds(paymentID: paymentID, on: $0) }
        #expect(refunds.map(\.amountYen) == [400])
        #expect(refunds.first?.cashHandedBackYen == 400 && refunds.first?.staffID == supervisor.staffID)

        // A second screen opened before the refund still says 1,000.
        let stale = try Self.submit(
            supervisor,
            path + "/refunds",
            form: [("refund_amount_available", "1000"), ("refund_amount_yen", "400"), ("refund_reason", "過誤納のため")])
        #expect(stale.status == 412)
        #expect(stale.text.contains(#"id="refund_amount_yen-error""#))
        #expect(stale.text.contains("返金可能額が変わりました。画面を更新してください（現在の返金可能額：600円）。"))
        let over = try Self.submit(
            supervisor,
            path + "/refunds",
            form: [("refund_amount_available", "600"), ("refund_amount_yen", "601"), ("refund_reason", "過誤納のため")])
        #expect(over.status == 422)
        #expect(over.text.contains("返金額が返金可能額を超えています。"))
        #expect(
            try harness.app.database.read { try PaymentStore.fetchRefunds(paymentID: paymentID, on: $0) }.count == 1)
        #expect(try Fixtures.auditRecords(harness.app.database).filter { $0.action == "payment.refund" }.count == 1)
    }

    @Test func theListFindsAPaymentByItsReceiptNumber() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 300))
        let clerk = try Self.staffBrowser(harness, "madoguchi", role: .clerk)
        let list = try clerk.browser.get("/staff/payments")
        #expect(list.status == 200)
        #expect(list.text.contains(#"href="/staff/payments/\#(charge.paymentID)""#))
        let found = try clerk.browser.get("/staff/payments?number=R2026-\(String(format: "%06d", charge.paymentID))")
        #expect(found.status == 303 && found.location == "/staff/payments/\(charge.paymentID)")
        #expect(try clerk.browser.get("/staff/payments?number=abc").status == 422)
    }
}
