import Foundation
import ServiceKit
import Store

/// A payment about to be stored.
public struct NewPayment: Sendable {
    public var purpose: FeePurpose
    public var subject: FeeSubject
    public var payer: FeePayer
    public var amountYen: Int
    public var description: String
    public var channel: String
    public var provider: String
    public var returnPath: String
    public var idempotencyKey: String
    public var requestDigest: String
    public var checkoutToken: String
}

/// Every SQL statement of the payments module.
public enum PaymentStore {
    // MARK: Payments

    public static func insertPayment(_ new: NewPayment, at time: Date, on connection: Connection) throws
        -> StoredPayment
    {
        let (residentID, guestReference): (Int64?, String?) =
            switch new.payer {
            case .resident(let id): (id, nil)
            case .guest(let reference): (nil, reference)
            }
        try connection.run(
            """
            INSERT INTO payments
                (purpose, subject_module, subject_id, payer_resident_id, payer_guest_reference, amount_yen,
                 description, channel, provider, state, return_path, idempotency_key, request_digest,
                 checkout_token, created_at, updated_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?, ?)
            """, new.purpose.rawValue, new.subject.module, new.subject.id, residentID, guestReference,
            new.amountYen, new.description, new.channel, new.provider, new.returnPath, new.idempotencyKey,
            new.requestDigest, new.checkoutToken, time, time, time.addingTimeInterval(PaymentRules.checkoutLifetime))
        // Not read back (that SELECT was 59,000 instructions of a creation): the row is what was just written,
        // its times at the millisecond the columns keep.
        let storedTime = UTCTimestamp.parse(UTCTimestamp.format(time)) ?? time
        let expiresAt = time.addingTimeInterval(PaymentRules.checkoutLifetime)
        return StoredPayment(
            id: connection.lastInsertRowID, purpose: new.purpose, subject: new.subject, payer: new.payer,
            amountYen: new.amountYen, description: new.description, method: nil, channel: new.channel,
            provider: new.provider, providerReference: nil, state: .created, returnPath: new.returnPath,
            idempotencyKey: new.idempotencyKey, requestDigest: new.requestDigest, checkoutToken: new.checkoutToken,
            createdAt: storedTime, updatedAt: storedTime,
            expiresAt: UTCTimestamp.parse(UTCTimestamp.format(expiresAt)) ?? expiresAt, capturedAt: nil,
            settledAt: nil)
    }

    public static func fetchPayment(id: Int64, on connection: Connection) throws -> StoredPayment? {
        try connection.queryFirst("SELECT * FROM payments WHERE id = ?", id).map(decode)
    }

    public static func fetchPayment(checkoutToken: String, on connection: Connection) throws -> StoredPayment? {
        try connection.queryFirst("SELECT * FROM payments WHERE checkout_token = ?", checkoutToken).map(decode)
    }

    public static func fetchPayment(subjectModule: String, idempotencyKey: String, on connection: Connection) throws
        -> StoredPayment?
    {
        try connection.queryFirst(
            "SELECT * FROM payments WHERE subject_module = ? AND idempotency_key = ?", subjectModule, idempotencyKey
        ).map(decode)
    }

    public static func fetchPayment(provider: String, reference: String, on connection: Connection) throws
        -> StoredPayment?
    {
        try connection.queryFirst(
            "SELECT * FROM payments WHERE provider = ? AND provider_reference = ?", provider, reference
        ).map(decode)
    }

    public static func fetchPayments(subject: FeeSubject, on connection: Connection) throws -> [StoredPayment] {
        try connection.query(
            "SELECT * FROM payments WHERE subject_module = ? AND subject_id = ? ORDER BY id", subject.module,
            subject.id
        ).map(decode)
    }

    /// The newest payments first, for the staff list.
    static func fetchRecentPayments(limit: Int, on connection: Connection) throws -> [StoredPayment] {
        try connection.query("SELECT * FROM payments ORDER BY id DESC LIMIT ?", limit).map(decode)
    }

    public static func fetchPayments(residentID: Int64, limit: Int = 100, on connection: Connection) throws
        -> [StoredPayment]
    {
        try connection.query(
            "SELECT * FROM payments WHERE payer_resident_id = ? ORDER BY id DESC LIMIT ?", residentID, limit
        ).map(decode)
    }

    /// Unpaid checkouts past their lifetime, oldest first.
    public static func fetchOverdueIDs(at time: Date, limit: Int, on connection: Connection) throws -> [Int64] {
        try connection.query(
            """
            SELECT id FROM payments WHERE (state = 'created' OR state = 'authorized') AND expires_at <= ?
            ORDER BY expires_at LIMIT ?
            """, time, limit
        ).map { try $0.get(0) }
    }

