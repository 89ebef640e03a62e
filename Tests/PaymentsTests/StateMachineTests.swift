import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// Every legal and illegal move of the payment state machine, on the stored payment.
@Suite struct StateMachineTests {
    static let legal: [PaymentState: Set<PaymentState>] = [
        .created: [.authorized, .captured, .failed, .cancelled, .expired],
        .authorized: [.captured, .failed, .cancelled, .expired],
        .captured: [.settled],
        .settled: [], .failed: [], .cancelled: [], .expired: [],
    ]

    /// The moves that bring a fresh payment to `state`.
    static let route: [PaymentState: [PaymentState]] = [
        .created: [], .authorized: [.authorized], .captured: [.authorized, .captured],
        .settled: [.authorized, .captured, .settled], .failed: [.failed], .cancelled: [.cancelled],
        .expired: [.expired],
    ]

    @Test func finishedIsTrueExactlyForTheStatesNothingFollows() {
        for state in PaymentState.allCases {
            #expect(state.finished == ![.created, .authorized].contains(state), "\(state)")
        }
    }

    @Test(arguments: PaymentState.allCases)
    func fromEachStateOnlyTheLegalMovesSucceed(from: PaymentState) throws {
        let harness = try PaymentsHarness()
        for (index, target) in PaymentState.allCases.enumerated() {
            let charge = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: Int64(index + 1)))
            for step in Self.route[from]! {
                _ = try harness.workflow.move(paymentID: charge.paymentID, to: step, actor: .system, at: Date())
            }
            let eventsBefore = try harness.events(charge.paymentID).count
            if Self.legal[from]!.contains(target) {
                let moved = try harness.workflow.move(
                    paymentID: charge.paymentID, to: target, actor: .staff(id: 0), at: Date())
                #expect(moved.state == target)
                let last = try #require(try harness.events(charge.paymentID).last)
                #expect(last.from == from && last.to == target)
            } else {
                let error = try #require(
                    throws: PaymentRefused.self,
                    performing: {
                        try harness.workflow.move(paymentID: charge.paymentID, to: target, actor: .system, at: Date())
                    })
                #expect(error == .illegalTransition(from: from, to: target))
                #expect(error.status == 409)
                #expect(error.message.contains(from.rawValue))
                #expect(try harness.payment(charge.paymentID).state == from)
                #expect(try harness.events(charge.paymentID).count == eventsBefore)
            }
        }
    }

    @Test func aProviderReportOfCapturedOnACreatedPaymentRecordsTheAuthorizationToo() {
        #expect(PaymentWorkflow.path(from: .created, to: .captured) == [.authorized, .captured])
        #expect(PaymentWorkflow.path(from: .created, to: .settled) == [.authorized, .captured, .settled])
        #expect(PaymentWorkflow.path(from: .captured, to: .authorized) == [])
        #expect(PaymentWorkflow.path(from: .expired, to: .captured) == [])
    }

    @Test func paymentEventsRefuseUpdatesAndDeletes() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        #expect(throws: SQLiteError.self) {
            try harness.app.database.write { try $0.run("UPDATE payment_events SET to_state = 'captured'") }
        }
        #expect(throws: SQLiteError.self) {
            try harness.app.database.write { try $0.run("DELETE FROM payment_events") }
        }
        #expect(try harness.events(charge.paymentID).map(\.to) == [.created])
    }
}
