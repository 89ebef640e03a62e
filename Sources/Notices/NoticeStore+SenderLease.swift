import Foundation
import Store

/// The sender lease (0008): one `notices send` at a time per database, so the rate each sender keeps to is the
/// rate LINE sees. The holder renews it while it runs; a killed holder's lease runs out on its own.
extension NoticeStore {
    /// Who holds the sender lease, as a sender that did not get it sees it.
    public struct SenderLease: Sendable, Equatable {
        public let owner: String
        public let expiresAt: Date
    }

    /// Takes the lease for `owner` until `expiresAt` if it is free, has run out, or is `owner`'s already.
    /// Returns nil when `owner` holds it now, and the other holder otherwise.
    public func acquireSenderLease(owner: String, now: Date, until expiresAt: Date) throws -> SenderLease? {
        try database.write { connection in
            let taken = try connection.run(
                """
                INSERT INTO notice_sender_lease (id, owner, acquired_at, expires_at) VALUES (1, ?1, ?2, ?3)
                ON CONFLICT (id) DO UPDATE
                SET owner = excluded.owner, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
                WHERE notice_sender_lease.expires_at <= ?2 OR notice_sender_lease.owner = ?1
                """, owner, now, expiresAt)
            guard taken == 0,
                let holder = try connection.queryFirst("SELECT owner, expires_at FROM notice_sender_lease WHERE id = 1")
            else { return nil }
            return SenderLease(owner: try holder.get("owner"), expiresAt: try holder.get("expires_at"))
        }
    }

    /// Pushes `owner`'s lease out to `expiresAt`. False when `owner` no longer holds it (it ran out and another
    /// sender took it): the caller must stop sending.
    public func renewSenderLease(owner: String, until expiresAt: Date) throws -> Bool {
        try database.write { connection in
            try connection.run(
                "UPDATE notice_sender_lease SET expires_at = ? WHERE id = 1 AND owner = ?", expiresAt, owner) == 1
        }
    }

    /// Gives the lease up at the end of a run, so the next run need not wait for it to run out.
    public func releaseSenderLease(owner: String) throws {
        try database.write { connection in
            _ = try connection.run("DELETE FROM notice_sender_lease WHERE owner = ?", owner)
        }
    }
}
