import Foundation
import Store
import TestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    let directory = TemporaryDirectory()

    private func writeMigration(_ name: String, _ sql: String, in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try sql.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    @Test func repositoryMigrations_areNumberedWithoutGaps() throws {
        let migrator = try Migrator(directory: RepositoryPaths.migrations)
        #expect(!migrator.migrations.isEmpty)
        #expect(migrator.migrations.map(\.version) == Array(1...migrator.migrations.count))
    }

    @Test func migrate_appliesEachOnceAndRecordsItsChecksum() throws {
        let folder = directory.url.appendingPathComponent("migrations")
        try writeMigration("0001_first.sql", "CREATE TABLE a (x);", in: folder)
        try writeMigration("0002_second.sql", "CREATE TABLE b (y);", in: folder)
        let database = try Database(path: directory.path("db.sqlite"))
        let migrator = try Migrator(directory: folder)
        #expect(try migrator.migrate(database) == [1, 2])
        #expect(try migrator.migrate(database) == [], "a second run applies nothing")
        let recorded = try database.read {
            try $0.query("SELECT version, name, sha256 FROM schema_migrations ORDER BY version")
        }
        #expect(try recorded.map { try $0.get("name", as: String.self) } == ["first", "second"])
        #expect(try recorded[0].get("sha256", as: String.self) == migrator.migrations[0].sha256)
        #expect(migrator.migrations[0].sha256.count == 64)
    }

    @Test func migrate_refusesAnAppliedFileThatChanged() throws {
        let folder = directory.url.appendingPathComponent("migrations")
        try writeMigration("0001_first.sql", "CREATE TABLE a (x);", in: folder)
        let database = try Database(path: directory.path("db.sqlite"))
        try Migrator(directory: folder).migrate(database)
        try writeMigration("0001_first.sql", "CREATE TABLE a (x, extra);", in: folder)
        #expect {
            try Migrator(directory: folder).migrate(database)
        } throws: { error in
            guard case MigrationError.checksumMismatch(version: 1, name: "first") = error else { return false }
            return true
        }
    }

    @Test func loading_refusesGapsAndBadNames() throws {
        let gapped = directory.url.appendingPathComponent("gapped")
        try writeMigration("0001_first.sql", "SELECT 1;", in: gapped)
        try writeMigration("0003_third.sql", "SELECT 1;", in: gapped)
        #expect { try Migrator(directory: gapped) } throws: { error in
            guard case MigrationError.gapInNumbering(expected: 2, found: 3) = error else { return false }
            return true
        }
        let badName = directory.url.appendingPathComponent("bad")
        try writeMigration("1_Bad Name.sql", "SELECT 1;", in: badName)
        #expect(throws: MigrationError.self) { try Migrator(directory: badName) }
    }

    @Test func failingMigration_leavesNothingHalfApplied() throws {
        let folder = directory.url.appendingPathComponent("migrations")
        try writeMigration("0001_first.sql", "CREATE TABLE a (x);", in: folder)
        try writeMigration("0002_broken.sql", "CREATE TABLE b (y); INSERT INTO no_such_table VALUES (1);", in: folder)
        let database = try Database(path: directory.path("db.sqlite"))
        #expect(throws: MigrationError.self) { try Migrator(directory: folder).migrate(database) }
        let tables = try database.read {
            try $0.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").map {
                try $0.get("name", as: String.self)
            }
        }
        #expect(tables == ["a", "schema_migrations"], "table b was rolled back with its failing migration")
        #expect(try database.read { try $0.scalar("SELECT max(version) FROM schema_migrations", as: Int.self) } == 1)
    }
}
