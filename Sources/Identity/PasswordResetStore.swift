import Foundation
import Store

/// All SQL on `password_reset_codes`.
public enum PasswordResetStore {
    /// Stores a new code and withdraws any unused older one, so only the latest paper works.
    public static func insertCode(
        residentID: Int64, codeHash: String, issuedByStaffID: Int64, at time: Date, expiresAt: Date,
        on connection: Connection
    ) throws -> Int64 {
        try connection.run("DELETE FROM password_reset_codes WHERE resident_id = ? AND used_at IS NULL", residentID)
        try connection.run(
            """
            INSERT INTO password_reset_codes (resident_id, code_hash, issued_by_staff_id, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?)
            """, residentID, codeHash, issuedByStaffID, time, expiresAt)
        return connection.lastInsertRowID
    }

    /// The unused, unexpired code of a resident, if any.
    public static func fetchActiveCode(residentID: Int64, at now: Date, on connection: Connection) throws -> (
        id: Int64, codeHash: String
    )? {
        guard
            let row = try connection.queryFirst(
                """
                SELECT id, code_hash FROM password_reset_codes
                WHERE resident_id = ? AND used_at IS NULL AND expires_at > ?
                ORDER BY id DESC LIMIT 1
                """, residentID, now)
        else { return nil }
        return (try row.get("id"), try row.get("code_hash"))
    }

    /// Marks the code used; false when it was used (or withdrawn) in the meantime.
    public static func markCodeUsed(id: Int64, at time: Date, on connection: Connection) throws -> Bool {
        try connection.run(
            "UPDATE password_reset_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", time, id) == 1
    }
}
