import Cryptography
import Foundation
import HTTP
import Identity
import Store
import Synchronization

/// `/api/v1/payments` for integrations holding an API token (a billing system creating 水道料金, a kiosk):
/// create with an `Idempotency-Key`, and read one back. Described in `Schemas/openapi.yaml`.
struct PaymentAPIRoutes: RouteCollection {
    static let createScope = "payments:create"
    static let readScope = "payments:read"

    let workflow: PaymentWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        // Inline with a deferred answer: the creation is one queued write, and no thread waits for its commit.
        routes.post("/api/v1/payments", maximumBodyBytes: 8192, execution: .inline, createPayment)
        // Offloaded: the token check may touch the token's last use, a write.
        routes.get("/api/v1/payments/:id", execution: .offloaded, auth.apiToken(scope: Self.readScope, showPayment))
    }

    // MARK: Handlers

    /// 201 with the payment; the same key and body again, the same 201 byte for byte; a malformed key 422;
    /// the key with another body 409.
    func createPayment(_ request: Request) throws -> Response {
        let now = authentication.now()
        return .deferred { [workflow, authentication] complete in
            // The token check may write (its last use), so none of this runs on the polling thread.
            DispatchQueue.global().async {
                do {
                    let token = try Self.authorizedToken(request, authentication: authentication)
                    let key = try IdempotencyKey(header: request.header("idempotency-key"))
                    let body = try request.readJSON(CreatePaymentBody.self)
                    workflow.createThroughAPI(
                        body, caller: "token:\(token.id)", key: key, requestDigest: Digest.sha256Hex(request.body),
                        at: now, completion: complete)
                } catch {
                    complete(.failure(error))
                }
            }
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

    /// The caller's token through the shared wrapper, so 401 and 403 answer exactly as everywhere else.
    static func authorizedToken(_ request: Request, authentication: Authentication) throws -> APIToken {
        let found = Mutex<APIToken?>(nil)
        _ = try authentication.apiToken(scope: createScope) { _, token in
            found.withLock { $0 = token }
            return Response()
        }(request)
        guard let token = found.withLock({ $0 }) else { throw PaymentRefused.notFound }
        return token
    }
}
