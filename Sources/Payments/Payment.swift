import Foundation
import HTTP
import ServiceKit

/// Where a payment is in its life. The raw value is what is stored.
///
///     created -> authorized -> captured -> settled
///     created | authorized -> failed | cancelled | expired
public enum PaymentState: String, Sendable, CaseIterable, Codable {
    /// Recorded, waiting for the payer to complete the provider's checkout.
    case created
    /// The provider holds the money but has not taken it yet.
    case authorized
    /// Money taken: from here on it is the town's (minus refunds).
    case captured
    /// The provider paid it out to the town's account (from its settlement report).
    case settled
    case failed
    /// Abandoned at the checkout, or cancelled by staff before it was paid.
    case cancelled
    /// An unpaid checkout after `PaymentRules.checkoutLifetime`.
    case expired

    /// As GOV.UK Pay's `state.finished`: nothing more will happen to the payment itself (refunds live beside it).
    public var finished: Bool {
        switch self {
        case .created, .authorized: false
        case .captured, .settled, .failed, .cancelled, .expired: true
        }
    }

    /// The town holds the money.
    public var isPaid: Bool { self == .captured || self == .settled }

    /// The states this one may move to.
    public var successors: [PaymentState] {
        switch self {
        case .created: [.authorized, .captured, .failed, .cancelled, .expired]
        case .authorized: [.captured, .failed, .cancelled, .expired]
        case .captured: [.settled]
        case .settled, .failed, .cancelled, .expired: []
        }
    }

    public func canMove(to next: PaymentState) -> Bool { successors.contains(next) }

    public var label: String {
        switch self {
        case .created: "お支払い待ち"
        case .authorized: "決済処理中"
        case .captured: "支払済み"
        case .settled: "支払済み（入金確認済み）"
        case .failed: "決済できませんでした"
        case .cancelled: "取消し"
        case .expired: "期限切れ"
        }
    }
}

/// How the payer paid. Codes are the usage events' `subjectCode` (COMMON18 shared contracts).
public enum PaymentMethod: String, Sendable, CaseIterable, Codable {
    case creditCard = "credit_card"
    case qrCode = "qr_code"
    case eMoney = "e_money"
    case accountTransfer = "account_transfer"
    case convenienceStore = "convenience_store"
    /// 窓口現金
    case cash
    /// The counter's card terminal.
    case cardTerminal = "card_terminal"

    public var label: String {
        switch self {
        case .creditCard: "クレジットカード"
        case .qrCode: "QRコード決済"
        case .eMoney: "電子マネー"
        case .accountTransfer: "口座振替"
        case .convenienceStore: "コンビニ払い"
        case .cash: "窓口現金"
        case .cardTerminal: "カード端末（窓口）"
        }
    }

    /// The methods a payer can choose at an online checkout.
    public static let online: [PaymentMethod] = [.creditCard, .qrCode, .eMoney]
}

/// Who acted on a payment, as its events record it.
public enum PaymentActor: Sendable, Equatable {
    case resident(id: Int64)
    case guest
    case staff(id: Int64)
    case system
    /// A status fetch from the named provider.
    case provider(name: String)
    /// A webhook event, by the provider's event id.
    case webhook(eventID: String)

    var columns: (type: String, id: Int64?, reference: String?) {
        switch self {
        case .resident(let id): ("resident", id, nil)
        case .guest: ("guest", nil, nil)
        case .staff(let id): ("staff", id, nil)
        case .system: ("system", nil, nil)
        case .provider(let name): ("provider", nil, name)
        case .webhook(let eventID): ("webhook", nil, eventID)
        }
    }
}

