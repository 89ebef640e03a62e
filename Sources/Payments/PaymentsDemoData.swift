import Foundation
import ServiceKit
import Store

/// What `make run` shows beside the certificates demo's certificate fees (those are real requests' fees): for the
/// demo resident, a hall's 施設使用料 paid online (with its receipt) and another awaiting payment, which a clerk can
/// take at the counter in the staff console. The town books its halls at the counter, so the booking is the
/// payment's own subject (module `payments`, the booking number as id), not another module's record. Keyed by
/// idempotency keys, so a second run adds nothing.
enum PaymentsDemoData {
    static let subjectModule = PaymentsModule.name

    static func seed(workflow: PaymentWorkflow, residentID: Int64, at now: Date) throws -> Int {
        try workflow.database.write { connection in
            var added = 0
            let fees: [(key: String, purpose: FeePurpose, amount: Int, description: String, paid: Bool)] = [
                ("hall-booking-1", .facilityFee, 2_000, "中央公民館 講堂 使用料（半日）", true),
                ("hall-booking-2", .facilityFee, 600, "町民体育館 使用料（2時間）", false),
            ]
            for (index, fee) in fees.enumerated() {
                if try PaymentStore.fetchPayment(subjectModule: subjectModule, idempotencyKey: fee.key, on: connection)
                    != nil
                {
                    continue
                }
                let payment = try workflow.requestFee(
                    FeeRequest(
                        purpose: fee.purpose, subject: FeeSubject(module: subjectModule, id: Int64(index + 1)),
                        payer: .resident(id: residentID), amountYen: fee.amount, description: fee.description,
                        idempotencyKey: fee.key, returnPath: "/mypage"),
                    at: now, on: connection)
                if fee.paid {
                    let authorized = try workflow.transition(
                        payment, to: .authorized, method: .creditCard, actor: .provider(name: payment.provider),
                        at: now, on: connection)
                    try workflow.transition(
                        authorized, to: .captured, method: .creditCard, actor: .provider(name: payment.provider),
                        at: now, on: connection)
                }
                added += 1
            }
            return added
        }
    }
}
