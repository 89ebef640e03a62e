import Foundation
import ServiceKit
import Testing

@testable import Payments

/// `PaymentJSON` writes itself on the creating route (a hot path): the bytes must be JSONEncoder's with
/// sorted keys, absent optionals omitted, for every shape a payment takes.
@Suite struct PaymentJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func payment(_ payer: FeePayer, state: PaymentState, method: PaymentMethod?, reference: String?)
        -> StoredPayment
    {
        let created = Date(timeIntervalSince1970: 1_796_000_000.123)
        return StoredPayment(
            id: 42, purpose: FeePurpose(rawValue: "water_charge"), subject: FeeSubject(module: "testfees", id: 7),
            payer: payer, amountYen: 3_300, description: "水道料金 \"11月分\" \\ 改行\n/パス", method: method,
            channel: "web", provider: "sandbox", providerReference: reference, state: state, returnPath: "/",
            idempotencyKey: "k", requestDigest: String(repeating: "0", count: 64), checkoutToken: "tok",
            createdAt: created, updatedAt: created, expiresAt: created.addingTimeInterval(5_400),
            capturedAt: state.isPaid ? created.addingTimeInterval(60) : nil, settledAt: nil)
    }

    @Test(arguments: [PaymentState.created, .captured])
    func theWrittenBytesAreJSONEncoders(state: PaymentState) throws {
        for (payer, method, reference) in [
            (FeePayer.guest(reference: "W-0001"), PaymentMethod?.none, String?.none),
            (.resident(id: 5), .creditCard, "sbx-ref"),
        ] {
            let payment = Self.payment(payer, state: state, method: method, reference: reference)
            let charge = FeeCharge(
                paymentID: payment.id, subject: payment.subject, amountYen: payment.amountYen,
                netPaidYen: state.isPaid ? payment.amountYen : 0, state: state.isPaid ? .paid : .awaitingPayment,
                payPath: state.isPaid ? nil : payment.payPath)
            let json = PaymentJSON(payment, charge: charge)
            #expect(String(decoding: json.jsonData(), as: UTF8.self)
                == String(decoding: try Self.encoder.encode(json), as: UTF8.self))
        }
    }
}
