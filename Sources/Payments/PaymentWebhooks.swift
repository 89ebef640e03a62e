import Cryptography
import Foundation
import HTTP
import Store

/// `POST /payments/webhook/<provider>`: the provider's signed calls. The signature (HMAC-SHA256 over the raw
/// body, compared in constant time) is checked first — a bad one is 401 and nothing is stored; then the
/// message's time must be within 5 minutes of ours and its event id new. The event is stored and the 200 goes
/// out; the payments job applies it afterwards, as the LINE webhook does.
struct PaymentWebhookRoutes: RouteCollection {
    static let maximumBodyBytes = 256 * 1024
    /// A signed message older or newer than this is refused: a captured request cannot be replayed later.
    static let replayWindow: TimeInterval = 5 * 60

    let provider: any WebhookSigningProvider
    let workflow: PaymentWorkflow
    let job: PaymentsJob
    let now: @Sendable () -> Date

    func register(in routes: inout Routes) {
        routes.post("/payments/webhook/:provider", maximumBodyBytes: Self.maximumBodyBytes, receiveWebhook)
    }

    static let invalidSignature = HTTPError(status: 401, code: "invalid_signature", message: "署名が正しくありません。")
    static let outsideWindow = HTTPError(
        status: 401, code: "stale_webhook", message: "送信時刻が許容範囲外のため受け付けませんでした。")

    func receiveWebhook(_ request: Request) throws -> Response {
        guard request.parameter("provider") == provider.name else { throw HTTPError.notFound }
        guard Self.isValid(request.header(provider.signatureHeader), body: request.body, secret: provider.webhookSecret)
        else { throw Self.invalidSignature }
        guard let event = provider.webhookEvent(from: request.body) else {
            throw HTTPError.badRequest("webhook の内容を読み取れませんでした。")
        }
        let time = now()
        guard abs(time.timeIntervalSince(event.createdAt)) <= Self.replayWindow else { throw Self.outsideWindow }
        if try workflow.storeWebhook(event, provider: provider.name, body: request.body, at: time) { job.notify() }
        return Response(status: 200, headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
    }

    /// Lowercase or uppercase hex of HMAC-SHA256(secret, body), compared in constant time.
    static func isValid(_ header: String?, body: Data, secret: PaymentSecret) -> Bool {
        guard let header, header.utf8.count == 64 else { return false }
        let expected = Hex.encode(Digest.hmacSHA256(key: secret.bytes, message: Array(body)))
        return Digest.constantTimeEquals(Array(header.lowercased().utf8), Array(expected.utf8))
    }
}

extension PaymentWorkflow {
    /// Stores a verified webhook; false when the event id was seen before.
    func storeWebhook(_ event: ProviderWebhookEvent, provider: String, body: Data, at time: Date) throws -> Bool {
        try database.write { connection in
            try PaymentStore.insertWebhookEvent(
                provider: provider, eventID: event.eventID, reference: event.reference, body: body, at: time,
                on: connection)
        }
    }

    /// Applies every stored, unprocessed webhook event, oldest first, each in one write with its mark.
    /// Returns how many it handled.
    @discardableResult
    public func processWebhookEvents(at time: Date) throws -> Int {
        guard let signing = provider as? any WebhookSigningProvider else { return 0 }
        var handled = 0
        while true {
            let batch = try database.read { try PaymentStore.fetchUnprocessedWebhookEvents(limit: 100, on: $0) }
            if batch.isEmpty { return handled }
            for stored in batch {
                let outcome = try database.write { connection -> String? in
                    // The job's thread and a test's (or a second pass) may hold the same batch: the first wins.
                    guard try PaymentStore.isUnprocessedWebhookEvent(id: stored.id, on: connection) else { return nil }
                    return try processWebhook(stored, provider: signing, at: time, on: connection)
                }
                guard let outcome else { continue }
                // Row ids and outcomes only.
                logger.info(
                    "payment webhook event", ["event_row": .int(Int(stored.id)), "outcome": .string(outcome)])
                handled += 1
            }
        }
    }

    /// One event inside a write: the payment it names moves as the provider says, or — not known yet (its
    /// create has not committed) — the event waits for `processWaitingWebhooks`.
    func processWebhook(
        _ stored: PaymentStore.StoredWebhookEvent, provider: any WebhookSigningProvider, at time: Date,
        on connection: Connection
    ) throws -> String {
        guard let event = provider.webhookEvent(from: stored.body) else {
            try PaymentStore.markWebhookEvent(id: stored.id, outcome: "refused", at: time, on: connection)
            return "refused"
        }
        guard
            let payment = try PaymentStore.fetchPayment(
                provider: stored.provider, reference: event.reference, on: connection)
        else {
            try PaymentStore.markWebhookEvent(id: stored.id, outcome: "unknown_payment", at: time, on: connection)
            return "unknown_payment"
        }
        let updated = try apply(
            event.status, to: payment, actor: .webhook(eventID: event.eventID), at: time, on: connection)
        let outcome = updated.state == payment.state ? "no_change" : "applied"
        try PaymentStore.markWebhookEvent(id: stored.id, outcome: outcome, at: time, on: connection)
        return outcome
    }

    /// Inside the write that gives a payment its provider reference: the webhooks that came before it.
    func processWaitingWebhooks(reference: String, at time: Date, on connection: Connection) throws {
        guard let signing = provider as? any WebhookSigningProvider else { return }
        for stored in try PaymentStore.fetchWaitingWebhookEvents(
            provider: signing.name, reference: reference, on: connection)
        {
            _ = try processWebhook(stored, provider: signing, at: time, on: connection)
        }
    }
}
