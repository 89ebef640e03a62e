import Foundation
import Identity
import ServiceKit
import Store

/// LINE account links, one-time link codes and received webhook events.
extension NoticeStore {
    /// Who produced a link code: the resident on マイページ, or a clerk at the counter for them.
    public enum LinkIssuer: String, Sendable, Codable {
        case resident
        case counter
    }

    /// Why a link stopped being active.
    public enum UnlinkReason: String, Sendable, Codable {
        /// The resident, on マイページ.
        case resident
        /// A clerk at the counter.
        case counter
        /// The LINE user, by sending the unlink keyword to the official account.
        case lineUser = "line_user"
        /// The LINE user blocked the official account.
        case unfollow
        /// A newer link took its place (new phone, or the code was used from another LINE account).
        case replaced
    }

    public struct LINELink: Sendable, Equatable {
        public let id: Int64
        public let residentID: Int64
        public let lineUserID: String
        public let active: Bool
        public let linkedAt: Date
        public let linkedBy: LinkIssuer
        public let unlinkedAt: Date?
        public let unlinkedReason: UnlinkReason?
    }

    public enum RedeemResult: Sendable, Equatable {
        case linked(linkID: Int64, residentID: Int64)
        /// The code was valid and this LINE user was already the resident's active link.
        case alreadyLinked(residentID: Int64)
        /// No such code, or it expired or was used.
        case invalidCode
    }

    // MARK: Link codes

    /// Stores a new code (as its hash) for the resident and expires the resident's earlier unused codes, so
    /// only the newest code shown on screen works. Throws `unknownResident` for a missing resident.
    static func insertLinkCode(
        residentID: Int64, codeSHA256: String, issuedBy: LinkIssuer, now: Date, expiresAt: Date,
        on connection: Connection
    ) throws {
        guard try !ResidentStore.fetchContacts(ids: [residentID], on: connection).isEmpty else {
            throw AccountLinkingError.unknownResident
        }
        try connection.run(
            """
            UPDATE line_link_codes SET expires_at = ?1
            WHERE resident_id = ?2 AND used_at IS NULL AND expires_at > ?1
            """, now, residentID)
        try connection.run(
            """
            INSERT INTO line_link_codes (resident_id, code_sha256, issued_by, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?)
            """, residentID, codeSHA256, issuedBy.rawValue, now, expiresAt)
    }

    /// Uses the code, if it is valid, to link `lineUserID` to the code's resident. The resident's previous
    /// link and the LINE user's previous link (to another resident) are ended as `replaced`: one active link
    /// per resident and per LINE user.
    static func redeemLinkCode(codeSHA256: String, lineUserID: String, now: Date, on connection: Connection) throws
        -> RedeemResult
    {
        guard
            let code = try connection.queryFirst(
                """
                SELECT id, resident_id, issued_by FROM line_link_codes
                WHERE code_sha256 = ? AND used_at IS NULL AND expires_at > ?
                """, codeSHA256, now)
        else { return .invalidCode }
        let codeID: Int64 = try code.get("id")
        let residentID: Int64 = try code.get("resident_id")
        let issuedBy: String = try code.get("issued_by")
        if let current = try connection.scalar(
            "SELECT id FROM line_links WHERE resident_id = ? AND line_user_id = ? AND active = 1", residentID,
            lineUserID, as: Int64.self)
        {
            try connection.run("UPDATE line_link_codes SET used_at = ?, link_id = ? WHERE id = ?", now, current, codeID)
            return .alreadyLinked(residentID: residentID)
        }
        try connection.run(
            """
            UPDATE line_links SET active = 0, unlinked_at = ?, unlinked_reason = 'replaced'
            WHERE active = 1 AND (resident_id = ? OR line_user_id = ?)
            """, now, residentID, lineUserID)
        try connection.run(
            "INSERT INTO line_links (resident_id, line_user_id, active, linked_at, linked_by) VALUES (?, ?, 1, ?, ?)",
            residentID, lineUserID, now, issuedBy)
        let linkID = connection.lastInsertRowID
        try connection.run("UPDATE line_link_codes SET used_at = ?, link_id = ? WHERE id = ?", now, linkID, codeID)
        // The KPI's LINE figures and the classes' "linked up after the class" read this, not line_links.
        try UsageEvents.record(
            UsageEvent(
                source: NoticesModule.name, kind: "line_linked", channel: .line, person: .resident(id: residentID)),
            at: now, on: connection)
        return .linked(linkID: linkID, residentID: residentID)
    }

