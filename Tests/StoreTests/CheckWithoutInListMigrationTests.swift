import Foundation
import Store
import TestSupport
import Testing

/// The migration that rewrites `CHECK (x IN (…))` as `(x = … OR …)` edits the stored schema text instead of
/// rebuilding the tables, so it must keep every row (attachments hang on applications by ON DELETE CASCADE),
/// leave a database that passes `integrity_check`, keep refusing what the old checks refused, and leave no
/// insert that builds an ephemeral b-tree for a constraint.
@Suite("CHECK constraints without IN lists")
struct CheckWithoutInListMigrationTests {
    let directory = TemporaryDirectory()

    /// The version of the migration under test, found by name so renumbering it does not break the test.
    var version: Int {
        get throws {
            let names = try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.migrations.path)
            let name = try #require(names.first { $0.hasSuffix("_checks_without_in_lists.sql") })
            return Int(name.prefix(4))!
        }
    }

    /// The tables each submission, audit row, sign-in and LINE send writes.
    static let hotTables = [
        "applications", "application_events", "application_attachments", "resident_messages", "audit_log",
        "sessions", "notices", "notice_requests", "notice_recipients", "line_links",
    ]

    @Test func rowsStay_integrityHolds_andTheChecksStillRefuse() throws {
        let path = directory.path("checks.sqlite")
        let database = try Database(path: path)
        defer { database.close() }
        try Migrator(directory: try directory.migrations(through: try version - 1)).migrate(database)
        try database.write { connection in
            try insertReceivedApplication(on: connection)
            try connection.run(
                """
                INSERT INTO application_attachments (application_id, field, filename, content_type, size, sha256, data,
                    created_at)
                VALUES (41, 'photo', 'a.png', 'image/png', 1, ?, x'00', '2026-05-01T00:00:00.000Z')
                """, String(repeating: "0", count: 64))
        }
        // A second connection opened before the migration must see the new constraints too.
        let other = try Database(path: path)
        defer { other.close() }
        _ = try other.read { try $0.scalar("SELECT count(*) FROM applications", as: Int64.self) }

        let applied = try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        #expect(applied.contains(try version))

        let (integrity, attachments, inLists) = try database.read { connection in
            (
                try connection.scalar("PRAGMA integrity_check", as: String.self),
                try connection.scalar(
                    "SELECT count(*) FROM application_attachments WHERE application_id = 41", as: Int64.self),
                try connection.query("SELECT name FROM sqlite_schema WHERE sql GLOB '* IN (*'").map {
                    try $0.get("name", as: String.self)
                }
            )
        }
        #expect(integrity == "ok")
        #expect(attachments == 1)
        #expect(inLists == [])

        for table in Self.hotTables {
            let program = try database.read { try $0.query("EXPLAIN INSERT INTO \(table) DEFAULT VALUES") }
            let ephemeral = try program.filter { try $0.get("opcode", as: String.self) == "OpenEphemeral" }
            #expect(ephemeral.isEmpty, "\(table) still builds an ephemeral b-tree per insert")
        }

        for db in [database, other] {
            let refused = #expect(throws: SQLiteError.self) {
                try db.write { connection in
                    try connection.run("UPDATE applications SET channel = 'fax' WHERE id = 41")
                }
            }
            #expect(refused?.message.contains("channel = 'web'") == true)
        }
        #expect(throws: SQLiteError.self) {
            try database.write { try $0.run("UPDATE applications SET status = 'lost' WHERE id = 41") }
        }
        // A closed status still needs closed_at: the parenthesised OR keeps the comparison's meaning.
        #expect(throws: SQLiteError.self) {
            try database.write { try $0.run("UPDATE applications SET status = 'completed' WHERE id = 41") }
        }
    }
}
