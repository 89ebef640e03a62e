import CSQLite

/// An error reported by SQLite, with the statement that caused it.
///
/// Bound values are never part of the error or its description: they hold residents' personal data, and
/// errors end up in logs.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The primary result code, e.g. `SQLITE_CONSTRAINT`. https://sqlite.org/rescode.html
    public let code: Int32
    /// The extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code & 0xFF
        self.extendedCode = code
        self.message = message
        self.sql = sql
    }

    init(connection: OpaquePointer?, code: Int32, sql: String?) {
        let message =
            connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        self.init(code: extended == 0 ? code : extended, message: message, sql: sql)
    }

    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    public var isUniqueViolation: Bool {
        // SQLITE_CONSTRAINT_UNIQUE (2067) and _PRIMARYKEY (1555) are composite macros Swift cannot import.
        extendedCode == 2067 || extendedCode == 1555
    }
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// The database cannot store the write: SQLITE_FULL (the OS said ENOSPC, or `max_page_count` was reached)
    /// or any SQLITE_IOERR, which on the writer means a write, fsync or truncate the storage refused.
    public var isStorageFailure: Bool { code == SQLITE_FULL || code == SQLITE_IOERR }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }
}
