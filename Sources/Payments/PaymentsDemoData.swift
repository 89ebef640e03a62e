import Foundation
import ServiceKit
import Store

/// What `make run` shows: for the demo resident, a certificate fee paid online (with its receipt) and another
/// still to pay through the sandbox checkout. Keyed by idempotency keys, so a second run adds nothing.
enum PaymentsDemoData {
    static let subjectModule = "demo"

    static func seed(workflow: PaymentWorkflow, residentID: Int64, at now: Date) throws -> Int {
        try workflow.database.write { connection in
            var added = 0
            let fees: [(key: String, purpose: FeePurpose, amount: Int, description: String, paid: Bool)] = [
                ("demo-certificate-fee", .certificateFee, 300, "住民票の写し 1通", true),
                ("demo-family-register-fee", .certificateFee, 450, "戸籍全部事項証明書 1通", false),
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
