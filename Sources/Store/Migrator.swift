import Cryptography
import Foundation

/// One forward-only schema change, read from `Schemas/migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    public let sha256: String
}

public enum MigrationError: Error, CustomStringConvertible, Sendable {
    case unreadableDirectory(String)
    case badFileName(String)
    case duplicateVersion(Int)
    case gapInNumbering(expected: Int, found: Int)
    case checksumMismatch(version: Int, name: String)
    case unknownAppliedVersion(Int)
    case failed(version: Int, name: String, underlying: String)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path): "cannot read migrations directory \(path)"
        case .badFileName(let name): "migration file \(name) is not named NNNN_lower_snake_name.sql"
        case .duplicateVersion(let version): "two migration files have number \(version)"
        case .gapInNumbering(let expected, let found):
            "migration numbering has a gap: expected \(expected), found \(found)"
        case .checksumMismatch(let version, let name):
            "migration \(version) (\(name)) was changed after it was applied; write a new migration instead"
        case .unknownAppliedVersion(let version):
            "the database has migration \(version) applied, which this build does not know; is it older than the database?"
        case .failed(let version, let name, let underlying):
            "migration \(version) (\(name)) failed: \(underlying)"
        }
    }
}

/// Applies the numbered SQL files in order, each in its own transaction, and records each with its sha256
/// in `schema_migrations`, so an edited, already-applied file is caught instead of silently diverging.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// Loads `NNNN_name.sql` files from `directory`; numbering must start at 1 and have no gaps.
    public init(directory: URL) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw MigrationError.unreadableDirectory(directory.path)
        }
        var migrations: [Migration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let parts = fileName.dropLast(4).split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]),
                parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }), parts[1].allSatisfy(\.isASCII)
            else { throw MigrationError.badFileName(fileName) }
            let data = try Data(contentsOf: directory.appendingPathComponent(fileName))
            migrations.append(
                Migration(
                    version: version, name: String(parts[1]), sql: String(decoding: data, as: UTF8.self),
                    sha256: Digest.sha256Hex(data)))
        }
        for (index, migration) in migrations.enumerated() {
            if index > 0, migrations[index - 1].version == migration.version {
                throw MigrationError.duplicateVersion(migration.version)
            }
            guard migration.version == index + 1 else {
                throw MigrationError.gapInNumbering(expected: index + 1, found: migration.version)
            }
        }
        self.migrations = migrations
    }

    /// Applies what is missing and returns the versions it applied.
    @discardableResult
    public func migrate(_ database: Database) throws -> [Int] {
        try database.write { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                ) STRICT
                """)
        }
        let applied = try database.read { connection in
            try connection.query("SELECT version, sha256 FROM schema_migrations ORDER BY version").map {
                (try $0.get("version", as: Int.self), try $0.get("sha256", as: String.self))
            }
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied {
            guard let migration = known[version] else { throw MigrationError.unknownAppliedVersion(version) }
            guard migration.sha256 == checksum else {
                throw MigrationError.checksumMismatch(version: version, name: migration.name)
            }
        }
        let appliedVersions = Set(applied.map(\.0))
        var newlyApplied: [Int] = []
        for migration in migrations where !appliedVersions.contains(migration.version) {
            do {
                try database.write { connection in
                    try connection.execute(migration.sql)
                    try connection.run(
                        "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
                        migration.version, migration.name, migration.sha256, Date())
                }
            } catch {
                throw MigrationError.failed(
                    version: migration.version, name: migration.name, underlying: "\(error)")
            }
            newlyApplied.append(migration.version)
        }
        return newlyApplied
    }
}
