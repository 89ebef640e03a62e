import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite("The madoguchi binary: exit codes and output")
struct CLITests {
    let directory = TemporaryDirectory()

    @Test func version_andHelp_exitZero() throws {
        let version = try ProcessRunner.run(["version"])
        #expect(version.exitCode == 0)
        #expect(version.stdout.hasPrefix("madoguchi "))
        let help = try ProcessRunner.run(["help"])
        #expect(help.exitCode == 0)
        for command in ["serve", "migrate", "backup", "restore", "version"] {
            #expect(help.stdout.contains(command))
            let commandHelp = try ProcessRunner.run([command, "--help"])
            #expect(commandHelp.exitCode == 0, "\(command) --help")
            #expect(commandHelp.stdout.contains("USAGE: madoguchi \(command)"))
        }
    }

    @Test func usageErrors_exit64() throws {
        #expect(try ProcessRunner.run([]).exitCode == 64)
        #expect(try ProcessRunner.run(["frobnicate"]).exitCode == 64)
        let unknownOption = try ProcessRunner.run(["migrate", "--colour"])
        #expect(unknownOption.exitCode == 64)
        #expect(unknownOption.stderr.contains("unknown option '--colour'"))
        #expect(try ProcessRunner.run(["backup"]).exitCode == 64, "backup needs --to")
        #expect(try ProcessRunner.run(["serve", "--listen", "nonsense"]).exitCode == 64)
        #expect(try ProcessRunner.run(["serve", "--log-level", "loud"]).exitCode == 64)
        #expect(try ProcessRunner.run(["serve", "--public-url", "ftp://madoguchi.example"]).exitCode == 64)
    }

    @Test func migrate_isIdempotent_andHonoursTheEnvironment() throws {
        let database = directory.path("nested/folder/db.sqlite")
        let first = try ProcessRunner.run(["migrate"], environment: ["MADOGUCHI_DB": database])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("applied 1"))
        let second = try ProcessRunner.run(["migrate", "--db", database])
        #expect(second.stdout.hasPrefix("up to date"))
    }

    @Test func backupAndRestore_roundTrip_withForceRequiredOverAnExistingDatabase() throws {
        let database = directory.path("live.sqlite")
        let backup = directory.path("backups/copy.sqlite")
        #expect(try ProcessRunner.run(["migrate", "--db", database]).exitCode == 0)
        let backedUp = try ProcessRunner.run(["backup", "--db", database, "--to", backup])
        #expect(backedUp.exitCode == 0, "\(backedUp.stderr)")
        #expect(FileManager.default.fileExists(atPath: backup))
        let permissions = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "a backup of personal data is readable by its owner only")

        let again = try ProcessRunner.run(["backup", "--db", database, "--to", backup])
        #expect(again.exitCode == 1, "never overwrites an earlier backup")

        let refused = try ProcessRunner.run(["restore", "--db", database, "--from", backup])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("--force"))
        let forced = try ProcessRunner.run(["restore", "--db", database, "--from", backup, "--force"])
        #expect(forced.exitCode == 0, "\(forced.stderr)")

        let missing = try ProcessRunner.run(["restore", "--db", database, "--from", directory.path("nope.sqlite")])
        #expect(missing.exitCode == 1)
    }

    @Test func serve_answersHTTP_andStopsCleanlyOnSIGTERM() throws {
        let server = try RunningServer(arguments: ["--db", directory.path("serve.sqlite")])
        let health = try LiveCheck.get(port: server.port, path: "/healthz")
        #expect(health == 200)
        let (exitCode, stderr) = server.stop(signal: SIGTERM)
        #expect(exitCode == 0)
        #expect(stderr.contains("\"msg\":\"stopped\""))
        for line in stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "every log line is JSON")
        }
    }

    /// A production install that forgot the payment provider used to start with the sandbox checkout, whose
    /// 「支払う」 button marks a fee paid with no money behind it, and only a warning in the log.
    @Test func serve_withoutAPaymentProvider_refusesToStart_unlessTheSandboxIsChosen() throws {
        let database = directory.path("no-provider/db.sqlite")
        let refused = try ProcessRunner.run(["serve", "--db", database, "--listen", "127.0.0.1:0"])
        #expect(refused.exitCode == 64)
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line, no usage text: \(refused.stderr)")
        for variable in [
            "MADOGUCHI_PAYMENT_API_BASE", "MADOGUCHI_PAYMENT_API_KEY_FILE", "MADOGUCHI_PAYMENT_WEBHOOK_SECRET_FILE",
            "MADOGUCHI_PUBLIC_BASE_URL", "--payments-sandbox",
        ] {
            #expect(refused.stderr.contains(variable), "\(variable)")
        }
        #expect(refused.stdout.isEmpty, "it never said it was listening")
        #expect(!FileManager.default.fileExists(atPath: database), "it stopped before opening the database")

        let optedIn = try RunningServer(
            arguments: ["--db", database, "--payments-sandbox"], environment: ["MADOGUCHI_PAYMENT_SANDBOX": ""])
        #expect(try LiveCheck.get(port: optedIn.port, path: "/healthz") == 200)
        let (exitCode, stderr) = optedIn.stop()
        #expect(exitCode == 0)
        #expect(stderr.contains("payments use the sandbox checkout"), "outside --dev the log still says so")
    }

    @Test func serve_withAChangedMigration_refusesToStart() throws {
        let schemas = directory.url.appendingPathComponent("Schemas/migrations")
        try FileManager.default.createDirectory(at: schemas, withIntermediateDirectories: true)
        try "CREATE TABLE a (x);".write(
            to: schemas.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        let database = directory.path("db.sqlite")
        let schemasFolder = directory.url.appendingPathComponent("Schemas").path
        #expect(try ProcessRunner.run(["migrate", "--db", database, "--schemas", schemasFolder]).exitCode == 0)
        try "CREATE TABLE a (x, y);".write(
            to: schemas.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run(["migrate", "--db", database, "--schemas", schemasFolder])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("changed after it was applied"))
    }

    /// `demo-data` makes a clerk too (the README's `make run` section shows its password); its help says so.
    @Test func demoDataHelp_namesEveryAccountItMakes() throws {
        let help = try ProcessRunner.run(["demo-data", "--help"])
        #expect(help.exitCode == 0)
        for account in ["'admin'", "'clerk'", "'hanako@example.jp'"] {
            #expect(help.stdout.contains(account), "demo-data --help names \(account)")
        }
    }
}

enum LiveCheck {
    static func get(port: Int, path: String) throws -> Int {
        try EasyHandle().perform(method: "GET", url: "http://127.0.0.1:\(port)\(path)").status
    }
}
