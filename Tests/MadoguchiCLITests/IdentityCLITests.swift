import Foundation
import TestSupport
import Testing

/// `staff`, `token` and `demo-data`, run as an operator would: the built binary, its output and exit code.
@Suite("madoguchi staff / token / demo-data")
struct IdentityCLITests {
    let directory = TemporaryDirectory()
    static let password = "first admin's long passphrase"

    private func staffAdd(
        _ database: String, login: String, role: String = "admin", department: String = "総務課",
        password: String? = IdentityCLITests.password, passwordStdin: Bool = true
    ) throws -> ProcessRunner.Result {
        try ProcessRunner.run(
            [
                "staff", "add", "--db", database, "--login", login, "--name", "鈴木 太郎", "--role", role, "--department",
                department,
            ]
                + (passwordStdin ? ["--password-stdin"] : []),
            stdin: password.map { $0 + "\n" })
    }

    @Test func staffAdd_createsTheFirstAdmin_fromStandardInput_onAFreshDatabase() throws {
        let database = directory.path("fresh/madoguchi.sqlite")
        let added = try staffAdd(database, login: "Suzuki")
        #expect(added.exitCode == 0, "\(added.stderr)")
        #expect(added.stdout.contains("added staff suzuki (admin, 総務課)"))
        let list = try ProcessRunner.run(["staff", "list", "--db", database])
        #expect(list.exitCode == 0)
        #expect(list.stdout.contains("suzuki"))
        #expect(list.stdout.contains("admin"))
        #expect(list.stdout.contains("active"))
        #expect(!list.stdout.contains(Self.password))
        #expect(try staffAdd(database, login: "suzuki").exitCode == 1, "the login id is taken")
    }

    @Test func staffAdd_refusesBadInput() throws {
        let database = directory.path("db.sqlite")
        let badRole = try staffAdd(database, login: "a-user", role: "root")
        #expect(badRole.exitCode == 64)
        #expect(badRole.stderr.contains("--role must be clerk, supervisor or admin"))
        #expect(try staffAdd(database, login: "a-user", department: "秘密課").exitCode == 64)
        let noStdinFlag = try staffAdd(database, login: "a-user", passwordStdin: false)
        #expect(noStdinFlag.exitCode == 64)
        #expect(noStdinFlag.stderr.contains("--password-stdin"))
        let short = try staffAdd(database, login: "a-user", password: "too short")
        #expect(short.exitCode == 1)
        #expect(short.stderr.contains("12文字以上"))
        let empty = try staffAdd(database, login: "a-user", password: "")
        #expect(empty.exitCode == 1)
        #expect(try ProcessRunner.run(["staff", "add", "--help"]).stdout.contains("USAGE: madoguchi staff add"))
    }

    @Test func staffDisable_marksTheAccount_andOnlyOnce() throws {
        let database = directory.path("db.sqlite")
        #expect(try staffAdd(database, login: "tanaka", role: "clerk", department: "町民課").exitCode == 0)
        let disabled = try ProcessRunner.run(["staff", "disable", "--db", database, "--login", "tanaka"])
        #expect(disabled.exitCode == 0, "\(disabled.stderr)")
        #expect(try ProcessRunner.run(["staff", "list", "--db", database]).stdout.contains("disabled"))
        #expect(try ProcessRunner.run(["staff", "disable", "--db", database, "--login", "tanaka"]).exitCode == 1)
        #expect(try ProcessRunner.run(["staff", "disable", "--db", database]).exitCode == 64)
        let help = try ProcessRunner.run(["staff"])
        #expect(help.exitCode == 64)
        #expect(help.stdout.contains("staff add") && help.stdout.contains("staff list"))
    }