    /// Payments captured in [from, to), by channel: how many and how much.
    static func countCaptured(from: Date, to: Date, on connection: Connection) throws
        -> [(count: Int, total: Int, channel: String)]
    {
        try connection.query(
            """
            SELECT count(*) AS n, coalesce(sum(amount_yen), 0) AS total, channel FROM payments
            WHERE captured_at >= ? AND captured_at < ? GROUP BY channel
            """, from, to
        ).map { (try $0.get("n"), try $0.get("total"), try $0.get("channel")) }
    }

    /// Unfinished payments with a provider reference, untouched since `cutoff`, least recently touched first.
    static func fetchStaleIDs(before cutoff: Date, limit: Int, on connection: Connection) throws -> [Int64] {
        try connection.query(
            """
            SELECT id FROM payments WHERE (state = 'created' OR state = 'authorized')
                AND provider_reference IS NOT NULL AND updated_at <= ?
            ORDER BY updated_at LIMIT ?
            """, cutoff, limit
        ).map { try $0.get(0) }
    }

    /// Moves a payment from `from` to `to`; false when it was no longer in `from`.
    static func updateState(
        id: Int64, from: PaymentState, to: PaymentState, method: PaymentMethod?, at time: Date,
        on connection: Connection
    ) throws -> Bool {
        try connection.run(
            """
            UPDATE payments SET state = ?, updated_at = ?, method = coalesce(?, method),
                captured_at = CASE WHEN ? THEN coalesce(captured_at, ?) ELSE captured_at END,
                settled_at = CASE WHEN ? THEN ? ELSE settled_at END
            WHERE id = ? AND state = ?
            """, to.rawValue, time, method?.rawValue, to.isPaid, time, to == .settled, time, id, from.rawValue) == 1
    }

    static func setProviderReference(id: Int64, reference: String, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE payments SET provider_reference = ?, updated_at = ? WHERE id = ?", reference, time, id)
    }

