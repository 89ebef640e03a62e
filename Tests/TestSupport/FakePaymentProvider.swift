import Cryptography
import Foundation
import HTTP
import HTTPClient

/// A fake hosted-checkout provider in GOV.UK Pay's shape (its public API; the payments tests validate the
/// fake's answers against that spec) on an ephemeral loopback port:
/// - `POST /v1/payments` (Bearer key, 401; the CreateCardPaymentRequest rules, 422 with a RequestError),
///   `GET /v1/payments/{id}` (404 for an unknown id), `POST /v1/payments/{id}/refunds` (412 when
///   `refund_amount_available` is not what is left, 400 beyond it);
/// - the payer's side is a call: `complete(_:as:)` makes a payment `success`, `failed`, `cancelled`,
///   `capturable` or expired (`failed` with code P0020), `settle(_:)` adds a settled date;
/// - signs its webhooks (lowercase hex HMAC-SHA256 of the body in `Pay-Signature`), and `deliver…` sends
///   them: again (a redelivery), in any order, with any `created_date`;
/// - fails on demand (`failNext`): a 500, or an answer slower than the client's timeout.
///
/// Its rules are written from the spec, independently of the adapter, so a mistake in one is not mirrored.
public final class FakePaymentProvider: @unchecked Sendable {
    public enum Fault: Sendable, Equatable {
        case serverError
        /// Answer after this many seconds (longer than the client waits).
        case slow(seconds: Double)
    }

    public enum Outcome: String, Sendable {
        case success, failed, cancelled, capturable, expired
    }

    public struct StoredPayment: Sendable, Equatable {
        public let id: String
        public let amount: Int
        public let description: String
        public let reference: String
        public let returnURL: String
        public var status: String
        public var code: String?
        public var settledDate: String?
        public var refunded: Int
        public let createdDate: String
    }

    public let apiKey = "fake-payment-api-key"
    public let webhookSecret = "fake-webhook-signing-secret"
    private let server: Server
    private let state = FakePaymentState()

    public init() throws {
        var configuration = Server.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.shutdownGraceSeconds = 5
        var routes = Routes()
        let state = self.state
        let key = apiKey
        routes.post("/v1/payments", maximumBodyBytes: 64 * 1024) { request in
            try state.handle(request, key: key) { try state.create(request) }
        }
        routes.get("/v1/payments/:id", execution: .offloaded) { request in
            try state.handle(request, key: key) { try state.show(request.parameter("id")) }
        }
        routes.post("/v1/payments/:id/refunds", maximumBodyBytes: 64 * 1024) { request in
            try state.handle(request, key: key) { try state.refund(request.parameter("id"), body: request.body) }
        }
        server = Server(configuration: configuration, routes: routes, logger: .disabled)
        try server.start()
        state.baseURL = "http://127.0.0.1:\(server.port)"
    }

