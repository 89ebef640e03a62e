import Foundation
import Store

// How a module that charges a fee (certificates per copy, a procedure's fee, a facility charge) and the module
// that takes payments meet without importing each other. Payments implements `FeeCollector`; a module that
// charges implements `FeeSubjectHandler` for its own records; App passes the collector to the charging module
// and the handlers to Payments (docs/modules.md, "Small protocols that App wires").
//
// Every call runs inside the caller's write transaction (`on connection`), so a request and its fee commit
// together or not at all: a double submit that makes one certificate request makes one fee. Nothing here
// talks to a payment provider; the provider's checkout starts when the payer follows `payPath`.

/// What a fee is for, as the 会計 ledger groups it (日計表 by purpose). Codes are data: lowercase ASCII.
public struct FeePurpose: RawRepresentable, Hashable, Sendable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// 証明書手数料
    public static let certificateFee = FeePurpose(rawValue: "certificate_fee")
    /// 手続手数料
    public static let procedureFee = FeePurpose(rawValue: "procedure_fee")
    /// 施設使用料
    public static let facilityFee = FeePurpose(rawValue: "facility_fee")
}

/// The record a fee pays for, in the module that owns it: `FeeSubject(module: "certificates", id: 42)`.
public struct FeeSubject: Hashable, Sendable, Codable {
    /// The owning module's `ServiceModule.name`.
    public let module: String
    public let id: Int64
    public init(module: String, id: Int64) {
        self.module = module
        self.id = id
    }
}

/// Who pays: a signed-in resident, or a guest known only by the reference on their completion page.
public enum FeePayer: Hashable, Sendable {
    case resident(id: Int64)
    case guest(reference: String)
}

/// A fee the charging module asks for.
public struct FeeRequest: Sendable, Equatable {
    public var purpose: FeePurpose
    public var subject: FeeSubject
    public var payer: FeePayer
    /// Integer yen, 1 … 10,000,000.
    public var amountYen: Int
    /// 但し書き on the receipt, without personal data: 「住民票の写し 2通」.
    public var description: String
    /// Unique per fee within the subject's module, so a retried call finds the fee it already made instead of
    /// making a second (for example `"certificate-request-42"`).
    public var idempotencyKey: String
    /// Where the payer goes after the checkout, a path on this server (`/certificates/42`).
    public var returnPath: String

    public init(
        purpose: FeePurpose, subject: FeeSubject, payer: FeePayer, amountYen: Int, description: String,
        idempotencyKey: String, returnPath: String
    ) {
        self.purpose = purpose
        self.subject = subject
        self.payer = payer
        self.amountYen = amountYen
        self.description = description
        self.idempotencyKey = idempotencyKey
        self.returnPath = returnPath
    }
}

/// A fee as the charging module sees it: enough to show 「未払い／支払済み」 and a pay link, never the
/// payment's internals.
public struct FeeCharge: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Created or authorized: not yet money the town holds.
        case awaitingPayment = "awaiting_payment"
        /// Captured or settled.
        case paid
        case failed
        case cancelled
        case expired
        /// Paid, then refunded in full.
        case refunded
    }

    public var paymentID: Int64
    public var subject: FeeSubject
    public var amountYen: Int
    /// Captured minus refunded, in yen.
    public var netPaidYen: Int
    public var state: State
    /// The page where the payer pays online (a path on this server); nil once nothing is left to pay.
    public var payPath: String?

    public init(
        paymentID: Int64, subject: FeeSubject, amountYen: Int, netPaidYen: Int, state: State, payPath: String?
    ) {
        self.paymentID = paymentID
        self.subject = subject
        self.amountYen = amountYen
        self.netPaidYen = netPaidYen
        self.state = state
        self.payPath = payPath
    }
}

/// Implemented by the payments module.
public protocol FeeCollector: Sendable {
    /// Records a fee for `request.subject`, awaiting online payment. Called again with the same
    /// `idempotencyKey`, it returns the fee it made the first time and makes nothing new; with the same key and
    /// a different amount or subject it throws.
    func requestFee(_ request: FeeRequest, at time: Date, on connection: Connection) throws -> FeeCharge

    /// The subject's fees, oldest first.
    func fees(for subject: FeeSubject, on connection: Connection) throws -> [FeeCharge]

    /// Cancels the subject's fees that are still awaiting payment and refunds, in full, those already paid
    /// (a rejected certificate request). The refund is recorded in this transaction; the provider is asked
    /// afterwards. `staffID` is who decided it, for the audit log.
    func cancelOrRefundFees(
        for subject: FeeSubject, reason: String, staffID: Int64, at time: Date, on connection: Connection
    ) throws
}

/// Implemented by each module that charges fees, for its own records. Payments calls it inside the write that
/// changes a fee's state (a capture from a webhook, a counter payment, a refund), so the subject's own state
/// (a certificate request moving to 支払済み) commits with the payment.
public protocol FeeSubjectHandler: Sendable {
    /// The module whose subjects this handles: its `ServiceModule.name`.
    var module: String { get }
    func feeChanged(_ charge: FeeCharge, at time: Date, on connection: Connection) throws
}
