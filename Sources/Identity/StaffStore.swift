import Foundation
import ServiceKit
import Store

/// All SQL on `staff`. Callers pass the connection: a reader for lookups, the writer inside
/// `database.write` for changes (together with their audit row).
public enum StaffStore {
    public enum RegistrationConflict: Error, Equatable, CustomStringConvertible {
        case loginIDTaken
        public var description: String { "that login id is already in use" }
    }

    private static let columns = "id, login_id, display_name, role, department, disabled_at, created_at"

    /// Inserts an account and returns its id; a login id already in use throws `.loginIDTaken`.
    public static func insertStaff(
        _ member: NewStaffMember, passwordHash: String, at time: Date, on connection: Connection
    ) throws -> Int64 {
        do {
            try connection.run(
                """
                INSERT INTO staff (login_id, display_name, role, department, password_hash, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, member.loginID, member.displayName, member.role.rawValue, member.department.rawValue,
                passwordHash, time, time)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw RegistrationConflict.loginIDTaken
        }
        return connection.lastInsertRowID
    }

    public static func fetchStaff(id: Int64, on connection: Connection) throws -> StaffMember? {
        try connection.queryFirst("SELECT \(columns) FROM staff WHERE id = ?", id).map(decode)
    }

    public static func fetchStaff(loginID: String, on connection: Connection) throws -> StaffMember? {
        try connection.queryFirst("SELECT \(columns) FROM staff WHERE login_id = ?", loginID).map(decode)
    }

    /// Every account, active ones first, then by login id.
    public static func fetchAllStaff(on connection: Connection) throws -> [StaffMember] {
        try connection.query(
            "SELECT \(columns) FROM staff ORDER BY disabled_at IS NOT NULL, login_id"
        ).map(decode)
    }

    /// The id and password hash of an active account, for the password identity provider.
    static func fetchActiveCredentials(loginID: String, on connection: Connection) throws -> (
        id: Int64, passwordHash: String
    )? {
        guard
            let row = try connection.queryFirst(
                "SELECT id, password_hash FROM staff WHERE login_id = ? AND disabled_at IS NULL", loginID)
        else { return nil }
        return (try row.get("id"), try row.get("password_hash"))
    }

    /// Marks the account disabled. Returns false when there was no active account with that id.
    @discardableResult
    public static func disableStaff(id: Int64, at time: Date, on connection: Connection) throws -> Bool {
        try connection.run(
            "UPDATE staff SET disabled_at = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL", time, time, id)
            == 1
    }

    public static func updatePasswordHash(staffID: Int64, hash: String, at time: Date, on connection: Connection)
        throws
    {
        try connection.run("UPDATE staff SET password_hash = ?, updated_at = ? WHERE id = ?", hash, time, staffID)
    }

    private static func decode(_ row: Row) throws -> StaffMember {
        let roleText: String = try row.get("role")
        let departmentText: String = try row.get("department")
        guard let role = StaffRole(rawValue: roleText) else {
            throw RowDecodingError(column: "role", reason: "unknown role")
        }
        guard let department = Department(rawValue: departmentText) else {
            throw RowDecodingError(column: "department", reason: "unknown department")
        }
        return StaffMember(
            id: try row.get("id"), loginID: try row.get("login_id"), displayName: try row.get("display_name"),
            role: role, department: department, disabledAt: try row.get("disabled_at"),
            createdAt: try row.get("created_at"))
    }
}
