import Foundation
import HTTP

/// What Madoguchi asks a provider for when the payer starts paying: a hosted checkout for this amount.
public struct CheckoutRequest: Sendable, Equatable {
    public let paymentID: Int64
    public let amountYen: Int
    /// 但し書き, shown on the provider's page; no personal data.
    public let description: String
    /// Our reference for the payment (GOV.UK Pay's `reference`).
    public let reference: String
    /// Where the provider sends the payer back: a path on this server, made absolute by the provider adapter.
    public let returnPath: String
}

/// A checkout the provider made: its id for the payment and the page the payer goes to (GOV.UK Pay's
/// `payment_id` and `_links.next_url`).
public struct ProviderCheckout: Sendable, Equatable {
    public let reference: String
    public let nextURL: String

    public init(reference: String, nextURL: String) {
        self.reference = reference
        self.nextURL = nextURL
    }
}

/// What the provider says about a payment, in the ledger's terms.
public struct ProviderStatus: Sendable, Equatable {
    public let state: PaymentState
    public let method: PaymentMethod?
    /// Where the payer can still complete the checkout, while it is in progress.
    public let nextURL: String?

    public init(state: PaymentState, method: PaymentMethod? = nil, nextURL: String? = nil) {
        self.state = state
        self.method = method
        self.nextURL = nextURL
    }
}

/// A provider that could not be reached or answered nonsense. The payment stays as it was (a timeout leaves
/// it `created`, never `failed`); the status fetch decides later.
public struct ProviderUnavailable: HTTPResponseError, Sendable, Equatable {
    public let provider: String
    public let reason: String

    public init(provider: String, reason: String) {
        self.provider = provider
        self.reason = reason
    }

    public var status: Int { 503 }
    public var code: String { "payment_provider_unavailable" }
    public var message: String {
        "決済サービスに接続できませんでした。お支払いはまだ完了していません。しばらくしてからもう一度お試しください。"
    }
}

/// A hosted-checkout payment provider. Card data is typed on the provider's page only; Madoguchi sees
/// references and states.
public protocol PaymentProvider: Sendable {
    /// The provider's name in `payments.provider` and in `/payments/webhook/<name>`.
    var name: String { get }
    /// Makes a checkout. Runs outside any write: it may wait on the network.
    func createCheckout(_ request: CheckoutRequest) throws -> ProviderCheckout
    /// The provider's view of a payment, by its reference.
    func fetchStatus(reference: String) throws -> ProviderStatus
    /// Refunds `amountYen` of a captured payment, stating what we believe is still refundable there
    /// (GOV.UK Pay's `refund_amount_available`), so a second attempt after a lost answer is refused (412)
    /// instead of paying out twice.
    func refund(reference: String, amountYen: Int, availableYen: Int) throws -> ProviderRefundOutcome
}

/// What the provider said to a refund.
public enum ProviderRefundOutcome: Sendable, Equatable {
    case succeeded(reference: String?)
    /// Accepted, still on its way; a later status decides.
    case submitted(reference: String?)
    case refused
    /// The provider's refundable amount is not what we stated: someone refunded meanwhile.
    case availableMismatch
}

/// A provider's webhook call, read from its (already verified) body.
public struct ProviderWebhookEvent: Sendable, Equatable {
    /// The provider's id for this message: a second delivery of it changes nothing.
    public let eventID: String
    /// When the provider made the message; outside the replay window it is refused.
    public let createdAt: Date
    /// The provider's reference of the payment it is about.
    public let reference: String
    public let status: ProviderStatus

    public init(eventID: String, createdAt: Date, reference: String, status: ProviderStatus) {
        self.eventID = eventID
        self.createdAt = createdAt
        self.reference = reference
        self.status = status
    }
}

/// A provider that signs webhooks: HMAC-SHA256 over the raw body with a shared secret.
public protocol WebhookSigningProvider: PaymentProvider {
    var webhookSecret: PaymentSecret { get }
    /// The request header carrying the hex signature.
    var signatureHeader: String { get }
    func webhookEvent(from body: Data) -> ProviderWebhookEvent?
}
