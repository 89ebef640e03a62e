import Cryptography
import Foundation
import Store

/// Madoguchi playing the provider on its own loopback server, for `make run` and the browser tests: the
/// checkout is `/payments/sandbox/<reference>` with pay / fail / abandon buttons, and its state lives in
/// `payment_sandbox_checkouts`, read back by `fetchStatus` exactly as a real provider's would be. No card
/// fields: the payer only picks a method.
public struct SandboxProvider: PaymentProvider {
    public static let providerName = "sandbox"
    public var name: String { Self.providerName }

    let database: Database
    let now: @Sendable () -> Date

    public init(database: Database, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    public static func checkoutPath(reference: String) -> String { "/payments/sandbox/\(reference)" }

    public func createCheckout(_ request: CheckoutRequest) throws -> ProviderCheckout {
        let reference = "sbx-" + SecureRandom.token(byteCount: 18)
        let checkout = PaymentStore.SandboxCheckout(
            reference: reference, amountYen: request.amountYen, description: request.description,
            returnURL: request.returnPath, state: "created", method: nil)
        let time = now()
        try database.write { try PaymentStore.insertSandboxCheckout(checkout, at: time, on: $0) }
        return ProviderCheckout(reference: reference, nextURL: Self.checkoutPath(reference: reference))
    }

    public func fetchStatus(reference: String) throws -> ProviderStatus {
        guard let checkout = try database.read({ try PaymentStore.fetchSandboxCheckout(reference: reference, on: $0) })
        else { throw ProviderUnavailable(provider: name, reason: "unknown sandbox reference") }
        let method = checkout.method.flatMap(PaymentMethod.init(rawValue:))
        switch checkout.state {
        case "success": return ProviderStatus(state: .captured, method: method)
        case "failed": return ProviderStatus(state: .failed, method: method)
        case "cancelled": return ProviderStatus(state: .cancelled)
        case "expired": return ProviderStatus(state: .expired)
        default: return ProviderStatus(state: .created, nextURL: Self.checkoutPath(reference: reference))
        }
    }

    /// The sandbox pays every refund back at once.
    public func refund(reference: String, amountYen: Int, availableYen: Int) throws -> ProviderRefundOutcome {
        .succeeded(reference: "sbx-refund-" + SecureRandom.token(byteCount: 9))
    }

    /// What the sandbox page's buttons do.
    public enum Outcome: String, Sendable, CaseIterable {
        case pay
        case fail
        case abandon
    }

    /// Completes the checkout as the payer chose and returns where the provider sends them back. A checkout
    /// older than the payment's checkout lifetime expires instead, as a real provider's session would.
    func complete(reference: String, outcome: Outcome, method: PaymentMethod?) throws -> String? {
        let time = now()
        return try database.write { connection in
            guard let checkout = try PaymentStore.fetchSandboxCheckout(reference: reference, on: connection) else {
                return nil
            }
            let created = try connection.scalar(
                "SELECT created_at FROM payment_sandbox_checkouts WHERE reference = ?", reference, as: Date.self)
            let expired = created.map { time >= $0.addingTimeInterval(PaymentRules.checkoutLifetime) } ?? false
            let chosen: String =
                switch outcome {
                case .pay: "success"
                case .fail: "failed"
                case .abandon: "cancelled"
                }
            let state = expired ? "expired" : chosen
            let chosenMethod = outcome == .abandon || expired ? nil : (method ?? .creditCard).rawValue
            _ = try PaymentStore.completeSandboxCheckout(
                reference: reference, state: state, method: chosenMethod, at: time, on: connection)
            return checkout.returnURL
        }
    }

    func checkout(reference: String) throws -> PaymentStore.SandboxCheckout? {
        try database.read { try PaymentStore.fetchSandboxCheckout(reference: reference, on: $0) }
    }
}