    /// Failed code attempts by this LINE user processed since `since`, to slow down guessing.
    static func countRejectedCodes(lineUserID: String, since: Date, on connection: Connection) throws -> Int {
        try connection.scalar(
            """
            SELECT count(*) FROM line_webhook_events
            WHERE source_user_id = ? AND outcome = 'link_code_rejected' AND processed_at > ?
            """, lineUserID, since, as: Int.self) ?? 0
    }

    // MARK: Links

    /// A link that was just ended or (re)created, for the audit log.
    struct ChangedLink: Sendable, Equatable {
        let linkID: Int64
        let residentID: Int64
    }

    /// Ends the resident's active link. Returns the ended link, if there was one.
    static func deactivateLink(residentID: Int64, reason: UnlinkReason, now: Date, on connection: Connection) throws
        -> ChangedLink?
    {
        try connection.queryFirst(
            """
            UPDATE line_links SET active = 0, unlinked_at = ?, unlinked_reason = ?
            WHERE resident_id = ? AND active = 1
            RETURNING id, resident_id
            """, now, reason.rawValue, residentID
        ).map { ChangedLink(linkID: try $0.get("id"), residentID: try $0.get("resident_id")) }
    }

    /// Ends the LINE user's active link (unlink keyword or unfollow). After an unfollow, residents whose
    /// requests have not gone out yet are put on the fallback list as well: LINE would accept the request
    /// and never show it to them. A pending request left with no recipient to reach by LINE (a push to this
    /// user) is dropped, never sent. Returns the ended link, if there was one.
    static func deactivateLink(lineUserID: String, reason: UnlinkReason, now: Date, on connection: Connection) throws
        -> ChangedLink?
    {
        let ended = try connection.queryFirst(
            """
            UPDATE line_links SET active = 0, unlinked_at = ?, unlinked_reason = ?
            WHERE line_user_id = ? AND active = 1
            RETURNING id, resident_id
            """, now, reason.rawValue, lineUserID
        ).map { ChangedLink(linkID: try $0.get("id"), residentID: try $0.get("resident_id")) }
        if reason == .unfollow {
            let requestIDs = try connection.query(
                """
                UPDATE notice_recipients
                SET delivery = 'fallback', fallback_reason = 'unfollowed',
                    fallback_text = (SELECT group_concat(json_extract(m.value, '$.text'), char(10) || char(10))
                                     FROM notice_requests r, json_each(r.payload, '$.messages') m
                                     WHERE r.id = notice_recipients.request_id)
                WHERE line_user_id = ? AND delivery = 'line'
                  AND request_id IN (SELECT id FROM notice_requests WHERE state IN ('pending', 'sending'))
                RETURNING request_id
                """, lineUserID
            ).map { try $0.get("request_id", as: Int64.self) }
            try connection.run(
                """
                UPDATE notice_requests
                SET state = 'dropped',
                    failure_reason = 'every recipient unfollowed before it was sent; they are on the fallback list'
                WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM notice_recipients nr
                                  WHERE nr.request_id = notice_requests.id AND nr.delivery = 'line')
                """, jsonText(requestIDs))
            try refreshNoticeStatus(forRequests: requestIDs, on: connection)
        }
        return ended
    }

    /// A LINE user who blocked the official account and then unblocked it gets their link back, as a new
    /// link row, when it ended by that block and neither side has linked elsewhere since.
    static func reactivateLinkAfterFollow(lineUserID: String, now: Date, on connection: Connection) throws
        -> ChangedLink?
    {
        guard
            let last = try connection.queryFirst(
                """
                SELECT resident_id, linked_by, active, unlinked_reason FROM line_links
                WHERE line_user_id = ? ORDER BY id DESC LIMIT 1
                """, lineUserID),
            try last.get("active", as: Bool.self) == false,
            try last.get("unlinked_reason", as: String?.self) == UnlinkReason.unfollow.rawValue
        else { return nil }
        let residentID: Int64 = try last.get("resident_id")
        guard
            try connection.queryFirst(
                "SELECT 1 FROM line_links WHERE active = 1 AND (resident_id = ? OR line_user_id = ?)", residentID,
                lineUserID) == nil
        else { return nil }
        try connection.run(
            "INSERT INTO line_links (resident_id, line_user_id, active, linked_at, linked_by) VALUES (?, ?, 1, ?, ?)",
            residentID, lineUserID, now, try last.get("linked_by", as: String.self))
        return ChangedLink(linkID: connection.lastInsertRowID, residentID: residentID)
    }

