import Cryptography
import Foundation
import HTTP
import Identity
import Store

/// `/api/v1/payments` for integrations holding an API token (a billing system creating 水道料金, a kiosk):
/// create with an `Idempotency-Key`, and read one back. Described in `Schemas/openapi.yaml`.
struct PaymentAPIRoutes: RouteCollection {
    static let createScope = "payments:create"
    static let readScope = "payments:read"

    let workflow: PaymentWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        // Inline with a deferred answer: the token check only reads, and the creation, with the token's last use
        // when due, is one queued write that no thread waits for.
        routes.post("/api/v1/payments", maximumBodyBytes: 8192, execution: .inline, createPayment)
        // Offloaded: the token check may touch the token's last use, a write.
        routes.get("/api/v1/payments/:id", execution: .offloaded, auth.apiToken(scope: Self.readScope, showPayment))
    }

    // MARK: Handlers

    /// 201 with the payment; the same key and body again, the same 201 byte for byte; a malformed key 422;
    /// the key with another body 409.
    func createPayment(_ request: Request) throws -> Response {
        let token = try authentication.verifyAPITokenInWrite(request, scope: Self.createScope)
        let key = try IdempotencyKey(header: request.header("idempotency-key"))
        let body = try request.readJSON(CreatePaymentBody.self)
        let requestDigest = Digest.sha256Hex(request.body)
        let now = authentication.now()
        return .deferred { [workflow] complete in
            workflow.createThroughAPI(
                body, caller: "token:\(token.token.id)", key: key, requestDigest: requestDigest, at: now,
                alsoInSameWrite: { try token.recordUse(on: $0) }, completion: complete)
        } render: { (answer: IdempotentAnswer) in
            answer.response
        }
    }

    func showPayment(_ request: Request, _ token: APIToken) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw PaymentRefused.notFound }
        return try workflow.database.read { connection in
            guard let payment = try PaymentStore.fetchPayment(id: id, on: connection) else {
                throw PaymentRefused.notFound
            }
            return .json(PaymentJSON(payment, charge: try workflow.charge(for: payment, on: connection)))
        }
    }
}
