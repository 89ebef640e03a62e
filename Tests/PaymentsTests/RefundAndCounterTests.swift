import Foundation
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// Refunds by a supervisor and payments taken at the counter, over the staff JSON API.
@Suite struct RefundAndCounterTests {
    /// A 1,000-yen fee paid online through the sandbox.
    static func paidFee(_ harness: PaymentsHarness, subjectID: Int64 = 1) throws -> FeeCharge {
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: subjectID, amountYen: 1_000))
        try harness.payInSandbox(charge, outcome: "pay")
        return charge
    }

    static func refundBody(_ amount: Int, available: Int, reason: String = "二重請求のため") -> String {
        #"{"amount_yen":\#(amount),"refund_amount_available":\#(available),"reason":"\#(reason)"}"#
    }

    @Test func partialRefundsGoDownToExactlyZeroAndNoFurther() throws {
        let harness = try PaymentsHarness()
        let charge = try Self.paidFee(harness)
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let path = "/api/v1/staff/payments/\(charge.paymentID)/refunds"

        let first = try supervisor.post(path, Self.refundBody(300, available: 1_000))
        #expect(first.status == 201)
        #expect(first.jsonObject?["state"] as? String == "succeeded")
        #expect(first.jsonObject?["refund_amount_available"] as? Int == 700)
        #expect(harness.subjects.charges.last?.netPaidYen == 700)
        #expect(harness.subjects.charges.last?.state == .paid)

        let second = try supervisor.post(path, Self.refundBody(700, available: 700))
        #expect(second.status == 201)
        #expect(second.jsonObject?["refund_amount_available"] as? Int == 0)
        #expect(harness.subjects.charges.last?.state == .refunded)
        #expect(harness.subjects.charges.last?.netPaidYen == 0)

        let beyond = try supervisor.post(path, Self.refundBody(1, available: 0))
        #expect(beyond.status == 422)
        #expect(beyond.text.contains("amount_yen"))
        let refunds = try harness.app.database.read {
            try PaymentStore.fetchRefunds(paymentID: charge.paymentID, on: $0)
        }
        #expect(refunds.map(\.amountYen) == [300, 700])
        #expect(refunds.allSatisfy { $0.staffID == supervisor.staffID && $0.cashHandedBackYen == nil })

        let audit = try Fixtures.auditRecords(harness.app.database).filter { $0.action == "payment.refund" }
        #expect(audit.count == 2)
        #expect(audit.allSatisfy { $0.actorID == String(supervisor.staffID) && $0.subjectType == "payment_refund" })
    }

    @Test func aStaleRefundAmountAvailableIs412AndChangesNothing() throws {
        let harness = try PaymentsHarness()
        let charge = try Self.paidFee(harness)
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let path = "/api/v1/staff/payments/\(charge.paymentID)/refunds"
        #expect(try supervisor.post(path, Self.refundBody(200, available: 1_000)).status == 201)
        // A second supervisor's screen still said 1,000.
        let stale = try supervisor.post(path, Self.refundBody(200, available: 1_000))
        #expect(stale.status == 412)
        #expect(stale.text.contains("refund_amount_available_mismatch"))
        #expect(stale.text.contains("800"))
        #expect(
            try harness.app.database.read { try PaymentStore.fetchRefunds(paymentID: charge.paymentID, on: $0) }.count
                == 1)
    }

    @Test func moreThanWasCapturedIsRefused() throws {
        let harness = try PaymentsHarness()
        let charge = try Self.paidFee(harness)
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let response = try supervisor.post(
            "/api/v1/staff/payments/\(charge.paymentID)/refunds", Self.refundBody(1_001, available: 1_000))
        #expect(response.status == 422)
        #expect(response.jsonObject.map { ($0["error"] as? [String: Any])?["code"] as? String } == "invalid_amount_yen")
    }

    @Test func onlyASupervisorRefundsAndOnlyWhatWasPaid() throws {
        let harness = try PaymentsHarness()
        let charge = try Self.paidFee(harness)
        let unpaid = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2))
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        #expect(
            try clerk.post("/api/v1/staff/payments/\(charge.paymentID)/refunds", Self.refundBody(100, available: 1_000))
                .status == 403)
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let refused = try supervisor.post(
            "/api/v1/staff/payments/\(unpaid.paymentID)/refunds", Self.refundBody(100, available: 0))
        #expect(refused.status == 409)
        #expect(refused.text.contains("created"))
        #expect(
            try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payment_refunds", as: Int.self) } == 0)
    }

    @Test func cashAtTheCounterRecordsReceivedAndChangeAndItsRefundTheCashHandedBack() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 300))
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        let short = try clerk.post(
            "/api/v1/staff/payments/\(charge.paymentID)/counter", #"{"method":"cash","cash_received_yen":200}"#)
        #expect(short.status == 422)
        #expect(short.text.contains("cash_received_yen"))

        let paid = try clerk.post(
            "/api/v1/staff/payments/\(charge.paymentID)/counter", #"{"method":"cash","cash_received_yen":1000}"#)
        #expect(paid.status == 201)
        #expect(paid.jsonObject?["cash_received_yen"] as? Int == 1_000)
        #expect(paid.jsonObject?["change_yen"] as? Int == 700)
        let counterID = try #require((paid.jsonObject?["payment"] as? [String: Any])?["payment_id"] as? Int)
        let counter = try harness.payment(Int64(counterID))
        #expect(counter.state == .captured && counter.method == .cash && counter.channel == "counter")
        #expect(counter.receivedByStaffID == clerk.staffID)
        #expect(try harness.payment(charge.paymentID).state == .cancelled)
        #expect(harness.subjects.charges.last?.state == .paid)
        #expect(harness.subjects.charges.last?.paymentID == Int64(counterID))

        let usage = try harness.app.database.read {
            try $0.query("SELECT channel, subject_code FROM usage_events WHERE source = 'payments' AND kind = 'paid'")
        }
        #expect(usage.count == 1)
        #expect(try usage.first?.get("channel", as: String.self) == "counter")
        #expect(try usage.first?.get("subject_code", as: String.self) == "cash")

        // The same fee again is refused with its state.
        let twice = try clerk.post(
            "/api/v1/staff/payments/\(charge.paymentID)/counter", #"{"method":"card_terminal"}"#)
        #expect(twice.status == 409)

        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let refund = try supervisor.post(
            "/api/v1/staff/payments/\(counterID)/refunds", Self.refundBody(300, available: 300, reason: "取消し"))
        #expect(refund.status == 201)
        #expect(refund.jsonObject?["cash_handed_back_yen"] as? Int == 300)
        #expect(refund.jsonObject?["state"] as? String == "succeeded")
    }

    @Test func theCardTerminalTakesAFeeWithoutCash() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 300))
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        let paid = try clerk.post(
            "/api/v1/staff/payments/\(charge.paymentID)/counter", #"{"method":"card_terminal"}"#)
        #expect(paid.status == 201)
        #expect(paid.jsonObject?["cash_received_yen"] == nil)
        let audit = try Fixtures.auditRecords(harness.app.database).filter { $0.action == "payment.counter" }
        #expect(audit.count == 1)
    }

    @Test func theStaffDetailIsAnAuditedReadAndCancelRefusesWhatIsPaid() throws {
        let harness = try PaymentsHarness()
        let charge = try Self.paidFee(harness)
        let unpaid = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2))
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        let detail = try clerk.get("/api/v1/staff/payments/\(charge.paymentID)")
        #expect(detail.status == 200)
        #expect((detail.jsonObject?["events"] as? [Any])?.count == 3)
        #expect(
            try Fixtures.auditRecords(harness.app.database).contains {
                $0.action == "payment.read" && $0.subjectID == String(charge.paymentID)
            })
        #expect(try clerk.get("/api/v1/staff/payments/999999").status == 404)
        let refused = try clerk.post("/api/v1/staff/payments/\(charge.paymentID)/cancel", "{}")
        #expect(refused.status == 409)
        #expect(refused.text.contains("captured"))
        #expect(try clerk.post("/api/v1/staff/payments/\(unpaid.paymentID)/cancel", "{}").status == 200)
        #expect(try harness.payment(unpaid.paymentID).state == .cancelled)
    }

    @Test func anOnlineRefundIsPutToTheProviderWithTheAvailableAmount() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 1_000))
        let browser = harness.app.browser()
        _ = try harness.startCheckout(charge, browser: browser)
        let remote = try #require(fake.payments.first)
        fake.complete(remote.id, as: .success)
        _ = try browser.get(try #require(charge.payPath) + "/return")
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let path = "/api/v1/staff/payments/\(charge.paymentID)/refunds"
        #expect(
            try supervisor.post(path, Self.refundBody(400, available: 1_000)).jsonObject?["state"] as? String
                == "succeeded")
        #expect(fake.payment(remote.id)?.refunded == 400)
        let refundRequests = fake.requestBodies.filter { $0.path.hasSuffix("/refunds") }
        let sent = try JSONSerialization.jsonObject(with: try #require(refundRequests.last).body) as? [String: Int]
        #expect(sent == ["amount": 400, "refund_amount_available": 1_000])
        // Someone refunded at the provider's back office: our next refund is refused there, not paid twice.
        fake.complete(remote.id, as: .success)
        _ = try refundAtTheProviderDirectly(fake, remote.id, amount: 100, available: 600)
        let refused = try supervisor.post(path, Self.refundBody(600, available: 600))
        #expect(refused.jsonObject?["state"] as? String == "failed")
        #expect(fake.payment(remote.id)?.refunded == 500)
    }
}

/// A refund made at the provider directly, behind Madoguchi's back.
func refundAtTheProviderDirectly(_ fake: FakePaymentProvider, _ id: String, amount: Int, available: Int) throws -> Int {
    let settings = HostedProviderSettings(
        apiBase: fake.baseURL, apiKey: PaymentSecret(fake.apiKey), webhookSecret: PaymentSecret(fake.webhookSecret),
        publicBase: "http://127.0.0.1")
    let outcome = try HostedCheckoutProvider(settings: settings).refund(
        reference: id, amountYen: amount, availableYen: available)
    return outcome == .availableMismatch ? 412 : 202
}