    public func fetchActiveLink(residentID: Int64) throws -> LINELink? {
        try database.read { connection in
            try connection.queryFirst("SELECT * FROM line_links WHERE resident_id = ? AND active = 1", residentID)
                .map(Self.lineLink)
        }
    }

    public func fetchActiveLink(lineUserID: String) throws -> LINELink? {
        try database.read { connection in
            try connection.queryFirst("SELECT * FROM line_links WHERE line_user_id = ? AND active = 1", lineUserID)
                .map(Self.lineLink)
        }
    }

    static func lineLink(_ row: Row) throws -> LINELink {
        LINELink(
            id: try row.get("id"), residentID: try row.get("resident_id"), lineUserID: try row.get("line_user_id"),
            active: try row.get("active"), linkedAt: try row.get("linked_at"),
            linkedBy: LinkIssuer(rawValue: try row.get("linked_by")) ?? .resident,
            unlinkedAt: try row.get("unlinked_at"),
            unlinkedReason: try row.get("unlinked_reason", as: String?.self).flatMap(UnlinkReason.init(rawValue:)))
    }

    // MARK: Webhook events

    /// Stores events as received; an event whose webhookEventId is already stored (a redelivery) is skipped.
    /// Returns how many were new.
    @discardableResult
    public func insertWebhookEvents(_ events: [WebhookEvent], now: Date) throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try database.write { connection in
            var inserted = 0
            for event in events {
                inserted += try connection.run(
                    """
                    INSERT INTO line_webhook_events (webhook_event_id, type, source_user_id, payload, is_redelivery,
                        received_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (webhook_event_id) DO NOTHING
                    """, event.webhookEventID, event.type, event.userID, String(decoding: event.json, as: UTF8.self),
                    event.isRedelivery, now)
            }
            return inserted
        }
    }

    public struct StoredWebhookEvent: Sendable, Equatable {
        public let id: Int64
        public let event: WebhookEvent
        public let receivedAt: Date
    }

    /// Events not processed yet, in the order they happened (LINE's timestamp), then as received.
    public func fetchUnprocessedWebhookEvents(limit: Int) throws -> [StoredWebhookEvent] {
        try database.read { connection in
            try connection.query(
                """
                SELECT id, payload, received_at FROM line_webhook_events WHERE processed_at IS NULL
                ORDER BY coalesce(json_extract(payload, '$.timestamp'), 0), id LIMIT ?
                """,
                limit
            ).compactMap { row in
                guard let event = WebhookEvent(json: Data(try row.get("payload", as: String.self).utf8)) else {
                    return nil
                }
                return StoredWebhookEvent(id: try row.get("id"), event: event, receivedAt: try row.get("received_at"))
            }
        }
    }

    /// The newest `timestamp` among this LINE user's processed events with one of `outcomes`, or nil.
    static func newestAppliedEventTimestamp(lineUserID: String, outcomes: [String], on connection: Connection) throws
        -> Int64?
    {
        try connection.scalar(
            """
            SELECT max(json_extract(payload, '$.timestamp')) FROM line_webhook_events
            WHERE source_user_id = ? AND processed_at IS NOT NULL
              AND outcome IN (SELECT value FROM json_each(?))
            """, lineUserID, jsonText(outcomes), as: Int64?.self) ?? nil
    }

    /// Marks an event done with its outcome and replaces the stored payload with `redactedPayload` (the
    /// event without the message text, which may hold anything a resident typed).
    static func markWebhookEventProcessed(
        id: Int64, outcome: String, redactedPayload: Data, now: Date, on connection: Connection
    ) throws {
        try connection.run(
            "UPDATE line_webhook_events SET processed_at = ?, outcome = ?, payload = ? WHERE id = ? AND processed_at IS NULL",
            now, outcome, String(decoding: redactedPayload, as: UTF8.self), id)
    }

    /// For events whose payload no longer parses: mark them so they never block the queue.
    func markUnreadableWebhookEventsProcessed(now: Date) throws {
        try database.write { connection in
            try connection.run(
                """
                UPDATE line_webhook_events SET processed_at = ?, outcome = 'unreadable'
                WHERE processed_at IS NULL AND json_extract(payload, '$.webhookEventId') IS NULL
                """, now)
        }
    }
}

extension NoticeStore {
    /// When the resident's active link started, or nil: all マイページ and the counter need (never the LINE
    /// user id, which stays out of every page).
    static func fetchActiveLinkDate(residentID: Int64, on connection: Connection) throws -> Date? {
        try connection.scalar(
            "SELECT linked_at FROM line_links WHERE resident_id = ? AND active = 1", residentID, as: Date.self)
    }
}