    @Test func tokens_areShownOnce_listedWithoutTheSecret_andRevocable() throws {
        let database = directory.path("db.sqlite")
        let created = try ProcessRunner.run(
            ["token", "create", "--db", database, "--scope", "notices:send,kpi:read", "--name", "notices-timer"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.range(of: "^mdg_[A-Za-z0-9_-]{43}$", options: .regularExpression) != nil)
        #expect(created.stderr.contains("not shown again"))

        let list = try ProcessRunner.run(["token", "list", "--db", database])
        #expect(list.exitCode == 0)
        #expect(list.stdout.contains("notices-timer"))
        #expect(list.stdout.contains("notices:send,kpi:read"))
        #expect(!list.stdout.contains(token))
        let duplicate = try ProcessRunner.run(
            ["token", "create", "--db", database, "--scope", "kpi:read", "--name", "notices-timer"])
        #expect(duplicate.exitCode == 1)

        #expect(try ProcessRunner.run(["token", "revoke", "--db", database, "--name", "notices-timer"]).exitCode == 0)
        #expect(try ProcessRunner.run(["token", "list", "--db", database]).stdout.contains("revoked"))
        #expect(try ProcessRunner.run(["token", "revoke", "--db", database, "--name", "notices-timer"]).exitCode == 1)

        let badScope = try ProcessRunner.run([
            "token", "create", "--db", database, "--scope", "everything", "--name", "x",
        ])
        #expect(badScope.exitCode == 64)
        #expect(try ProcessRunner.run(["token", "create", "--db", database, "--scope", "kpi:read"]).exitCode == 64)
    }

    @Test func demoData_refusesOutsideDevelopmentMode_andIsIdempotentInside() throws {
        let database = directory.path("db.sqlite")
        let refused = try ProcessRunner.run(["demo-data", "--db", database])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("development mode"))

        let first = try ProcessRunner.run(["demo-data", "--db", database, "--dev"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("districts added: 3"))
        #expect(first.stdout.contains("login: admin  password: "))
        #expect(first.stdout.contains("login: hanako@example.jp  password: "))
        let second = try ProcessRunner.run(["demo-data", "--db", database], environment: ["MADOGUCHI_DEV": "1"])
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stdout.contains("districts added: 0"))
        #expect(second.stdout.contains("existing account, new password"))
        let staff = try ProcessRunner.run(["staff", "list", "--db", database]).stdout
        #expect(staff.components(separatedBy: "\n").filter { $0.hasPrefix("admin ") }.count == 1)
    }

    @Test func auditVerify_passesOnAnUntouchedLog_afterIdentityCommands() throws {
        let database = directory.path("db.sqlite")
        #expect(try staffAdd(database, login: "suzuki").exitCode == 0)
        #expect(try ProcessRunner.run(["staff", "disable", "--db", database, "--login", "suzuki"]).exitCode == 0)
        #expect(
            try ProcessRunner.run(["token", "create", "--db", database, "--scope", "kpi:read", "--name", "kpi"])
                .exitCode
                == 0)
        #expect(try ProcessRunner.run(["token", "revoke", "--db", database, "--name", "kpi"]).exitCode == 0)
        let verify = try ProcessRunner.run(["audit", "verify", "--db", database])
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("intact: 4 rows"))
    }

    /// What `make run` does: demo data, then `serve --dev`; the printed credentials work in a "browser",
    /// and the dev cookie is the plain-HTTP one.
    @Test func makeRunFlow_demoCredentialsLogInOverPlainHTTP() throws {
        let database = directory.path("dev.sqlite")
        let seeded = try ProcessRunner.run(["demo-data", "--dev", "--db", database])
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        func password(after marker: String) -> String? {
            guard let line = seeded.stdout.split(separator: "\n").first(where: { $0.contains(marker) }),
                let range = line.range(of: "password: ")
            else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        let adminPassword = try #require(password(after: "login: admin "))
        let residentPassword = try #require(password(after: "login: hanako@example.jp"))

        let server = try RunningServer(arguments: ["--db", database, "--dev"])
        defer { _ = server.stop() }
        let staff = Browser(baseURL: "http://127.0.0.1:\(server.port)")
        _ = try staff.get("/staff/login")
        let staffLogin = try staff.submit("/staff/login", form: [("login_id", "admin"), ("password", adminPassword)])
        #expect(staffLogin.status == 303)
        #expect(staffLogin.setCookie?.name == "madoguchi")
        #expect(staffLogin.setCookie?.has("Secure") == false)
        #expect(try staff.get("/staff/admin/staff").status == 200)

        let resident = Browser(baseURL: "http://127.0.0.1:\(server.port)")
        _ = try resident.get("/login")
        let residentLogin = try resident.submit(
            "/login", form: [("login_id", "hanako@example.jp"), ("password", residentPassword)])
        #expect(residentLogin.status == 303)
        #expect(try resident.get("/mypage").text.contains("平取 花子"))
    }
}
