import Foundation
import Identity
import Security
import ServiceKit
import Store

/// Reads and writes only the staff console needs: template edits, per-notice recipient counts, districts,
/// the audited fallback list and the dashboard's counts.
extension NoticeStore {
    public enum TemplateSaveError: Error, Equatable, Sendable {
        case nameTaken
        case notFound
    }

    /// Renames and rewrites template `id`. Notices already created keep their own copy of the texts.
    public func updateTemplate(id: Int64, name: String, messages: [String], now: Date) throws {
        guard !messages.isEmpty else { throw NoticeValidationError.noMessages }
        guard messages.count <= LINELimits.maximumMessagesPerRequest else {
            throw NoticeValidationError.tooManyMessages(count: messages.count)
        }
        for text in messages { _ = try MessageTemplate(text) }
        try database.write { connection in
            if try connection.queryFirst("SELECT 1 FROM notice_templates WHERE name = ? AND id <> ?", name, id) != nil {
                throw TemplateSaveError.nameTaken
            }
            let changed = try connection.run(
                "UPDATE notice_templates SET name = ?, messages = ?, updated_at = ? WHERE id = ?", name,
                Self.jsonText(messages), now, id)
            guard changed == 1 else { throw TemplateSaveError.notFound }
        }
    }

    public func fetchTemplate(name: String) throws -> SavedTemplate? {
        try fetchTemplates().first { $0.name == name }
    }

    /// How a notice's targeted residents are reached, counted per resident (a multicast counts each of its
    /// recipients). `failed` and `unknown` residents are also in `fallback`: that is where they went.
    public struct RecipientCounts: Sendable, Equatable {
        public var sent = 0
        public var pending = 0
        public var failed = 0
        public var unknown = 0
        public var fallback = 0
        /// Fallback entries staff have not marked handled yet.
        public var fallbackOpen = 0
    }

    public func fetchRecipientCounts(noticeIDs: [Int64]) throws -> [Int64: RecipientCounts] {
        guard !noticeIDs.isEmpty else { return [:] }
        return try database.read { connection in
            var counts: [Int64: RecipientCounts] = [:]
            for row in try connection.query(
                """
                SELECT nr.notice_id,
                  sum(nr.delivery = 'line' AND q.state = 'sent') AS sent,
                  sum(nr.delivery = 'line' AND q.state IN ('pending', 'sending')) AS pending,
                  sum(nr.fallback_reason = 'failed') AS failed,
                  sum(nr.fallback_reason = 'unknown') AS unknown,
                  sum(nr.delivery = 'fallback') AS fallback,
                  sum(nr.delivery = 'fallback' AND nr.fallback_handled_at IS NULL) AS fallback_open
                FROM notice_recipients nr
                LEFT JOIN notice_requests q ON q.id = nr.request_id
                WHERE nr.notice_id IN (SELECT value FROM json_each(?))
                GROUP BY nr.notice_id
                """, Self.jsonText(noticeIDs))
            {
                counts[try row.get("notice_id")] = RecipientCounts(
                    sent: try row.get("sent"), pending: try row.get("pending"), failed: try row.get("failed"),
                    unknown: try row.get("unknown"), fallback: try row.get("fallback"),
                    fallbackOpen: try row.get("fallback_open"))
            }
            return counts
        }
    }

    public struct DistrictChoice: Sendable, Equatable {
        public let code: String
        public let name: String
    }

    public func fetchDistricts() throws -> [DistrictChoice] {
        try database.read { connection in
            try ResidentStore.fetchDistricts(on: connection).map { DistrictChoice(code: $0.code, name: $0.name) }
        }
    }

    /// The fallback list for a staff member, with the look at names, addresses and phone numbers written to
    /// the audit log in the same write: there is no way to read the list without leaving a row.
    public func fetchFallbackListAudited(
        noticeID: Int64?, includeHandled: Bool, event: AuditEvent, now: Date
    ) throws -> [FallbackEntry] {
        // Reading an empty list is still a read of the list: logged even when it holds nobody.
        try database.auditedRead(event, at: now) {
            try Self.fetchFallbackList(noticeID: noticeID, includeHandled: includeHandled, on: $0)
        } ?? []
    }

    /// Marks an entry handled, audited in the same write.
    @discardableResult
    public func markFallbackHandled(noticeID: Int64, residentID: Int64, event: AuditEvent, now: Date) throws -> Bool {
        try database.write { connection in
            let changed = try connection.run(
                """
                UPDATE notice_recipients SET fallback_handled_at = ?, fallback_handled_by = ?
                WHERE notice_id = ? AND resident_id = ? AND delivery = 'fallback' AND fallback_handled_at IS NULL
                """, now, Self.actorLabel(event.actor), noticeID, residentID)
            if changed == 1 { try AuditLog.append(event, at: now, on: connection) }
            return changed == 1
        }
    }

    static func actorLabel(_ actor: AuditActor) -> String {
        switch actor {
        case .staff(let id): "staff:\(id)"
        case .resident(let id): "resident:\(id)"
        case .job(let name): "job:\(name)"
        case .guest: "guest"
        case .system: "system"
        }
    }

    /// For the dashboard tile: notices still going out, notices that need a look, open fallback entries.
    public struct ConsoleCounts: Sendable, Equatable {
        public let queued: Int
        public let needsAttention: Int
        public let openFallback: Int
    }

    static func fetchConsoleCounts(on connection: Connection) throws -> ConsoleCounts {
        let row = try connection.queryFirst(
            """
            SELECT (SELECT count(*) FROM notices WHERE status = 'queued') AS queued,
                   (SELECT count(*) FROM notices WHERE status = 'needs_attention') AS attention,
                   (SELECT count(*) FROM notice_recipients WHERE delivery = 'fallback'
                        AND fallback_handled_at IS NULL) AS open_fallback
            """)!
        return ConsoleCounts(
            queued: try row.get("queued"), needsAttention: try row.get("attention"),
            openFallback: try row.get("open_fallback"))
    }
}
