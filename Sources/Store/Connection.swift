import CSQLite
import Foundation

/// One SQLite connection. Not thread-safe: a connection belongs to the serial writer or is lent from the
/// reader pool to one thread at a time. `Database` enforces that; nothing else should hold one.
public final class Connection {
    let handle: OpaquePointer
    /// The database file this connection opened, as given: a key for per-database caches of values that
    /// never change once committed (see `UsageEvents`).
    public let path: String
    private var statementCache: [String: Statement] = [:]
    private var savepointDepth = 0
    private var isClosed = false

    init(path: String, readOnly: Bool, configuration: DatabaseConfiguration) throws {
        var connection: OpaquePointer?
        // NOMUTEX: each connection is confined to one thread at a time by Database, so SQLite's own
        // per-connection mutex would be pure overhead. https://sqlite.org/threadsafe.html
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = SQLiteError(connection: connection, code: code, sql: nil)
            sqlite3_close_v2(connection)
            throw error
        }
        self.handle = connection
        self.path = path
        sqlite3_busy_timeout(connection, Int32(configuration.busyTimeoutMilliseconds))
        try execute("PRAGMA foreign_keys = ON")
        if readOnly {
            try execute("PRAGMA query_only = ON")
        } else {
            // https://sqlite.org/wal.html — readers never block the writer and the writer never blocks readers.
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = \(configuration.synchronous.rawValue)")
            try execute("PRAGMA journal_size_limit = 67108864")
        }
        try execute("PRAGMA temp_store = MEMORY")
    }

    deinit {
        close()
    }

    /// Finalizes the cached statements and closes the handle; the connection must not be used afterwards.
    /// Closing when the owner is done, rather than whenever the last reference goes, is what lets the last
    /// connection on the file checkpoint the WAL and delete it (https://sqlite.org/wal.html#walfile).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: Running SQL

    /// Runs one or more statements with no arguments (migrations, pragmas). https://sqlite.org/c3ref/exec.html
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: any SQLBindable...) throws -> Int {
        try run(sql, arguments: arguments)
    }

    @discardableResult
    public func run(_ sql: String, arguments: [any SQLBindable]) throws -> Int {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments.map(\.sqlValue))
        while try statement.step() {}
        return Int(sqlite3_changes64(handle))
    }

    /// Runs one query and returns every row.
    public func query(_ sql: String, _ arguments: any SQLBindable...) throws -> [Row] {
        try query(sql, arguments: arguments)
    }

    public func query(_ sql: String, arguments: [any SQLBindable]) throws -> [Row] {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments.map(\.sqlValue))
        var rows: [Row] = []
        while try statement.step() {
            rows.append(statement.currentRow())
        }
        return rows
    }

    /// Runs one query and returns its first row, or nil.
    public func queryFirst(_ sql: String, _ arguments: any SQLBindable...) throws -> Row? {
        try queryFirst(sql, arguments: arguments)
    }

    public func queryFirst(_ sql: String, arguments: [any SQLBindable]) throws -> Row? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(arguments.map(\.sqlValue))
        return try statement.step() ? statement.currentRow() : nil
    }

    /// The first column of the first row, e.g. `SELECT count(*) ...`.
    public func scalar<T: SQLReadable>(_ sql: String, _ arguments: any SQLBindable..., as type: T.Type = T.self)
        throws -> T?
    {
        guard let row = try queryFirst(sql, arguments: arguments) else { return nil }
        return try row.get(0, as: T.self)
    }

    /// https://sqlite.org/c3ref/last_insert_rowid.html
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` inside a SAVEPOINT: a throw rolls back only what `body` did and rethrows.
    /// Write closures already run in their own savepoint; use this for a smaller unit inside one.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        let name = "madoguchi_sp\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try run("SAVEPOINT \(name)")
        do {
            let result = try body()
            try run("RELEASE \(name)")
            return result
        } catch {
            // The first error is the one worth reporting; a failing rollback only adds noise.
            _ = try? run("ROLLBACK TO \(name)")
            _ = try? run("RELEASE \(name)")
            throw error
        }
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    private func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try Statement(connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }
}
