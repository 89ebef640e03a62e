import Foundation
import Store

// Debug builds only: `bench/line-send` builds the fake LINE server (which links TestSupport) in release, where
// no module is compiled for testing.
#if DEBUG
    @testable import Notices

// Reads only tests need: how the outbox, the links and the webhook log look after an operation. They were
// NoticeStore's public API with no caller in Sources.
extension NoticeStore {
    /// Requests by state across all notices, for metrics and the console.
    public func countRequestsByState() throws -> [NoticeRequestState: Int] {
        try database.read { connection in
            var counts: [NoticeRequestState: Int] = [:]
            for row in try connection.query("SELECT state, count(*) AS count FROM notice_requests GROUP BY state") {
                if let state = NoticeRequestState(rawValue: try row.get("state")) {
                    counts[state] = try row.get("count")
                }
            }
            return counts
        }
    }

    /// How each targeted resident of a notice is reached; for tests and the console's notice page.
    public func fetchDeliveries(noticeID: Int64) throws -> [(
        residentID: Int64, delivery: String, reason: FallbackReason?
    )] {
        try database.read { connection in
            try connection.query(
                "SELECT resident_id, delivery, fallback_reason FROM notice_recipients WHERE notice_id = ? ORDER BY resident_id",
                noticeID
            ).map { row in
                (
                    try row.get("resident_id"), try row.get("delivery"),
                    try row.get("fallback_reason", as: String?.self).flatMap(FallbackReason.init(rawValue:))
                )
            }
        }
    }

    public func fetchRequest(id: Int64) throws -> OutboxRequest? {
        try database.read { connection in
            try connection.queryFirst("SELECT * FROM notice_requests WHERE id = ?", id).map(Self.outboxRequest)
        }
    }

    /// Every link the resident has had, newest first.
    public func fetchLinkHistory(residentID: Int64) throws -> [LINELink] {
        try database.read { connection in
            try connection.query("SELECT * FROM line_links WHERE resident_id = ? ORDER BY id DESC", residentID)
                .map(Self.lineLink)
        }
    }

    public func fetchWebhookEventOutcome(webhookEventID: String) throws -> (processed: Bool, outcome: String?)? {
        try database.read { connection in
            try connection.queryFirst(
                "SELECT processed_at, outcome FROM line_webhook_events WHERE webhook_event_id = ?", webhookEventID
            ).map { (try $0.get("processed_at", as: Date?.self) != nil, try $0.get("outcome")) }
        }
    }

}

extension Database {
    /// `PRAGMA integrity_check` on a reader; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try read { try $0.scalar("PRAGMA integrity_check", as: String.self) ?? "no result" }
    }
}
#endif
