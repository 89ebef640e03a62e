import Cryptography
import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// An `Idempotency-Key` header as Stripe's API takes it: 1–255 characters of `[A-Za-z0-9-]`.
struct IdempotencyKey: Sendable, Equatable {
    let text: String

    static let malformed = PaymentRefused.invalidField(
        field: "Idempotency-Key", message: "Idempotency-Key は英数字とハイフン 1〜255 文字で指定してください。")

    init(header: String?) throws {
        guard let header, (1...255).contains(header.utf8.count),
            header.utf8.allSatisfy({
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45
            })
        else { throw Self.malformed }
        text = header
    }
}

/// The first answer to a key, as stored and replayed.
struct IdempotentAnswer: Sendable, Equatable {
    let status: Int
    let body: Data
    let replayed: Bool

    var response: Response {
        var headers = [("Content-Type", "application/json; charset=utf-8")]
        if replayed { headers.append(("Idempotent-Replayed", "true")) }
        return Response(status: status, headers: headers, body: body)
    }
}

extension PaymentWorkflow {
    /// How long a key's first answer is replayed; after that the key is free again and the daily pass purges it.
    static let idempotencyWindow: TimeInterval = 24 * 3600

    /// `POST /api/v1/payments` as one queued write: the same key with the same body within 24 hours answers the
    /// first answer again, byte for byte; with another body 409. Concurrent requests with one key run one after
    /// another on the single writer, so exactly one of them makes the payment. `completion` runs on the writer
    /// thread.
    func createThroughAPI(
        _ body: CreatePaymentBody, caller: String, key: IdempotencyKey, requestDigest: String, at time: Date,
        alsoInSameWrite: @escaping @Sendable (Connection) throws -> Void = { _ in },
        completion: @escaping @Sendable (Result<IdempotentAnswer, Error>) -> Void
    ) {
        database.write(
            { [self] connection in
                try alsoInSameWrite(connection)
                if let stored = try PaymentStore.fetchAnswer(caller: caller, key: key.text, on: connection) {
                    if time.timeIntervalSince(stored.createdAt) < Self.idempotencyWindow {
                        guard stored.requestDigest == requestDigest else { throw PaymentRefused.idempotencyConflict }
                        return IdempotentAnswer(status: stored.status, body: stored.body, replayed: true)
                    }
                    try PaymentStore.deleteAnswer(id: stored.id, on: connection)
                }
                if case .resident(let id) = body.payer, try !residentExists(id, on: connection) {
                    throw PaymentRefused.invalidField(field: "payer", message: "payer.resident_id の住民が見つかりません。")
                }
                // The payment's own key is the API key's use, not the key: a key reused after 24 hours is a new use.
                // The time leads, so a batch of creations lands on the same leaf of the key's index instead of one
                // random leaf each (every page a commit touches is a WAL frame).
                let stamp = UTCTimestamp.format(time)
                let feeKey = "api-" + stamp + "-" + Digest.sha256Hex("\(caller)\u{1F}\(key.text)\u{1F}\(stamp)")
                let request = FeeRequest(
                    purpose: body.purpose, subject: body.subject, payer: body.payer, amountYen: body.amountYen,
                    description: body.description, idempotencyKey: feeKey, returnPath: body.returnPath)
                try Self.validate(request, purposes: purposes)
                // No payment can hold `feeKey` yet: it names this caller's key at this millisecond, and the key
                // has no live answer. So `requestFee`'s look-up by key is skipped, and the request's digest is
                // the body's, already made: no second request can ever be compared with this payment's.
                let payment = try recordFee(request, requestDigest: requestDigest, at: time, on: connection)
                // Encoded once: these bytes are the 201's body now and every replay's later.
                let answer = PaymentJSON(payment, charge: try charge(for: payment, on: connection)).jsonData()
                try PaymentStore.insertAnswer(
                    caller: caller, key: key.text, requestDigest: requestDigest, status: 201, body: answer, at: time,
                    on: connection)
                return IdempotentAnswer(status: 201, body: answer, replayed: false)
            }, completion: completion)
    }

    func residentExists(_ id: Int64, on connection: Connection) throws -> Bool {
        try ResidentStore.fetchResident(id: id, on: connection) != nil
    }

    /// Deletes stored answers older than the idempotency window.
    @discardableResult
    func purgeIdempotencyKeys(at time: Date) throws -> Int {
        // Looked for first: an empty DELETE is still a commit on the one writer, every pass.
        let cutoff = time.addingTimeInterval(-Self.idempotencyWindow)
        guard try database.read({ try PaymentStore.hasAnswers(storedBefore: cutoff, on: $0) }) else { return 0 }
        return try database.write { connection in try PaymentStore.purgeAnswers(storedBefore: cutoff, on: connection) }
    }
}