    deinit { server.shutdown() }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// The environment `serve` reads, with the key and secret files written in `directory`.
    public func environment(in directory: TemporaryDirectory, publicBase: String = "http://127.0.0.1:8080")
        throws -> [String: String]
    {
        let keyFile = directory.path("payment-api-key")
        let secretFile = directory.path("payment-webhook-secret")
        try (apiKey + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        try (webhookSecret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        return [
            "MADOGUCHI_PAYMENT_API_BASE": baseURL, "MADOGUCHI_PAYMENT_API_KEY_FILE": keyFile,
            "MADOGUCHI_PAYMENT_WEBHOOK_SECRET_FILE": secretFile, "MADOGUCHI_PUBLIC_BASE_URL": publicBase,
        ]
    }

    // MARK: The payer's side and the provider's back office

    public func complete(_ id: String, as outcome: Outcome) {
        state.update(id) { payment in
            switch outcome {
            case .expired:
                payment.status = "failed"
                payment.code = "P0020"
            default:
                payment.status = outcome.rawValue
                payment.code = nil
            }
        }
    }

    public func settle(_ id: String, on date: String = "2026-04-02") {
        state.update(id) { $0.settledDate = date }
    }

    public func payment(_ id: String) -> StoredPayment? { state.payment(id) }
    public var payments: [StoredPayment] { state.allPayments }
    /// Every request body the fake accepted or refused, by path, for spec validation.
    public var requestBodies: [(path: String, body: Data)] { state.requestBodies }
    /// Every answer body it gave, with the spec schema it should satisfy.
    public var answers: [(schema: String, body: Data)] { state.answers }

    /// Runs after a payment is made and before the create is answered: a webhook sent from here reaches
    /// Madoguchi before it has stored the provider's reference.
    public func beforeAnsweringCreate(_ hook: (@Sendable (String) -> Void)?) { state.createHook = hook }

    /// Makes the next `count` API requests misbehave.
    public func failNext(_ count: Int = 1, with fault: Fault) { state.failNext(count, with: fault) }

    // MARK: Webhooks

    /// A webhook message about `id` as GOV.UK Pay sends one, with its signature.
    public func webhook(
        for id: String, eventType: String = "card_payment_succeeded", messageID: String? = nil,
        createdAt: Date = Date(), status: String? = nil
    ) throws -> (body: Data, signature: String) {
        guard var payment = state.payment(id) else { throw FakeProviderError.unknownPayment }
        if let status { payment.status = status }
        let message: [String: Any] = [
            "webhook_message_id": messageID ?? Base64URL.encode(SecureRandom.bytes(12)),
            "created_date": FakePaymentState.timestamp(createdAt), "resource_id": id, "api_version": 1,
            "resource_type": "payment", "event_type": eventType,
            "resource": state.paymentObject(payment),
        ]
        let body = try JSONSerialization.data(withJSONObject: message, options: [.sortedKeys])
        return (body, sign(body))
    }

    public func sign(_ body: Data) -> String {
        Hex.encode(Digest.hmacSHA256(key: Array(webhookSecret.utf8), message: Array(body)))
    }

    /// Posts a webhook to Madoguchi at `url`; returns the status it answered.
    @discardableResult
    public func deliver(_ webhook: (body: Data, signature: String), to url: String) throws -> Int {
        try EasyHandle().perform(
            method: "POST", url: url,
            headers: [("Content-Type", "application/json"), ("Pay-Signature", webhook.signature)], body: webhook.body
        ).status
    }

    public enum FakeProviderError: Error { case unknownPayment }
}

/// The fake's payments, shared by the server's handler threads.
private final class FakePaymentState: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String: FakePaymentProvider.StoredPayment] = [:]
    private var order: [String] = []
    private var faults: [FakePaymentProvider.Fault] = []
    private var bodies: [(path: String, body: Data)] = []
    private var answerBodies: [(schema: String, body: Data)] = []
    var baseURL = ""
    private var hook: (@Sendable (String) -> Void)?
    var createHook: (@Sendable (String) -> Void)? {
        get { lock.withLock { hook } }
        set { lock.withLock { hook = newValue } }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    func failNext(_ count: Int, with fault: FakePaymentProvider.Fault) {
        lock.withLock { faults += Array(repeating: fault, count: count) }
    }

    func payment(_ id: String) -> FakePaymentProvider.StoredPayment? { lock.withLock { stored[id] } }
    var allPayments: [FakePaymentProvider.StoredPayment] { lock.withLock { order.compactMap { stored[$0] } } }
    var requestBodies: [(path: String, body: Data)] { lock.withLock { bodies } }
    var answers: [(schema: String, body: Data)] { lock.withLock { answerBodies } }

    func update(_ id: String, _ change: (inout FakePaymentProvider.StoredPayment) -> Void) {
        lock.withLock {
            guard var payment = stored[id] else { return }
            change(&payment)
            stored[id] = payment
        }
    }

    /// Authentication and injected faults, then the handler.
    func handle(_ request: Request, key: String, _ body: () throws -> Response) throws -> Response {
        if let fault = lock.withLock({ faults.isEmpty ? nil : faults.removeFirst() }) {
            switch fault {
            case .serverError:
                return error(500, code: "P0198", "Downstream system error", schema: "RequestError")
            case .slow(let seconds):
                Thread.sleep(forTimeInterval: seconds)
            }
        }
        guard request.header("authorization") == "Bearer \(key)" else { return Response(status: 401) }
        if !request.body.isEmpty { lock.withLock { bodies.append((request.path, request.body)) } }
        return try body()
    }

    func error(_ status: Int, code: String, _ description: String, field: String? = nil, schema: String) -> Response {
        var object: [String: Any] = ["code": code, "description": description]
        if let field { object["field"] = field }
        return json(object, status: status, schema: schema)
    }

    func json(_ object: [String: Any], status: Int, schema: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        lock.withLock { answerBodies.append((schema, body)) }
        return Response(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    // MARK: Endpoints

    func create(_ request: Request) throws -> Response {
        guard request.contentType == "application/json" else { return Response(status: 415) }
        guard let object = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
            return error(400, code: "P0197", "Unable to parse JSON", schema: "RequestError")
        }
        for field in ["amount", "description", "reference", "return_url"] where object[field] == nil {
            return error(
                400, code: "P0101", "Missing mandatory attribute: \(field)", field: field, schema: "RequestError")
        }
        guard let amount = object["amount"] as? Int, !(object["amount"] is Bool), (0...10_000_000).contains(amount)
        else {
            return error(422, code: "P0102", "Invalid attribute value: amount", field: "amount", schema: "RequestError")
        }
        let limits = ["description": 255, "reference": 255, "return_url": 2000]
        for (field, limit) in limits {
            guard let text = object[field] as? String, !text.isEmpty, text.count <= limit else {
                return error(
                    422, code: "P0102", "Invalid attribute value: \(field)", field: field, schema: "RequestError")
            }
        }
        let id = SecureRandom.string(length: 26, alphabet: Array("abcdefghijklmnopqrstuvwxyz0123456789"))
        let payment = FakePaymentProvider.StoredPayment(
            id: id, amount: amount, description: object["description"] as! String,
            reference: object["reference"] as! String, returnURL: object["return_url"] as! String, status: "created",
            code: nil, settledDate: nil, refunded: 0, createdDate: Self.timestamp(Date()))
        lock.withLock {
            stored[id] = payment
            order.append(id)
        }
        createHook?(id)
        return json(paymentObject(payment), status: 201, schema: "CreatePaymentResult")
    }

    func show(_ id: String) throws -> Response {
        guard let payment = payment(id) else {
            return error(404, code: "P0200", "Not found", schema: "RequestError")
        }
        return json(paymentObject(payment), status: 200, schema: "PaymentWithAllLinks")
    }

    func refund(_ id: String, body: Data) throws -> Response {
        guard let payment = payment(id) else { return error(404, code: "P0700", "Not found", schema: "RequestError") }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let amount = object["amount"] as? Int, (1...10_000_000).contains(amount)
        else {
            return error(400, code: "P0602", "Invalid attribute value: amount", field: "amount", schema: "RequestError")
        }
        let available = payment.status == "success" ? payment.amount - payment.refunded : 0
        if let stated = object["refund_amount_available"] as? Int, stated != available {
            return Response(status: 412)
        }
        guard amount <= available else {
            return error(400, code: "P0604", "Refund amount exceeds available", schema: "RequestError")
        }
        update(id) { $0.refunded += amount }
        let refundID = SecureRandom.string(length: 26, alphabet: Array("abcdefghijklmnopqrstuvwxyz0123456789"))
        return json(
            [
                "refund_id": refundID, "amount": amount, "status": "success", "payment_id": id,
                "created_date": Self.timestamp(Date()),
            ], status: 202, schema: "Refund")
    }

    func paymentObject(_ payment: FakePaymentProvider.StoredPayment) -> [String: Any] {
        let finished = !["created", "started", "submitted", "capturable"].contains(payment.status)
        var state: [String: Any] = ["status": payment.status, "finished": finished]
        if let code = payment.code {
            state["code"] = code
            state["message"] = "Payment was not completed"
        }
        var links: [String: Any] = [
            "self": ["href": "\(baseURL)/v1/payments/\(payment.id)", "method": "GET"],
            "refunds": ["href": "\(baseURL)/v1/payments/\(payment.id)/refunds", "method": "GET"],
        ]
        if !finished { links["next_url"] = ["href": "\(baseURL)/secure/\(payment.id)", "method": "GET"] }
        var object: [String: Any] = [
            "payment_id": payment.id, "amount": payment.amount, "description": payment.description,
            "reference": payment.reference, "return_url": payment.returnURL, "state": state, "_links": links,
            "created_date": payment.createdDate, "payment_provider": "sandbox", "language": "en",
            "refund_summary": [
                "status": payment.status == "success"
                    ? (payment.refunded == payment.amount ? "full" : "available")
                    : "unavailable",
                "amount_available": payment.status == "success" ? payment.amount - payment.refunded : 0,
                "amount_submitted": payment.refunded,
            ],
        ]
        if let settled = payment.settledDate { object["settlement_summary"] = ["settled_date": settled] }
        return object
    }
}
