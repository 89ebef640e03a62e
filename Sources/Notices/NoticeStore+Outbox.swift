import Foundation
import Store

/// The outbox's state machine. Every change of state happens in SQL guarded by the state it expects (and,
/// while sending, by the lease owner), so a crashed or slow sender can never overwrite a newer truth.
extension NoticeStore {
    /// A request leased to one sender, ready to go out.
    public struct ClaimedRequest: Sendable, Equatable {
        public let id: Int64
        public let noticeID: Int64
        public let endpoint: LINEEndpoint
        public let payload: Data
        public let retryKey: String
        /// Including this one.
        public let attempts: Int
    }

    /// What happened to one attempt, as the sender classified LINE's answer.
    public enum DeliveryResult: Sendable, Equatable {
        /// 200, or 409 (the retry key was accepted before). `acceptedRequestID` is LINE's request id.
        case sent(status: Int, acceptedRequestID: String?)
        /// A 4xx other than 409 (and 429): LINE will never accept this body. Recipients go to the fallback list.
        case failed(status: Int, reason: String)
        /// 5xx, 429, timeout or a network error: try again with the same key, not before `notBefore`.
        case retry(status: Int?, reason: String, notBefore: Date)
        /// Never sent (the run is stopping): back to pending, due at once.
        case released
    }

    public struct RecordedOutcome: Sendable, Equatable {
        public let requestID: Int64
        public let result: DeliveryResult

        public init(requestID: Int64, result: DeliveryResult) {
            self.requestID = requestID
            self.result = result
        }
    }

    /// What `recordOutcomes` changed.
    public struct RecordTally: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public var retried = 0
        public var released = 0
        /// Outcomes for rows this sender no longer held (its lease expired and the row moved on).
        public var stale = 0

