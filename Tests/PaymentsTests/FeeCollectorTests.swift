import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// The fee-collection protocol as a charging module uses it, inside its own write.
@Suite struct FeeCollectorTests {
    @Test func theSameKeyReturnsTheFirstFeeAndMakesNothingNew() throws {
        let harness = try PaymentsHarness()
        let first = try harness.requestFee(PaymentsHarness.feeRequest(key: "certificate-request-42"))
        let again = try harness.requestFee(PaymentsHarness.feeRequest(key: "certificate-request-42"))
        #expect(first == again)
        #expect(try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payments", as: Int.self) } == 1)
        #expect(try harness.events(first.paymentID).count == 1)
    }

    @Test func theSameKeyWithADifferentAmountOrSubjectIs409() throws {
        let harness = try PaymentsHarness()
        _ = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1, amountYen: 300, key: "k-1"))
        for changed in [
            PaymentsHarness.feeRequest(subjectID: 1, amountYen: 600, key: "k-1"),
            PaymentsHarness.feeRequest(subjectID: 2, amountYen: 300, key: "k-1"),
        ] {
            #expect(throws: PaymentRefused.idempotencyConflict) { try harness.requestFee(changed) }
        }
        #expect(PaymentRefused.idempotencyConflict.status == 409)
        // The same key in another module is another fee.
        _ = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1, key: "k-1", module: "other"))
        #expect(try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payments", as: Int.self) } == 2)
    }

    @Test(arguments: [0, -1, 10_000_001, Int.min])
    func anAmountOutsideOneToTenMillionYenIs422NamingTheField(amount: Int) throws {
        let harness = try PaymentsHarness()
        let error = try #require(
            throws: PaymentRefused.self,
            performing: {
                try harness.requestFee(PaymentsHarness.feeRequest(amountYen: amount))
            })
        #expect(error.status == 422)
        guard case .invalidField(let field, let message) = error else {
            Issue.record("not a field error: \(error)")
            return
        }
        #expect(field == "amount_yen")
        #expect(message.contains("amount_yen"))
        #expect(try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payments", as: Int.self) } == 0)
    }

    @Test(arguments: [1, 10_000_000])
    func theLimitsThemselvesAreAccepted(amount: Int) throws {
        let harness = try PaymentsHarness()
        #expect(try harness.requestFee(PaymentsHarness.feeRequest(amountYen: amount)).amountYen == amount)
    }

    @Test func anUnknownPurposeIsRefusedNamingTheField() throws {
        let harness = try PaymentsHarness()
        var request = PaymentsHarness.feeRequest()
        request.purpose = FeePurpose(rawValue: "no_such_purpose")
        #expect(throws: PaymentRefused.invalidField(field: "purpose", message: "purpose が登録されていない用途です。")) {
            try harness.requestFee(request)
        }
    }

    @Test func aCallerWriteThatFailsAfterRequestingLeavesNoFee() throws {
        let harness = try PaymentsHarness()
        let collector: any FeeCollector = harness.module
        struct CallerFailed: Error {}
        #expect(throws: CallerFailed.self) {
            try harness.app.database.write { connection in
                _ = try collector.requestFee(PaymentsHarness.feeRequest(), at: Date(), on: connection)
                throw CallerFailed()
            }
        }
        #expect(try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payments", as: Int.self) } == 0)
    }

    @Test func feesListsTheSubjectsFeesOldestFirst() throws {
        let harness = try PaymentsHarness()
        let first = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 7, key: "a"))
        let second = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 7, amountYen: 200, key: "b"))
        _ = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 8, key: "c"))
        let collector: any FeeCollector = harness.module
        let fees = try harness.app.database.read {
            try collector.fees(for: FeeSubject(module: "testfees", id: 7), on: $0)
        }
        #expect(fees == [first, second])
    }

    @Test func cancelOrRefundCancelsWhatIsUnpaidAndRecordsAFullRefundOfWhatWasPaid() throws {
        let harness = try PaymentsHarness()
        let staffID = try Fixtures.makeStaff(harness.app.database, loginID: "kaikei", role: .supervisor)
        let unpaid = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 5, key: "unpaid"))
        let paid = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 5, amountYen: 450, key: "paid"))
        try harness.payInSandbox(paid, outcome: "pay")
        let collector: any FeeCollector = harness.module
        let now = harness.app.clock.now()
        try harness.app.database.write {
            try collector.cancelOrRefundFees(
                for: FeeSubject(module: "testfees", id: 5), reason: "請求の却下", staffID: staffID, at: now, on: $0)
        }
        #expect(try harness.payment(unpaid.paymentID).state == .cancelled)
        let refunds = try harness.app.database.read {
            try $0.query("SELECT amount_yen, state, staff_id FROM payment_refunds WHERE payment_id = ?", paid.paymentID)
        }
        #expect(refunds.count == 1)
        #expect(try refunds.first?.get("amount_yen", as: Int.self) == 450)
        #expect(try refunds.first?.get("state", as: String.self) == "submitted")
        let audit = try Fixtures.auditRecords(harness.app.database).filter { $0.action == "payment.refund" }
        #expect(audit.count == 1)
        #expect(audit.first?.actorID == String(staffID))
    }
}
