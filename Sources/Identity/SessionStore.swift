import Foundation
import Store

/// All SQL on `sessions`.
public enum SessionStore {
    private static let columns =
        "id, subject_type, subject_id, csrf_token, created_at, last_seen_at, absolute_expires_at"

    public static func insertSession(
        tokenHash: String, subject: SessionSubject, csrfToken: String, at time: Date, absoluteExpiresAt: Date,
        on connection: Connection
    ) throws -> Int64 {
        try connection.run(
            """
            INSERT INTO sessions (token_hash, subject_type, subject_id, csrf_token, created_at, last_seen_at,
                absolute_expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, tokenHash, subject.type, subject.id, csrfToken, time, time, absoluteExpiresAt)
        return connection.lastInsertRowID
    }

    public static func fetchSession(tokenHash: String, on connection: Connection) throws -> Session? {
        try connection.queryFirst("SELECT \(columns) FROM sessions WHERE token_hash = ?", tokenHash).map(decode)
    }

    /// Records activity, which pushes the idle timeout back.
    public static func touchSession(id: Int64, at time: Date, on connection: Connection) throws {
        try connection.run("UPDATE sessions SET last_seen_at = ? WHERE id = ?", time, id)
    }

    public static func deleteSession(id: Int64, on connection: Connection) throws {
        try connection.run("DELETE FROM sessions WHERE id = ?", id)
    }

    @discardableResult
    public static func deleteSession(tokenHash: String, on connection: Connection) throws -> Int {
        try connection.run("DELETE FROM sessions WHERE token_hash = ?", tokenHash)
    }

    /// Ends every session of one person, e.g. when their password changes or their account is disabled.
    @discardableResult
    public static func deleteSessions(of subject: SessionSubject, on connection: Connection) throws -> Int {
        try connection.run("DELETE FROM sessions WHERE subject_type = ? AND subject_id = ?", subject.type, subject.id)
    }

    /// Removes sessions past either timeout, so the table holds only live sessions.
    @discardableResult
    public static func deleteExpiredSessions(
        at now: Date, staff: SessionPolicy, resident: SessionPolicy, on connection: Connection
    ) throws -> Int {
        try connection.run(
            """
            DELETE FROM sessions
            WHERE absolute_expires_at <= ?
               OR (subject_type = 'staff' AND last_seen_at <= ?)
               OR (subject_type = 'resident' AND last_seen_at <= ?)
            """, now, now.addingTimeInterval(-staff.idleTimeout), now.addingTimeInterval(-resident.idleTimeout))
    }

    private static func decode(_ row: Row) throws -> Session {
        guard let subject = SessionSubject(type: try row.get("subject_type"), id: try row.get("subject_id")) else {
            throw RowDecodingError(column: "subject_type", reason: "unknown subject type")
        }
        return Session(
            id: try row.get("id"), subject: subject, csrfToken: try row.get("csrf_token"),
            createdAt: try row.get("created_at"), lastSeenAt: try row.get("last_seen_at"),
            absoluteExpiresAt: try row.get("absolute_expires_at"))
    }
}
