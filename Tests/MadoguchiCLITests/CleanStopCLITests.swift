import Foundation
import Store
import TestSupport
import Testing

/// After a command ends, or `serve` stops on SIGTERM, the `.sqlite` file alone holds everything: SQLite has
/// checkpointed the WAL and removed it. An operator copying just that file (scp, a file-level backup) must
/// not get an empty database.
@Suite("A clean stop leaves every row in the .sqlite file and no WAL")
struct CleanStopCLITests {
    let directory = TemporaryDirectory()

    private func expectEverythingInTheMainFileAlone(_ path: String, staffLogin: String? = nil) throws {
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the WAL is left behind")
        let copy = TemporaryDirectory("madoguchi-copy")
        try FileManager.default.copyItem(atPath: path, toPath: copy.path("copy.sqlite"))
        let database = try Database(path: copy.path("copy.sqlite"))
        defer { database.close() }
        let migrationFiles = try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.migrations.path)
            .filter { $0.hasSuffix(".sql") }
        let applied = try database.read { connection in
            try connection.queryFirst(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") == nil
                ? 0 : try connection.scalar("SELECT count(*) FROM schema_migrations", as: Int.self) ?? 0
        }
        #expect(applied == migrationFiles.count, "the copy holds every migration")
        if let staffLogin {
            let staff = try database.read {
                try $0.scalar("SELECT count(*) FROM staff WHERE login_id = ?", staffLogin, as: Int.self)
            }
            #expect(staff == 1, "the copy holds the staff row")
        }
    }

    @Test func migrate_leavesEveryTableInTheMainFile() throws {
        let path = directory.path("migrated.sqlite")
        let migrated = try ProcessRunner.run(["migrate", "--db", path])
        #expect(migrated.exitCode == 0, "\(migrated.stderr)")
        try expectEverythingInTheMainFileAlone(path)
    }

    @Test func staffAdd_leavesItsRowInTheMainFile() throws {
        let path = directory.path("staff.sqlite")
        let added = try ProcessRunner.run(
            [
                "staff", "add", "--db", path, "--login", "suzuki", "--name", "鈴木 太郎", "--role", "admin",
                "--department", "総務課", "--password-stdin",
            ], stdin: "a long enough passphrase\n")
        #expect(added.exitCode == 0, "\(added.stderr)")
        try expectEverythingInTheMainFileAlone(path, staffLogin: "suzuki")
    }

    @Test func serve_stoppedWithSIGTERM_leavesEveryTableInTheMainFile() throws {
        let path = directory.path("serve.sqlite")
        let server = try RunningServer(arguments: ["--db", path])
        #expect(try LiveCheck.get(port: server.port, path: "/healthz") == 200)
        let (exitCode, stderr) = server.stop(signal: SIGTERM)
        #expect(exitCode == 0, "\(stderr)")
        try expectEverythingInTheMainFileAlone(path)
    }
}