    static func decode(_ row: Row) throws -> StoredPayment {
        let residentID: Int64? = try row.get("payer_resident_id")
        let guestReference: String? = try row.get("payer_guest_reference")
        let payer: FeePayer =
            if let residentID { .resident(id: residentID) } else { .guest(reference: guestReference ?? "") }
        let stateText: String = try row.get("state")
        guard let state = PaymentState(rawValue: stateText) else {
            throw RowDecodingError(column: "state", reason: "unknown state")
        }
        let methodText: String? = try row.get("method")
        var payment = StoredPayment(
            id: try row.get("id"), purpose: FeePurpose(rawValue: try row.get("purpose")),
            subject: FeeSubject(module: try row.get("subject_module"), id: try row.get("subject_id")), payer: payer,
            amountYen: try row.get("amount_yen"), description: try row.get("description"),
            method: methodText.flatMap(PaymentMethod.init(rawValue:)), channel: try row.get("channel"),
            provider: try row.get("provider"), providerReference: try row.get("provider_reference"), state: state,
            returnPath: try row.get("return_path"), idempotencyKey: try row.get("idempotency_key"),
            requestDigest: try row.get("request_digest"), checkoutToken: try row.get("checkout_token"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"),
            expiresAt: try row.get("expires_at"), capturedAt: try row.get("captured_at"),
            settledAt: try row.get("settled_at"))
        payment.receivedByStaffID = try row.get("received_by_staff_id")
        payment.cashReceivedYen = try row.get("cash_received_yen")
        payment.changeYen = try row.get("change_yen")
        return payment
    }

    static func setCounterDetails(
        id: Int64, method: PaymentMethod, staffID: Int64, cashReceivedYen: Int?, changeYen: Int?, at time: Date,
        on connection: Connection
    ) throws {
        try connection.run(
            """
            UPDATE payments SET method = ?, received_by_staff_id = ?, cash_received_yen = ?, change_yen = ?,
                updated_at = ?
            WHERE id = ?
            """, method.rawValue, staffID, cashReceivedYen, changeYen, time, id)
    }

    // MARK: Events

    static func appendEvent(
        paymentID: Int64, from: PaymentState?, to: PaymentState, actor: PaymentActor, note: String? = nil,
        at time: Date, on connection: Connection
    ) throws {
        let columns = actor.columns
        try connection.run(
            """
            INSERT INTO payment_events (payment_id, at, from_state, to_state, actor_type, actor_id, actor_reference, note)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, paymentID, time, from?.rawValue, to.rawValue, columns.type, columns.id, columns.reference, note)
    }

    public static func fetchEvents(paymentID: Int64, on connection: Connection) throws -> [PaymentEvent] {
        try connection.query("SELECT * FROM payment_events WHERE payment_id = ? ORDER BY id", paymentID).map { row in
            let from: String? = try row.get("from_state")
            return PaymentEvent(
                id: try row.get("id"), paymentID: try row.get("payment_id"), at: try row.get("at"),
                from: from.flatMap(PaymentState.init(rawValue:)),
                to: PaymentState(rawValue: try row.get("to_state")) ?? .created, actorType: try row.get("actor_type"),
                actorID: try row.get("actor_id"), actorReference: try row.get("actor_reference"),
                note: try row.get("note"))
        }
    }

    // MARK: Refunds

    /// Yen refunded or being refunded (submitted or succeeded) for a payment.
    public static func refundedYen(paymentID: Int64, includingSubmitted: Bool = true, on connection: Connection)
        throws -> Int
    {
        try connection.scalar(
            """
            SELECT coalesce(sum(amount_yen), 0) FROM payment_refunds
            WHERE payment_id = ? AND (state = 'succeeded' OR (? AND state = 'submitted'))
            """, paymentID, includingSubmitted, as: Int.self) ?? 0
    }

    static func insertRefund(
        paymentID: Int64, amountYen: Int, reason: String, staffID: Int64, cashHandedBackYen: Int?,
        state: StoredRefund.State = .submitted, at time: Date, on connection: Connection
    ) throws -> Int64 {
        try connection.run(
            """
            INSERT INTO payment_refunds
                (payment_id, amount_yen, state, reason, staff_id, cash_handed_back_yen, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, paymentID, amountYen, state.rawValue, reason, staffID, cashHandedBackYen, time, time)
        return connection.lastInsertRowID
    }

    public static func fetchRefunds(paymentID: Int64, on connection: Connection) throws -> [StoredRefund] {
        try connection.query("SELECT * FROM payment_refunds WHERE payment_id = ? ORDER BY id", paymentID).map(
            decodeRefund)
    }

    static func fetchRefund(id: Int64, on connection: Connection) throws -> StoredRefund? {
        try connection.queryFirst("SELECT * FROM payment_refunds WHERE id = ?", id).map(decodeRefund)
    }

    /// Refunds recorded but not yet put to the provider (a rejected request's full refund), oldest first.
    static func fetchUnsentRefundIDs(limit: Int, on connection: Connection) throws -> [Int64] {
        try connection.query(
            """
            SELECT id FROM payment_refunds WHERE state = 'submitted' AND provider_reference IS NULL
            ORDER BY id LIMIT ?
            """, limit
        ).map { try $0.get(0) }
    }

    static func updateRefund(
        id: Int64, state: StoredRefund.State, providerReference: String?, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            """
            UPDATE payment_refunds SET state = ?, provider_reference = coalesce(?, provider_reference), updated_at = ?
            WHERE id = ? AND state = 'submitted'
            """, state.rawValue, providerReference, time, id)
    }

    static func decodeRefund(_ row: Row) throws -> StoredRefund {
        StoredRefund(
            id: try row.get("id"), paymentID: try row.get("payment_id"), amountYen: try row.get("amount_yen"),
            state: StoredRefund.State(rawValue: try row.get("state")) ?? .submitted, reason: try row.get("reason"),
            staffID: try row.get("staff_id"), providerReference: try row.get("provider_reference"),
            cashHandedBackYen: try row.get("cash_handed_back_yen"), createdAt: try row.get("created_at"))
    }

    // MARK: Idempotency keys of the JSON API

    struct StoredAnswer: Sendable, Equatable {
        let id: Int64
        let requestDigest: String
        let status: Int
        let body: Data
        let createdAt: Date
    }

    static func fetchAnswer(caller: String, key: String, on connection: Connection) throws -> StoredAnswer? {
        try connection.queryFirst(
            """
            SELECT id, request_digest, response_status, response_body, created_at FROM payment_idempotency_keys
            WHERE caller = ? AND key = ?
            """, caller, key
        ).map {
            StoredAnswer(
                id: try $0.get("id"), requestDigest: try $0.get("request_digest"),
                status: try $0.get("response_status"), body: try $0.get("response_body"),
                createdAt: try $0.get("created_at"))
        }
    }

    static func insertAnswer(
        caller: String, key: String, requestDigest: String, status: Int, body: Data, at time: Date,
        on connection: Connection
    ) throws {
        try connection.run(
            """
            INSERT INTO payment_idempotency_keys (caller, key, request_digest, response_status, response_body, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, caller, key, requestDigest, status, body, time)
    }

    static func deleteAnswer(id: Int64, on connection: Connection) throws {
        try connection.run("DELETE FROM payment_idempotency_keys WHERE id = ?", id)
    }

    /// Deletes the answers stored before `cutoff`; returns how many.
    static func hasAnswers(storedBefore cutoff: Date, on connection: Connection) throws -> Bool {
        try connection.scalar(
            "SELECT EXISTS (SELECT 1 FROM payment_idempotency_keys WHERE created_at < ?)", cutoff, as: Bool.self)
            ?? false
    }

    static func purgeAnswers(storedBefore cutoff: Date, on connection: Connection) throws -> Int {
        try connection.run("DELETE FROM payment_idempotency_keys WHERE created_at < ?", cutoff)
    }

    // MARK: Webhook events

    struct StoredWebhookEvent: Sendable {
        let id: Int64
        let provider: String
        let eventID: String
        let body: Data
    }

    /// Stores a verified webhook; false when its event id was stored before (a redelivery or a replay).
    static func insertWebhookEvent(
        provider: String, eventID: String, reference: String?, body: Data, at time: Date, on connection: Connection
    ) throws -> Bool {
        try connection.run(
            """
            INSERT INTO payment_webhook_events (provider, event_id, provider_reference, body, received_at)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING
            """, provider, eventID, reference, body, time) == 1
    }

    static func fetchUnprocessedWebhookEvents(limit: Int, on connection: Connection) throws -> [StoredWebhookEvent] {
        try connection.query(
            """
            SELECT id, provider, event_id, body FROM payment_webhook_events WHERE processed_at IS NULL
            ORDER BY id LIMIT ?
            """, limit
        ).map(decodeWebhookEvent)
    }

    /// Events about a payment we did not know yet, oldest first.
    static func fetchWaitingWebhookEvents(provider: String, reference: String, on connection: Connection) throws
        -> [StoredWebhookEvent]
    {
        try connection.query(
            """
            SELECT id, provider, event_id, body FROM payment_webhook_events
            WHERE outcome = 'unknown_payment' AND provider = ? AND provider_reference = ? ORDER BY id
            """, provider, reference
        ).map(decodeWebhookEvent)
    }

    static func isUnprocessedWebhookEvent(id: Int64, on connection: Connection) throws -> Bool {
        try connection.scalar(
            "SELECT processed_at IS NULL FROM payment_webhook_events WHERE id = ?", id, as: Bool.self) ?? false
    }

    static func markWebhookEvent(id: Int64, outcome: String, at time: Date, on connection: Connection) throws {
        try connection.run(
            "UPDATE payment_webhook_events SET processed_at = ?, outcome = ? WHERE id = ?", time, outcome, id)
    }

    static func decodeWebhookEvent(_ row: Row) throws -> StoredWebhookEvent {
        StoredWebhookEvent(
            id: try row.get("id"), provider: try row.get("provider"), eventID: try row.get("event_id"),
            body: try row.get("body"))
    }

    // MARK: Sandbox provider

    struct SandboxCheckout: Sendable, Equatable {
        let reference: String
        let amountYen: Int
        let description: String
        let returnURL: String
        let state: String
        let method: String?
    }

    static func insertSandboxCheckout(_ checkout: SandboxCheckout, at time: Date, on connection: Connection) throws {
        try connection.run(
            """
            INSERT INTO payment_sandbox_checkouts
                (reference, amount_yen, description, return_url, state, method, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, checkout.reference, checkout.amountYen, checkout.description, checkout.returnURL, checkout.state,
            checkout.method, time, time)
    }

    static func fetchSandboxCheckout(reference: String, on connection: Connection) throws -> SandboxCheckout? {
        try connection.queryFirst("SELECT * FROM payment_sandbox_checkouts WHERE reference = ?", reference).map {
            SandboxCheckout(
                reference: try $0.get("reference"), amountYen: try $0.get("amount_yen"),
                description: try $0.get("description"), returnURL: try $0.get("return_url"),
                state: try $0.get("state"), method: try $0.get("method"))
        }
    }

    /// Completes a sandbox checkout once; false when it was already completed.
    static func completeSandboxCheckout(
        reference: String, state: String, method: String?, at time: Date, on connection: Connection
    ) throws -> Bool {
        try connection.run(
            """
            UPDATE payment_sandbox_checkouts SET state = ?, method = ?, updated_at = ?
            WHERE reference = ? AND state = 'created'
            """, state, method, time, reference) == 1
    }
}
