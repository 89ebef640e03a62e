import Foundation
import HTTP
import ServiceKit
import Store

/// A payment as the JSON API shows it, in GOV.UK Pay's shape where it has one (`state.status`,
/// `state.finished`). Written by hand on the creating route (a hot path), and Encodable so tests can compare.
struct PaymentJSON: Codable, JSONWritable, Equatable {
    struct State: Codable, JSONWritable, Equatable {
        let status: String
        let finished: Bool

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in
                writer.key("finished")
                writer.value(finished)
                writer.key("status")
                writer.value(status)
            }
        }
    }

    struct Subject: Codable, JSONWritable, Equatable {
        let module: String
        let id: Int64

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in
                writer.key("id")
                writer.value(id)
                writer.key("module")
                writer.value(module)
            }
        }
    }

    struct Payer: Codable, JSONWritable, Equatable {
        let residentID: Int64?
        let guestReference: String?

        enum CodingKeys: String, CodingKey {
            case residentID = "resident_id"
            case guestReference = "guest_reference"
        }

        func writeJSON(to writer: inout JSONWriter) {
            writer.object { writer in
                if let guestReference {
                    writer.key("guest_reference")
                    writer.value(guestReference)
                }
                if let residentID {
                    writer.key("resident_id")
                    writer.value(residentID)
                }
            }
        }
    }

    let paymentID: Int64
    let purpose: String
    let subject: Subject
    let payer: Payer
    let amountYen: Int
    let netPaidYen: Int
    let description: String
    let method: String?
    let provider: String
    let providerReference: String?
    let state: State
    let payPath: String?
    let createdAt: String
    let expiresAt: String
    let capturedAt: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case purpose, subject, payer
        case amountYen = "amount_yen"
        case netPaidYen = "net_paid_yen"
        case description, method, provider
        case providerReference = "provider_reference"
        case state
        case payPath = "pay_path"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case capturedAt = "captured_at"
    }

    init(_ payment: StoredPayment, charge: FeeCharge) {
        paymentID = payment.id
        purpose = payment.purpose.rawValue
        subject = Subject(module: payment.subject.module, id: payment.subject.id)
        switch payment.payer {
        case .resident(let id): payer = Payer(residentID: id, guestReference: nil)
        case .guest(let reference): payer = Payer(residentID: nil, guestReference: reference)
        }
        amountYen = payment.amountYen
        netPaidYen = charge.netPaidYen
        description = payment.description
        method = payment.method?.rawValue
        provider = payment.provider
        providerReference = payment.providerReference
        state = State(status: payment.state.rawValue, finished: payment.state.finished)
        payPath = charge.payPath
        createdAt = UTCTimestamp.format(payment.createdAt)
        expiresAt = UTCTimestamp.format(payment.expiresAt)
        capturedAt = payment.capturedAt.map(UTCTimestamp.format)
    }

    /// Concrete `key` and `value` calls rather than the generic `member`, which runs unspecialised from this
    /// module: type metadata looked up for every member, 37,000 instructions for this object in callgrind.
    func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("amount_yen")
            writer.value(amountYen)
            if let capturedAt {
                writer.key("captured_at")
                writer.value(capturedAt)
            }
            writer.key("created_at")
            writer.value(createdAt)
            writer.key("description")
            writer.value(description)
            writer.key("expires_at")
            writer.value(expiresAt)
            if let method {
                writer.key("method")
                writer.value(method)
            }
            writer.key("net_paid_yen")
            writer.value(netPaidYen)
            if let payPath {
                writer.key("pay_path")
                writer.value(payPath)
            }
            writer.key("payer")
            payer.writeJSON(to: &writer)
            writer.key("payment_id")
            writer.value(paymentID)
            writer.key("provider")
            writer.value(provider)
            if let providerReference {
                writer.key("provider_reference")
                writer.value(providerReference)
            }
            writer.key("purpose")
            writer.value(purpose)
            writer.key("state")
            state.writeJSON(to: &writer)
            writer.key("subject")
            subject.writeJSON(to: &writer)
        }
    }
}

/// The body of `POST /api/v1/payments`. Read by hand so an amount that is not an integer (a fraction, a
/// string) is a 422 naming `amount_yen`, as an out-of-range one is.
struct CreatePaymentBody: JSONReadable, Sendable {
    let purpose: FeePurpose
    let subject: FeeSubject
    let payer: FeePayer
    let amountYen: Int
    let description: String
    let returnPath: String

    init(json: JSONObjectReader) throws {
        purpose = FeePurpose(rawValue: try json.string("purpose"))
        let subjectObject = try json.object("subject")
        subject = FeeSubject(module: try subjectObject.string("module"), id: try subjectObject.integer("id"))
        let payerObject = try json.object("payer")
        if let residentID = try payerObject.optionalInteger("resident_id") {
            payer = .resident(id: residentID)
        } else if let reference = try payerObject.optionalString("guest_reference") {
            payer = .guest(reference: reference)
        } else {
            throw PaymentRefused.invalidField(
                field: "payer", message: "payer には resident_id か guest_reference のどちらかを指定してください。")
        }
        switch json.value("amount_yen") {
        case nil:
            throw HTTPError(status: 400, code: "missing_field", message: "必須の項目 amount_yen がありません。")
        case .integer(let value)?:
            // Int is 64-bit here; the range check refuses anything beyond the limit.
            amountYen = Int(value)
            try PaymentRules.checkAmount(amountYen)
        default:
            // 1.5, "300", 3e2: an amount in yen is a JSON integer.
            try PaymentRules.checkAmount(0)
            amountYen = 0
        }
        description = try json.string("description")
        returnPath = try json.optionalString("return_path") ?? "/"
    }
}
