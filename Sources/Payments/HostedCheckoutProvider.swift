import Cryptography
import Foundation
import HTTP
import HTTPClient

/// A secret read from a file; its description is redacted so it never reaches a log line or an error.
public struct PaymentSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    public init(_ value: String) { self.value = value }

    var bytes: [UInt8] { Array(value.utf8) }
    public var description: String { "PaymentSecret(redacted)" }
    public var debugDescription: String { description }
}

/// Where the hosted-checkout provider is and how to talk to it, from the environment like the LINE settings:
/// secrets in files the variables name (a systemd credential or a 0640 file), never in the environment.
public struct HostedProviderSettings: Sendable {
    public static let apiBaseVariable = "MADOGUCHI_PAYMENT_API_BASE"
    public static let apiKeyFileVariable = "MADOGUCHI_PAYMENT_API_KEY_FILE"
    public static let webhookSecretFileVariable = "MADOGUCHI_PAYMENT_WEBHOOK_SECRET_FILE"
    /// The public address of this site (`https://madoguchi.example.jp`): the provider sends the payer back here.
    public static let publicBaseVariable = "MADOGUCHI_PUBLIC_BASE_URL"

    public var apiBase: String
    public var apiKey: PaymentSecret
    public var webhookSecret: PaymentSecret
    public var publicBase: String
    /// A provider slower than this leaves the payment `created`; the status fetch decides later.
    public var timeoutMilliseconds = 10_000

    public init(apiBase: String, apiKey: PaymentSecret, webhookSecret: PaymentSecret, publicBase: String) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.apiKey = apiKey
        self.webhookSecret = webhookSecret
        self.publicBase = publicBase.hasSuffix("/") ? String(publicBase.dropLast()) : publicBase
    }

    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public let variable: String
        public let reason: String
        public var description: String { "\(variable): \(reason)" }
    }

    /// Nil when `MADOGUCHI_PAYMENT_API_BASE` is unset (the sandbox is the provider then). Set, every other
    /// variable must be set too; errors name the variable, never a secret.
    public static func fromEnvironment(_ environment: [String: String]) throws -> HostedProviderSettings? {
        guard let apiBase = environment[apiBaseVariable], !apiBase.isEmpty else { return nil }
        guard apiBase.hasPrefix("https://") || apiBase.hasPrefix("http://127.0.0.1") else {
            throw ReadError(variable: apiBaseVariable, reason: "must be an https:// URL")
        }
        guard let publicBase = environment[publicBaseVariable], publicBase.hasPrefix("http") else {
            throw ReadError(variable: publicBaseVariable, reason: "not set; the provider needs it to send payers back")
        }
        return HostedProviderSettings(
            apiBase: apiBase, apiKey: PaymentSecret(try readFile(apiKeyFileVariable, environment)),
            webhookSecret: PaymentSecret(try readFile(webhookSecretFileVariable, environment)),
            publicBase: publicBase)
    }

    static func readFile(_ variable: String, _ environment: [String: String]) throws -> String {
        guard let path = environment[variable], !path.isEmpty else {
            throw ReadError(variable: variable, reason: "not set; it must name a file holding the value")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(variable: variable, reason: "cannot read \(path)")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, !value.contains(where: \.isNewline) else {
            throw ReadError(variable: variable, reason: "\(path) must hold exactly one non-empty line")
        }
        return value
    }
}

/// A hosted-checkout provider in GOV.UK Pay's shape (its public API, `Tests/PaymentsTests/Fixtures/govuk-pay`),
/// over libcurl: `POST /v1/payments` → `_links.next_url` → the payer returns → `GET /v1/payments/{id}`.
/// Amounts are integer yen where GOV.UK Pay has pence: both are the currency's smallest unit.
public struct HostedCheckoutProvider: WebhookSigningProvider {
    public static let providerName = "hosted"
    public var name: String { Self.providerName }

    public let settings: HostedProviderSettings

    public init(settings: HostedProviderSettings) {
        self.settings = settings
    }

    // MARK: Requests

    struct CreateBody: Encodable {
        let amount: Int
        let description: String
        let reference: String
        let returnURL: String
        let language = "en"

        enum CodingKeys: String, CodingKey {
            case amount, description, reference, language
            case returnURL = "return_url"
        }
    }

