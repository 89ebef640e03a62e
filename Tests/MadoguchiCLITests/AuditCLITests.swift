import Foundation
// Security and Store are built for TestSupport; the tests use them only to write and tamper with rows
// the way the server and an attacker would, then judge the binary by its output and exit code.
import Security
import Store
import TestSupport
import Testing

@Suite("madoguchi audit verify / export")
struct AuditCLITests {
    let directory = TemporaryDirectory()

    /// A database migrated by the binary itself, holding `events` appended the way the server does.
    func makeMigratedDatabase(with events: [(AuditEvent, String)] = []) throws -> String {
        let path = directory.path("audit.sqlite")
        let migrate = try ProcessRunner.run(["migrate", "--db", path])
        #expect(migrate.exitCode == 0, "\(migrate.stderr)")
        if !events.isEmpty {
            let database = try Database(path: path)
            defer { database.close() }
            try database.write { connection in
                for (event, time) in events {
                    try AuditLog.append(event, at: UTCTimestamp.parse(time)!, on: connection)
                }
            }
        }
        return path
    }

    static let threeReads: [(AuditEvent, String)] = (1...3).map {
        (
            AuditEvent(actor: .staff(id: 1), action: "resident.read", subjectType: "resident", subjectID: String($0)),
            "2026-04-01T00:00:0\($0).000Z"
        )
    }

    @Test func verify_onAFreshDatabase_isIntact() throws {
        let path = try makeMigratedDatabase()
        let result = try ProcessRunner.run(["audit", "verify", "--db", path])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "audit log intact: 0 rows, head \(String(repeating: "0", count: 64))\n")
    }

    @Test func verify_printsTheRowCountAndTheHeadHash() throws {
        let path = try makeMigratedDatabase(with: Self.threeReads)
        let database = try Database(path: path)
        let head = try database.read { try AuditLog.fetch(AuditFilter(limit: 1), on: $0) }.first?.hash
        database.close()
        let result = try ProcessRunner.run(["audit", "verify"], environment: ["MADOGUCHI_DB": path])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "audit log intact: 3 rows, head \(head ?? "?")\n")
    }

    @Test func verify_afterTampering_exitsOneNamingTheRow() throws {
        let path = try makeMigratedDatabase(with: Self.threeReads)
        let attacker = try Database(path: path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("UPDATE audit_log SET action = 'resident.list' WHERE id = 2")
        }
        attacker.close()
        let result = try ProcessRunner.run(["audit", "verify", "--db", path])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("audit log broken at row 2: hash mismatch"))
        #expect(result.stdout.isEmpty)
    }

    @Test func verify_refusesAMissingOrUnmigratedDatabase() throws {
        let missing = directory.path("nope.sqlite")
        let result = try ProcessRunner.run(["audit", "verify", "--db", missing])
        #expect(result.exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: missing), "never creates a database where none was")

        let unmigrated = directory.path("unmigrated.sqlite")
        try Database(path: unmigrated).close()
        let early = try ProcessRunner.run(["audit", "verify", "--db", unmigrated])
        #expect(early.exitCode == 1)
        #expect(early.stderr.contains("run madoguchi migrate"))
    }

    // MARK: export

    /// Instants at the edges of April 2026 in Tokyo (UTC+9).
    static let aroundApril: [(AuditEvent, String)] = [
        (AuditEvent(actor: .system, action: "before.first.day"), "2026-03-31T14:59:59.999Z"),  // 03-31 23:59:59 JST
        (AuditEvent(actor: .system, action: "first.day.start"), "2026-03-31T15:00:00.000Z"),  // 04-01 00:00:00 JST
        (
            AuditEvent(actor: .staff(id: 2), action: "=HYPERLINK(\"x\")", subjectType: "resident", subjectID: "8"),
            "2026-04-01T00:00:00.000Z"
        ),  // 04-01 09:00:00 JST
        (AuditEvent(actor: .system, action: "last.day.end"), "2026-04-30T14:59:59.999Z"),  // 04-30 23:59:59 JST
        (AuditEvent(actor: .system, action: "after.last.day"), "2026-04-30T15:00:00.000Z"),  // 05-01 00:00:00 JST
    ]

    @Test func export_writesABOMPrefixedCSV_coveringWholeTokyoDays() throws {
        let path = try makeMigratedDatabase(with: Self.aroundApril)
        let out = directory.path("exports/april.csv")
        let result = try ProcessRunner.run(
            ["audit", "export", "--db", path, "--from", "2026-04-01", "--to", "2026-04-30", "--out", out])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)

        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(
            lines.first
                == "id,occurred_at,actor_type,actor_id,action,subject_type,subject_id,client_address,request_id,hash")
        #expect(lines.count == 5, "header, three rows and the empty string after the last CRLF")
        #expect(lines[1].hasPrefix("2,2026-04-01 00:00:00,system,,first.day.start,"))
        #expect(lines[2].hasPrefix("3,2026-04-01 09:00:00,staff,2,\"'=HYPERLINK(\"\"x\"\")\",resident,8,"))
        #expect(lines[3].hasPrefix("4,2026-04-30 23:59:59,system,,last.day.end,"))
        let permissions = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "the export holds client addresses")
    }

    @Test func export_toStandardOutput_matchesTheFile() throws {
        let path = try makeMigratedDatabase(with: Self.aroundApril)
        let out = directory.path("one-day.csv")
        let toFile = try ProcessRunner.run(
            ["audit", "export", "--db", path, "--from", "2026-04-01", "--to", "2026-04-01", "--out", out])
        #expect(toFile.exitCode == 0, "\(toFile.stderr)")
        let toStdout = try ProcessRunner.run(["audit", "export", "--db", path, "--from=2026-04-01", "--to=2026-04-01"])
        #expect(toStdout.exitCode == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self))
        #expect(toStdout.stdout.hasPrefix("\u{FEFF}id,occurred_at,"))
        #expect(toStdout.stdout.components(separatedBy: "\r\n").count == 4, "only 04-01 rows: header, two rows, end")
    }

    @Test(arguments: [
        ["--from", "2026-13-01", "--to", "2026-04-30"],
        ["--from", "2026-02-30", "--to", "2026-04-30"],
        ["--from", "2026/04/01", "--to", "2026-04-30"],
        ["--from", "2026-4-1", "--to", "2026-04-30"],
        ["--from", "2026-04-01", "--to", "tomorrow"],
        ["--from", "2026-05-01", "--to", "2026-04-30"],
        ["--from", "2026-04-01"],
        [],
    ])
    func export_withBadDates_isAUsageError(dates: [String]) throws {
        let path = try makeMigratedDatabase()
        let result = try ProcessRunner.run(["audit", "export", "--db", path] + dates)
        #expect(result.exitCode == 64, "\(dates)")
        #expect(result.stderr.contains("USAGE: madoguchi audit export"))
        #expect(result.stdout.isEmpty, "nothing half-written to standard output")
    }

    @Test func auditSubcommands_haveHelp() throws {
        for subcommand in ["verify", "export"] {
            let help = try ProcessRunner.run(["audit", subcommand, "--help"])
            #expect(help.exitCode == 0)
            #expect(help.stdout.hasPrefix("USAGE: madoguchi audit \(subcommand)"))
        }
        let group = try ProcessRunner.run(["audit", "--help"])
        #expect(group.exitCode == 0)
        #expect(group.stdout.contains("audit verify"))
        #expect(group.stdout.contains("audit export"))
        #expect(try ProcessRunner.run(["help"]).stdout.contains("audit verify"))
    }
}
