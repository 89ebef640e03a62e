import CSQLite
import Foundation

public enum BackupError: Error, CustomStringConvertible, Sendable {
    case destinationExists(String)
    case cannotCreate(String)
    case notAMadoguchiDatabase(String)
    case integrityCheckFailed(String, String)
    case targetExists(String)

    public var description: String {
        switch self {
        case .destinationExists(let path): "\(path) already exists; choose a new file name"
        case .cannotCreate(let path): "cannot create \(path); check the folder exists and is writable"
        case .notAMadoguchiDatabase(let path): "\(path) is not a Madoguchi database (no schema_migrations table)"
        case .integrityCheckFailed(let path, let result): "integrity check of \(path) failed: \(result)"
        case .targetExists(let path):
            "\(path) already holds a database; stop the server and pass --force to overwrite it"
        }
    }
}

extension Database {
    /// Copies the live database to `destination` while writes go on, using the online backup API on a
    /// connection of its own. WAL readers don't block the writer, so the server keeps serving.
    /// The copy is written beside the destination, checked with `PRAGMA integrity_check`, switched to a
    /// rollback journal so it is one self-contained file, and only then renamed into place.
    /// The copy holds residents' personal data, so it is readable by its owner only (0600, as an audit export).
    /// https://sqlite.org/backup.html
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BackupError.destinationExists(destination)
        }
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        // Created empty with its mode before SQLite writes a page: SQLite keeps an existing file's mode and
        // gives the copy's -wal and -shm the same one.
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw BackupError.cannotCreate(partial)
        }
        do {
            let source = try Connection(path: path, readOnly: true, configuration: configuration)
            let target = try Connection(path: partial, readOnly: false, configuration: configuration)
            try Self.copyPages(from: source, to: target)
            try target.execute("PRAGMA journal_mode = DELETE")
            try Self.checkIntegrity(of: target, path: destination)
        }
        try FileManager.default.moveItem(atPath: partial, toPath: destination)
    }

    /// Replaces the database at `target` with the backup at `source`. Refuses when `target` already holds a
    /// database unless `force` is set; with `force` the copy goes through the backup API into the target's own
    /// connection, so it happens in one transaction under SQLite's locks and never leaves a half-written file.
    public static func restore(from source: String, to target: String, force: Bool) throws {
        let configuration = DatabaseConfiguration()
        let sourceConnection = try Connection(path: source, readOnly: true, configuration: configuration)
        try checkIntegrity(of: sourceConnection, path: source)
        let hasMigrations =
            try sourceConnection.scalar(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'",
                as: Int.self) ?? 0
        guard hasMigrations == 1 else { throw BackupError.notAMadoguchiDatabase(source) }
        let targetHasData =
            FileManager.default.fileExists(atPath: target)
            && ((try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0) > 0
        if targetHasData && !force { throw BackupError.targetExists(target) }
        let targetConnection = try Connection(path: target, readOnly: false, configuration: configuration)
        try copyPages(from: sourceConnection, to: targetConnection)
        try checkIntegrity(of: targetConnection, path: target)
        try targetConnection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    private static func copyPages(from source: Connection, to target: Connection) throws {
        guard let backup = sqlite3_backup_init(target.handle, "main", source.handle, "main") else {
            throw SQLiteError(connection: target.handle, code: sqlite3_errcode(target.handle), sql: nil)
        }
        // -1 copies every page in one step; in WAL mode this holds only a read snapshot of the source.
        let stepCode = sqlite3_backup_step(backup, -1)
        let finishCode = sqlite3_backup_finish(backup)
        guard stepCode == SQLITE_DONE else {
            throw SQLiteError(code: stepCode, message: String(cString: sqlite3_errstr(stepCode)))
        }
        guard finishCode == SQLITE_OK else {
            throw SQLiteError(connection: target.handle, code: finishCode, sql: nil)
        }
    }

    static func checkIntegrity(of connection: Connection, path: String) throws {
        let result = try connection.scalar("PRAGMA integrity_check", as: String.self) ?? "no result"
        guard result == "ok" else { throw BackupError.integrityCheckFailed(path, result) }
    }

}