    /// The request `createCheckout` sends, for the spec test.
    func createRequest(_ request: CheckoutRequest) throws -> (url: String, headers: [(String, String)], body: Data) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(
            CreateBody(
                amount: request.amountYen, description: String(request.description.prefix(255)),
                reference: request.reference, returnURL: settings.publicBase + request.returnPath))
        return (settings.apiBase + "/v1/payments", headers(json: true), body)
    }

    func headers(json: Bool) -> [(String, String)] {
        var headers = [("Authorization", "Bearer \(settings.apiKey.value)"), ("Accept", "application/json")]
        if json { headers.append(("Content-Type", "application/json")) }
        return headers
    }

    public func createCheckout(_ request: CheckoutRequest) throws -> ProviderCheckout {
        let (url, headers, body) = try createRequest(request)
        let response = try perform("POST", url, headers: headers, body: body)
        guard response.status == 201, let payment = Self.decodePayment(response.body),
            let reference = payment.paymentID, let next = payment.links?.nextURL?.href
        else { throw ProviderUnavailable(provider: name, reason: "create answered \(response.status)") }
        return ProviderCheckout(reference: reference, nextURL: next)
    }

    public func fetchStatus(reference: String) throws -> ProviderStatus {
        guard Self.isReference(reference) else { throw ProviderUnavailable(provider: name, reason: "bad reference") }
        let response = try perform("GET", settings.apiBase + "/v1/payments/" + reference, headers: headers(json: false))
        guard response.status == 200, let payment = Self.decodePayment(response.body), let state = payment.state
        else { throw ProviderUnavailable(provider: name, reason: "status answered \(response.status)") }
        return Self.status(of: state, settled: payment.settlementSummary?.settledDate != nil, next: payment.links)
    }

    struct RefundBody: Encodable {
        let amount: Int
        let refundAmountAvailable: Int
        enum CodingKeys: String, CodingKey {
            case amount
            case refundAmountAvailable = "refund_amount_available"
        }
    }

    struct RefundAnswer: Decodable {
        let refundID: String?
        let status: String?
        enum CodingKeys: String, CodingKey {
            case refundID = "refund_id"
            case status
        }
    }

    public func refund(reference: String, amountYen: Int, availableYen: Int) throws -> ProviderRefundOutcome {
        guard Self.isReference(reference) else { throw ProviderUnavailable(provider: name, reason: "bad reference") }
        let body = try JSONEncoder().encode(RefundBody(amount: amountYen, refundAmountAvailable: availableYen))
        let response = try perform(
            "POST", settings.apiBase + "/v1/payments/\(reference)/refunds", headers: headers(json: true), body: body)
        switch response.status {
        case 200, 202:
            let answer = try? JSONDecoder().decode(RefundAnswer.self, from: response.body)
            switch answer?.status {
            case "success": return .succeeded(reference: answer?.refundID)
            case "error": return .refused
            default: return .submitted(reference: answer?.refundID)
            }
        case 412: return .availableMismatch
        case 400, 404, 422: return .refused
        default: throw ProviderUnavailable(provider: name, reason: "refund answered \(response.status)")
        }
    }

    func perform(_ method: String, _ url: String, headers: [(String, String)], body: Data? = nil) throws
        -> EasyHandle.Response
    {
        do {
            return try EasyHandle().perform(
                method: method, url: url, headers: headers, body: body,
                timeoutMilliseconds: settings.timeoutMilliseconds)
        } catch let error as EasyHandle.CurlError {
            throw ProviderUnavailable(provider: name, reason: error.isTimeout ? "timeout" : "curl \(error.code)")
        }
    }

    /// GOV.UK Pay's ids are 26 lowercase alphanumerics; anything URL-safe and short is accepted here.
    static func isReference(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95
            }
    }

    // MARK: Answers

    struct Link: Decodable {
        let href: String?
    }

    struct Links: Decodable {
        let nextURL: Link?
        enum CodingKeys: String, CodingKey { case nextURL = "next_url" }
    }

    struct State: Decodable, Equatable {
        let status: String
        let finished: Bool?
        let code: String?
    }

    struct SettlementSummary: Decodable {
        let settledDate: String?
        enum CodingKeys: String, CodingKey { case settledDate = "settled_date" }
    }

    struct Payment: Decodable {
        let paymentID: String?
        let amount: Int?
        let state: State?
        let links: Links?
        let settlementSummary: SettlementSummary?

        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id"
            case amount, state
            case links = "_links"
            case settlementSummary = "settlement_summary"
        }
    }

    static func decodePayment(_ data: Data) -> Payment? { try? JSONDecoder().decode(Payment.self, from: data) }

    /// GOV.UK Pay's statuses in the ledger's terms. `P0020` is its code for a session that expired.
    static func status(of state: State, settled: Bool, next: Links?) -> ProviderStatus {
        switch state.status {
        case "created", "started", "submitted":
            return ProviderStatus(state: .created, nextURL: next?.nextURL?.href)
        case "capturable": return ProviderStatus(state: .authorized, method: .creditCard)
        case "success": return ProviderStatus(state: settled ? .settled : .captured, method: .creditCard)
        case "cancelled": return ProviderStatus(state: .cancelled)
        case "failed" where state.code == "P0020": return ProviderStatus(state: .expired)
        default: return ProviderStatus(state: .failed)
        }
    }

    // MARK: Webhooks

    public var webhookSecret: PaymentSecret { settings.webhookSecret }
    /// GOV.UK Pay's header: lowercase hex HMAC-SHA256 of the body under the webhook's signing secret.
    public var signatureHeader: String { "pay-signature" }

    struct WebhookMessage: Decodable {
        let webhookMessageID: String
        let createdDate: String
        let resourceID: String
        let resource: Payment?

        enum CodingKeys: String, CodingKey {
            case webhookMessageID = "webhook_message_id"
            case createdDate = "created_date"
            case resourceID = "resource_id"
            case resource
        }
    }

    public func webhookEvent(from body: Data) -> ProviderWebhookEvent? {
        guard let message = try? JSONDecoder().decode(WebhookMessage.self, from: body),
            (1...255).contains(message.webhookMessageID.utf8.count), Self.isReference(message.resourceID),
            let createdAt = Self.parseDate(message.createdDate), let state = message.resource?.state
        else { return nil }
        return ProviderWebhookEvent(
            eventID: message.webhookMessageID, createdAt: createdAt, reference: message.resourceID,
            status: Self.status(
                of: state, settled: message.resource?.settlementSummary?.settledDate != nil, next: nil))
    }

    /// ISO 8601 with or without fractional seconds, as GOV.UK Pay writes `created_date`.
    static func parseDate(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }
}