        public init(sent: Int = 0, failed: Int = 0, retried: Int = 0, released: Int = 0, stale: Int = 0) {
            self.sent = sent
            self.failed = failed
            self.retried = retried
            self.released = released
            self.stale = stale
        }
    }

    /// Leases up to `limit` due requests to `owner` until `leaseUntil`, oldest due first. A request whose
    /// retry key was first used at or before `attemptCutoff` is never claimed: its key may have expired
    /// (see `markUnknownAfterKeyWindow`). Claiming counts as an attempt and starts the key's window.
    public func claimDueRequests(
        owner: String, limit: Int, now: Date, leaseUntil: Date, attemptCutoff: Date
    ) throws -> [ClaimedRequest] {
        guard limit > 0 else { return [] }
        return try database.write { connection in
            try connection.query(
                """
                UPDATE notice_requests
                SET state = 'sending', lease_owner = ?1, lease_expires_at = ?2, attempts = attempts + 1,
                    first_attempt_at = COALESCE(first_attempt_at, ?3), last_attempt_at = ?3
                WHERE id IN (
                    SELECT id FROM notice_requests
                    WHERE state = 'pending' AND next_attempt_at <= ?3
                      AND (first_attempt_at IS NULL OR first_attempt_at > ?4)
                    ORDER BY next_attempt_at, id LIMIT ?5)
                RETURNING id, notice_id, endpoint, payload, retry_key, attempts
                """, owner, leaseUntil, now, attemptCutoff, limit
            ).map { row in
                ClaimedRequest(
                    id: try row.get("id"), noticeID: try row.get("notice_id"),
                    endpoint: LINEEndpoint(rawValue: try row.get("endpoint")) ?? .push,
                    payload: Data(try row.get("payload", as: String.self).utf8), retryKey: try row.get("retry_key"),
                    attempts: try row.get("attempts"))
            }.sorted { $0.id < $1.id }
        }
    }

    /// Records what happened to claimed requests, in one transaction, and keeps the notices' status and
    /// fallback list in step. A 200 or 409 is recorded whoever holds the lease (LINE has the message either
    /// way); anything else only by the owner.
    @discardableResult
    public func recordOutcomes(_ outcomes: [RecordedOutcome], owner: String, now: Date) throws -> RecordTally {
        guard !outcomes.isEmpty else { return RecordTally() }
        return try database.write { connection in
            var tally = RecordTally()
            var touched: [Int64] = []
            for outcome in outcomes {
                let changed: Int
                switch outcome.result {
                case .sent(let status, let acceptedRequestID):
                    changed = try connection.run(
                        """
                        UPDATE notice_requests
                        SET state = 'sent', sent_at = ?, last_status = ?, accepted_request_id = ?,
                            failure_reason = NULL, lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ? AND state IN ('pending', 'sending')
                        """, now, status, acceptedRequestID, outcome.requestID)
                    if changed == 1 { tally.sent += 1 }
                case .failed(let status, let reason):
                    changed = try connection.run(
                        """
                        UPDATE notice_requests
                        SET state = 'failed', last_status = ?, failure_reason = ?, lease_owner = NULL,
                            lease_expires_at = NULL
                        WHERE id = ? AND state = 'sending' AND lease_owner = ?
                        """, status, String(reason.prefix(500)), outcome.requestID, owner)
                    if changed == 1 {
                        tally.failed += 1
                        try Self.moveRecipientsToFallback(requestID: outcome.requestID, reason: .failed, on: connection)
                    }
                case .retry(let status, let reason, let notBefore):
                    changed = try connection.run(
                        """
                        UPDATE notice_requests
                        SET state = 'pending', next_attempt_at = ?, last_status = ?, failure_reason = ?,
                            lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ? AND state = 'sending' AND lease_owner = ?
                        """, notBefore, status, String(reason.prefix(500)), outcome.requestID, owner)
                    if changed == 1 { tally.retried += 1 }
                case .released:
                    changed = try connection.run(
                        """
                        UPDATE notice_requests
                        SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ? AND state = 'sending' AND lease_owner = ?
                        """, now, outcome.requestID, owner)
                    if changed == 1 { tally.released += 1 }
                }
                if changed == 1 { touched.append(outcome.requestID) } else { tally.stale += 1 }
            }
            try Self.refreshNoticeStatus(forRequests: touched, on: connection)
            return tally
        }
    }

    /// Gives the rows of a sender that died (or hung) back to the queue with the same retry key, so the
    /// next attempt either executes once or gets 409. Returns how many came back.
    @discardableResult
    public func requeueExpiredLeases(now: Date) throws -> Int {
        try database.write { connection in
            try connection.run(
                """
                UPDATE notice_requests
                SET state = 'pending', next_attempt_at = ?1, lease_owner = NULL, lease_expires_at = NULL
                WHERE state = 'sending' AND lease_expires_at <= ?1
                """, now)
        }
    }

    /// Pushes the leases `owner` holds out to `leaseUntil`, so requests waiting for their turn under a
    /// slowed-down rate are not taken for a dead sender's.
    @discardableResult
    public func extendLeases(owner: String, until leaseUntil: Date) throws -> Int {
        try database.write { connection in
            try connection.run(
                "UPDATE notice_requests SET lease_expires_at = ? WHERE state = 'sending' AND lease_owner = ?",
                leaseUntil, owner)
        }
    }

    /// Pending requests whose key was first used at or before `attemptCutoff` become `unknown`: LINE may
    /// have executed them or not, and after 24 h a repeat could execute twice, so a person must check.
    /// Their recipients go on the fallback list. Returns the request ids.
    @discardableResult
    public func markUnknownAfterKeyWindow(attemptCutoff: Date, now: Date) throws -> [Int64] {
        try database.write { connection in
            let ids = try connection.query(
                """
                UPDATE notice_requests
                SET state = 'unknown',
                    failure_reason = 'no 200 or 409 within the retry key window; check with LINE before resending'
                WHERE state = 'pending' AND first_attempt_at IS NOT NULL AND first_attempt_at <= ?
                RETURNING id
                """, attemptCutoff
            ).map { try $0.get("id", as: Int64.self) }
            for id in ids {
                try Self.moveRecipientsToFallback(requestID: id, reason: .unknown, on: connection)
            }
            try Self.refreshNoticeStatus(forRequests: ids, on: connection)
            return ids
        }
    }

    /// What is left in the outbox, for deciding whether a run waits, stops, or tells the timer to come back.
    public struct OutboxOutlook: Sendable, Equatable {
        /// Pending requests that may be claimed now.
        public let dueNow: Int
        /// The earliest later retry (a request that was attempted before), if any.
        public let nextRetryAt: Date?
        /// Rows leased to other senders, and when the first of those leases runs out.
        public let leasedToOthers: Int
        public let nextLeaseExpiry: Date?
        /// Pending and sending rows, excluding first attempts scheduled for later.
        public let remaining: Int
    }

    public func fetchOutlook(owner: String, now: Date, attemptCutoff: Date) throws -> OutboxOutlook {
        try database.read { connection in
            let row = try connection.queryFirst(
                """
                SELECT
                  (SELECT count(*) FROM notice_requests WHERE state = 'pending' AND next_attempt_at <= ?1
                      AND (first_attempt_at IS NULL OR first_attempt_at > ?3)) AS due_now,
                  (SELECT min(next_attempt_at) FROM notice_requests WHERE state = 'pending' AND attempts > 0
                      AND next_attempt_at > ?1) AS next_retry_at,
                  (SELECT count(*) FROM notice_requests WHERE state = 'sending' AND lease_owner <> ?2) AS leased,
                  (SELECT min(lease_expires_at) FROM notice_requests WHERE state = 'sending' AND lease_owner <> ?2)
                      AS next_lease_expiry,
                  (SELECT count(*) FROM notice_requests WHERE state = 'sending'
                      OR (state = 'pending' AND (attempts > 0 OR next_attempt_at <= ?1))) AS remaining
                """, now, owner, attemptCutoff)!
            return OutboxOutlook(
                dueNow: try row.get("due_now"), nextRetryAt: try row.get("next_retry_at"),
                leasedToOthers: try row.get("leased"), nextLeaseExpiry: try row.get("next_lease_expiry"),
                remaining: try row.get("remaining"))
        }
    }

    /// Requests a run would send now, without claiming them: for `--dry-run`.
    public func fetchDueRequests(now: Date, attemptCutoff: Date) throws -> [OutboxRequest] {
        try database.read { connection in
            try connection.query(
                """
                SELECT * FROM notice_requests
                WHERE state = 'pending' AND next_attempt_at <= ?
                  AND (first_attempt_at IS NULL OR first_attempt_at > ?)
                ORDER BY next_attempt_at, id
                """, now, attemptCutoff
            ).map(Self.outboxRequest)
        }
    }

    // MARK: Shared steps

    /// The request's recipients that were still to be reached by LINE go on the fallback list with the
    /// request's texts.
    static func moveRecipientsToFallback(requestID: Int64, reason: FallbackReason, on connection: Connection) throws {
        try connection.run(
            """
            UPDATE notice_recipients
            SET delivery = 'fallback', fallback_reason = ?,
                fallback_text = (SELECT group_concat(json_extract(m.value, '$.text'), char(10) || char(10))
                                 FROM notice_requests r, json_each(r.payload, '$.messages') m
                                 WHERE r.id = notice_recipients.request_id)
            WHERE request_id = ? AND delivery = 'line'
            """, reason.rawValue, requestID)
    }

    /// Recomputes status and fallback count of the notices these requests belong to.
    static func refreshNoticeStatus(forRequests requestIDs: [Int64], on connection: Connection) throws {
        guard !requestIDs.isEmpty else { return }
        try connection.run(
            """
            UPDATE notices SET
              status = CASE
                WHEN EXISTS (SELECT 1 FROM notice_requests q WHERE q.notice_id = notices.id
                             AND q.state IN ('pending', 'sending')) THEN 'queued'
                WHEN EXISTS (SELECT 1 FROM notice_requests q WHERE q.notice_id = notices.id
                             AND q.state IN ('failed', 'unknown')) THEN 'needs_attention'
                ELSE 'done' END,
              fallback_count = (SELECT count(*) FROM notice_recipients nr WHERE nr.notice_id = notices.id
                                AND nr.delivery = 'fallback')
            WHERE id IN (SELECT DISTINCT notice_id FROM notice_requests WHERE id IN (SELECT value FROM json_each(?)))
            """, jsonText(requestIDs))
    }
}
