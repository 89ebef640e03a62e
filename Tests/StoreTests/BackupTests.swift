import Foundation
import Store
import TestSupport
import Testing

@Suite("Online backup and restore")
struct BackupTests {
    let directory = TemporaryDirectory()

    @Test func backup_takenWhileWritesContinue_passesIntegrityCheck() async throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try await database.write { try $0.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, body TEXT)") }
        let writer = Task {
            var written = 0
            while !Task.isCancelled && written < 5_000 {
                try await database.write {
                    try $0.run("INSERT INTO event (body) VALUES (?)", String(repeating: "x", count: 200))
                }
                written += 1
            }
            return written
        }
        while try database.read({ try $0.scalar("SELECT count(*) FROM event", as: Int.self) ?? 0 }) < 50 {
            await Task.yield()
        }
        let destination = directory.path("backup.sqlite")
        try database.backup(to: destination)
        writer.cancel()
        let written = try await writer.value

        let copy = try Database(path: destination)
        #expect(try copy.integrityCheck() == "ok")
        let copied = try copy.read { try $0.scalar("SELECT count(*) FROM event", as: Int.self) } ?? 0
        #expect(copied >= 50)
        #expect(copied <= written)
        #expect(!FileManager.default.fileExists(atPath: destination + ".partial"))
    }

    @Test func backup_isReadableAndWritableByItsOwnerOnly() throws {
        // It holds residents' personal data, like an audit export.
        let database = try Fixtures.makeDatabase(in: directory)
        let destination = directory.path("private.sqlite")
        try database.backup(to: destination)
        let permissions = try FileManager.default.attributesOfItem(atPath: destination)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "mode \(String(permissions ?? 0, radix: 8))")
    }

    @Test func backup_refusesToOverwriteAFile() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let destination = directory.path("exists.sqlite")
        _ = FileManager.default.createFile(atPath: destination, contents: Data("keep me".utf8))
        #expect(throws: BackupError.self) { try database.backup(to: destination) }
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "keep me")
    }

    @Test func restore_refusesAnExistingDatabaseUnlessForced() throws {
        let original = try Fixtures.makeDatabase(in: directory, name: "original.sqlite")
        try original.write { try $0.run("INSERT INTO app_settings VALUES ('town', '平取町', '2026-11-25T00:00:00.000Z')") }
        let backup = directory.path("backup.sqlite")
        try original.backup(to: backup)
        try original.write { try $0.run("UPDATE app_settings SET value = 'changed'") }
        original.close()

        let target = directory.path("original.sqlite")
        #expect(throws: BackupError.self) { try Database.restore(from: backup, to: target, force: false) }
        let untouched = try Database(path: target)
        #expect(try untouched.read { try $0.scalar("SELECT value FROM app_settings", as: String.self) } == "changed")
        untouched.close()

        try Database.restore(from: backup, to: target, force: true)
        let restored = try Database(path: target)
        #expect(try restored.read { try $0.scalar("SELECT value FROM app_settings", as: String.self) } == "平取町")
    }

    @Test func restore_intoAnEmptyPath_needsNoForce_andRejectsForeignFiles() throws {
        let original = try Fixtures.makeDatabase(in: directory, name: "original.sqlite")
        let backup = directory.path("backup.sqlite")
        try original.backup(to: backup)
        try Database.restore(from: backup, to: directory.path("fresh.sqlite"), force: false)

        let foreign = try Database(path: directory.path("foreign.sqlite"))
        try foreign.write { try $0.execute("CREATE TABLE other (x)") }
        foreign.close()
        #expect(throws: BackupError.self) {
            try Database.restore(
                from: directory.path("foreign.sqlite"), to: directory.path("fresh2.sqlite"), force: false)
        }
    }
}
