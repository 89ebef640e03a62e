import Foundation
import HTTP
import Identity
import Store

/// The payer's side: the pay page a pay link opens, the start of the provider's checkout, and the return
/// from it. The link's token is the only key, so a guest pays from their completion page without an
/// account; the page shows no personal data.
struct PaymentRoutes: RouteCollection {
    let workflow: PaymentWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/payments/:token", auth.guest(showPayment))
        routes.post("/payments/:token/checkout", maximumBodyBytes: 4096, auth.guest(startCheckout))
        // The provider sends the payer back with a GET; fetching and recording the status is a write.
        routes.get("/payments/:token/return", execution: .offloaded, returnFromCheckout)
        routes.get("/payments/:token/receipt", showReceipt)
    }

    // MARK: Handlers

    func showPayment(_ request: Request, _ form: GuestForm) throws -> Response {
        guard
            let payment = try workflow.database.read({
                try PaymentStore.fetchPayment(checkoutToken: request.parameter("token"), on: $0)
            })
        else { throw PaymentRefused.notFound }
        return PaymentPages.payment(
            payment, purposeLabel: workflow.purposes.label(payment.purpose), csrfToken: form.csrfToken
        ).response()
    }

    /// 404 until the payment is captured: there is nothing to give a receipt for. The pay link is a bearer
    /// token (forwarded, left in a shared PC's history, shown on a guest's completion page), so the 宛名 is the
    /// payer's name only for the payer signed in; anyone else holding the link gets the blank 「　様」 a
    /// counter receipt has, and writes the name by hand.
    func showReceipt(_ request: Request) throws -> Response {
        let viewer = try authentication.currentResident(request)
        let receipt = try workflow.database.read { connection -> (Receipt, String)? in
            guard
                let payment = try PaymentStore.fetchPayment(checkoutToken: request.parameter("token"), on: connection),
                let receipt = try Receipt.load(
                    payment, purposes: workflow.purposes, viewerResidentID: viewer?.id, on: connection)
            else { return nil }
            return (receipt, payment.payPath)
        }
        guard let (receipt, payPath) = receipt else { throw PaymentRefused.notFound }
        // The server's default `Cache-Control: no-store` keeps the addressee's name out of shared caches.
        return receipt.page(backPath: payPath).response()
    }

    func startCheckout(_ request: Request, _ form: GuestForm) throws -> Response {
        switch try workflow.startCheckout(
            checkoutToken: request.parameter("token"), actor: .guest, at: authentication.now())
        {
        case .redirect(let location): return .redirect(to: location)
        case .finished(let payment): return .redirect(to: payment.payPath)
        }
    }

    func returnFromCheckout(_ request: Request) throws -> Response {
        let payment = try workflow.returnFromCheckout(
            checkoutToken: request.parameter("token"), at: authentication.now())
        return .redirect(to: payment.returnPath)
    }
}

/// The sandbox provider's hosted checkout, served by Madoguchi on loopback. Mounted only when the sandbox is
/// the provider.
struct SandboxCheckoutRoutes: RouteCollection {
    let sandbox: SandboxProvider
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/payments/sandbox/:reference", auth.guest(showCheckout))
        routes.post("/payments/sandbox/:reference", maximumBodyBytes: 4096, auth.guest(completeCheckout))
    }

    func showCheckout(_ request: Request, _ form: GuestForm) throws -> Response {
        guard let checkout = try sandbox.checkout(reference: request.parameter("reference")) else {
            throw HTTPError.notFound
        }
        return PaymentPages.sandboxCheckout(checkout, csrfToken: form.csrfToken).response()
    }

    func completeCheckout(_ request: Request, _ form: GuestForm) throws -> Response {
        let fields = try request.form()
        guard let outcome = fields["outcome"].flatMap(SandboxProvider.Outcome.init(rawValue:)) else {
            throw HTTPError.badRequest("outcome を指定してください。")
        }
        // Only what an online checkout offers: cash and the card terminal are counter methods.
        let method = fields["method"].flatMap(PaymentMethod.init(rawValue:)).flatMap {
            PaymentMethod.online.contains($0) ? $0 : nil
        }
        guard
            let returnURL = try sandbox.complete(
                reference: request.parameter("reference"), outcome: outcome, method: method)
        else { throw HTTPError.notFound }
        return .redirect(to: returnURL)
    }
}