/// One stored payment.
public struct StoredPayment: Sendable, Equatable {
    public let id: Int64
    public let purpose: FeePurpose
    public let subject: FeeSubject
    public let payer: FeePayer
    public let amountYen: Int
    public let description: String
    public let method: PaymentMethod?
    public let channel: String
    public let provider: String
    public let providerReference: String?
    public let state: PaymentState
    public let returnPath: String
    public let idempotencyKey: String
    public let requestDigest: String
    public let checkoutToken: String
    public let createdAt: Date
    public let updatedAt: Date
    public let expiresAt: Date
    public let capturedAt: Date?
    public let settledAt: Date?
    /// At the counter: who took it, and for cash what was handed over and the change.
    public var receivedByStaffID: Int64? = nil
    public var cashReceivedYen: Int? = nil
    public var changeYen: Int? = nil

    public var payPath: String { "/payments/\(checkoutToken)" }

    /// Not paid and past its checkout lifetime.
    public func isOverdue(at time: Date) -> Bool { !state.finished && time >= expiresAt }
}

/// One row of a payment's history.
public struct PaymentEvent: Sendable, Equatable {
    public let id: Int64
    public let paymentID: Int64
    public let at: Date
    public let from: PaymentState?
    public let to: PaymentState
    public let actorType: String
    public let actorID: Int64?
    public let actorReference: String?
    public let note: String?
}

/// The fixed rules of the ledger.
public enum PaymentRules {
    public static let amountRange = 1...10_000_000
    /// An unpaid checkout expires after 90 minutes (GOV.UK Pay's session lifetime).
    public static let checkoutLifetime: TimeInterval = 90 * 60
    public static let descriptionLength = 1...200

    /// The field errors of an amount, naming the field as the caller sent it.
    public static func checkAmount(_ amount: Int, field: String = "amount_yen") throws {
        guard amountRange.contains(amount) else {
            throw PaymentRefused.invalidField(
                field: field, message: "\(field) は 1 円以上 10,000,000 円以下の整数で指定してください。")
        }
    }
}

/// Why a payment step was refused. It answers for itself, the same way from the pages and the JSON API.
public enum PaymentRefused: HTTPResponseError, Equatable, Sendable {
    case notFound
    /// The move is not allowed from where the payment is; the current state is in the message and `code`.
    case illegalTransition(from: PaymentState, to: PaymentState)
    /// The same idempotency key came with a different request.
    case idempotencyConflict
    /// A value the rules refuse (422); the field is named.
    case invalidField(field: String, message: String)
    /// The caller's `refund_amount_available` is not what is left to refund: someone refunded meanwhile.
    case refundAmountAvailableMismatch(available: Int)
    /// Only money the town holds can be refunded.
    case notRefundable(PaymentState)

    public var status: Int {
        switch self {
        case .notFound: HTTPError.notFound.status
        case .illegalTransition, .idempotencyConflict, .notRefundable: 409
        case .invalidField: 422
        case .refundAmountAvailableMismatch: 412
        }
    }

    public var code: String {
        switch self {
        case .notFound: HTTPError.notFound.code
        case .illegalTransition: "illegal_transition"
        case .idempotencyConflict: "idempotency_key_reused"
        case .invalidField(let field, _): "invalid_\(field)"
        case .refundAmountAvailableMismatch: "refund_amount_available_mismatch"
        case .notRefundable: "not_refundable"
        }
    }

    public var message: String {
        switch self {
        case .notFound: HTTPError.notFound.message
        case .illegalTransition(let from, let to):
            "この支払いは現在「\(from.label)」（\(from.rawValue)）のため、\(to.rawValue) にはできません。"
        case .idempotencyConflict: "同じ Idempotency-Key で異なる内容の依頼がありました。"
        case .invalidField(_, let message): message
        case .refundAmountAvailableMismatch(let available):
            "返金可能額が変わっています（現在 \(available) 円）。画面を更新してからもう一度操作してください。"
        case .notRefundable(let state):
            "この支払いは現在「\(state.label)」（\(state.rawValue)）のため返金できません。"
        }
    }
}

/// One refund of a payment.
public struct StoredRefund: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        case submitted, succeeded, failed
    }

    public let id: Int64
    public let paymentID: Int64
    public let amountYen: Int
    public let state: State
    public let reason: String
    public let staffID: Int64
    public let providerReference: String?
    public let cashHandedBackYen: Int?
    public let createdAt: Date
}
