import Foundation
import Notices
import Store
import TestSupport
import Testing

@Suite("`madoguchi notices`: options, exit codes and output")
struct NoticesCLITests {
    let directory = TemporaryDirectory()

    private func prepare(residents: Int) throws -> String {
        let database = try Fixtures.makeDatabase(in: directory, name: "cli.sqlite", withDistricts: true)
        try Fixtures.makeResidents(database, count: residents)
        database.close()
        return directory.path("cli.sqlite")
    }

    private func environment(_ fake: FakeLINEAPI) throws -> [String: String] {
        try fake.senderEnvironment(in: directory)
    }

    /// 「{氏名} 様」 to every linked resident: one push each.
    private func createPersonalisedNotice(_ path: String, environment: [String: String]) throws -> ProcessRunner.Result
    {
        try ProcessRunner.run(
            ["notices", "create", "--db", path, "--title", "個別", "--text", "{氏名} 様", "--all-linked"],
            environment: environment)
    }

    @Test func help_andUsageErrors() throws {
        let help = try ProcessRunner.run(["notices", "send", "--help"], )
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("USAGE: madoguchi notices send"))
        #expect(help.stdout.contains("75"))
        let group = try ProcessRunner.run(["help", "notices"], )
        #expect(group.stdout.contains("notices send") && group.stdout.contains("notices create"))
        #expect(try ProcessRunner.run(["notices", "send", "--colour"], ).exitCode == 64)
        #expect(
            try ProcessRunner.run(
                ["notices", "create", "--title", "x", "--text", "y"])
                .exitCode == 64, "an audience is required")
        #expect(
            try ProcessRunner.run(
                ["notices", "create", "--title", "x", "--text", "y", "--all-linked", "--district", "a"]).exitCode == 64,
            "only one audience")
    }

    @Test func send_refusesPlainHTTPToARealHost_andAMissingTokenFile_withoutLeakingAnything() throws {
        let path = try prepare(residents: 1)
        let http = try ProcessRunner.run(
            ["notices", "send", "--db", path],
            environment: [
                "MADOGUCHI_LINE_API_BASE": "http://api.line.me", "MADOGUCHI_LINE_CHANNEL_TOKEN_FILE": "/dev/null",
            ])
        #expect(http.exitCode == 64)
        let missing = try ProcessRunner.run(
            ["notices", "send", "--db", path],
            environment: ["MADOGUCHI_LINE_CHANNEL_TOKEN_FILE": directory.path("nope")])
        #expect(missing.exitCode == 1, "the timer must alert: nothing can be sent")
        #expect(missing.stderr.contains("MADOGUCHI_LINE_CHANNEL_TOKEN_FILE"))
    }

    @Test func create_thenDryRun_printsWhatWouldGo_andSendsNothing() throws {
        let path = try prepare(residents: 3)
        let fake = try FakeLINEAPI()
        let environment = try environment(fake)
        let invalid = try ProcessRunner.run(
            ["notices", "create", "--db", path, "--title", "t", "--text", "{日時}に", "--all-linked"],
            environment: environment)
        #expect(invalid.exitCode == 1)
        #expect(invalid.stderr.contains("{日時}"))
        let created = try ProcessRunner.run(
            [
                "notices", "create", "--db", path, "--title", "お知らせ", "--text", "窓口は{日時}です。", "--values-json",
                #"{"日時":"9時"}"#, "--all-linked",
            ], environment: environment)
        #expect(created.exitCode == 0, "\(created.stderr)")

        let dryRun = try ProcessRunner.run(
            ["notices", "send", "--db", path, "--dry-run"], )
        #expect(dryRun.exitCode == 0, "\(dryRun.stderr)")
        let lines = dryRun.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.first?["event"] as? String == "would_send")
        #expect(lines.first?["endpoint"] as? String == "multicast")
        #expect(lines.first?["recipients"] as? Int == 3)
        #expect(lines.first?["texts"] as? [String] == ["窓口は9時です。"])
        #expect(lines.last?["event"] as? String == "dry_run_summary")
        #expect(fake.stats.requests == 0)
    }

    /// One line on stderr that names the problem, and nothing created.
    private func expectUsageError(_ result: ProcessRunner.Result, naming words: [String], _ comment: Comment) {
        #expect(result.exitCode == 64, comment)
        let firstLine = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        for word in words { #expect(firstLine.contains(word), "\(comment): \(firstLine)") }
        #expect(!result.stderr.contains("CHECK") && !result.stderr.contains("INSERT"), "no SQL in \(result.stderr)")
    }

    @Test func create_refusesATooLongTitle_placeholdersInValues_andEmptyMessages_asUsageErrors() throws {
        let path = try prepare(residents: 1)
        let audience = ["--db", path, "--all-linked"]
        let longTitle = try ProcessRunner.run(
            ["notices", "create", "--title", String(repeating: "長", count: 201), "--text", "本文"] + audience)
        expectUsageError(longTitle, naming: ["--title", "200"], "a title over 200 characters")
        let placeholderInValue = try ProcessRunner.run(
            ["notices", "create", "--title", "t", "--text", "{日時}に", "--values-json", #"{"日時":"{受付番号}"}"#]
                + audience)
        expectUsageError(placeholderInValue, naming: ["--values-json", "日時", "{受付番号}"], "a placeholder in a value")
        let textFile = directory.path("messages.txt")
        try "一通目\n---\n\n---\n三通目\n".write(toFile: textFile, atomically: true, encoding: .utf8)
        let emptyMessage = try ProcessRunner.run(
            ["notices", "create", "--title", "t", "--text-file", textFile] + audience)
        expectUsageError(emptyMessage, naming: ["--text-file", "2"], "an empty second message")

        let exactly200 = try ProcessRunner.run(
            ["notices", "create", "--title", String(repeating: "長", count: 200), "--text", "本文"] + audience)
        #expect(exactly200.exitCode == 0, "\(exactly200.stderr)")
        let database = try Database(path: path)
        defer { database.close() }
        #expect(try NoticeStore(database: database).countRequestsByState().values.reduce(0, +) == 1)
    }

    @Test func send_refusesZeroConcurrency_andAZeroRequestTimeout() throws {
        let path = try prepare(residents: 1)
        let zeroConcurrency = try ProcessRunner.run([
            "notices", "send", "--db", path, "--dry-run", "--concurrency", "0",
        ])
        expectUsageError(zeroConcurrency, naming: ["--concurrency", "'0'"], "--concurrency 0")
        let zeroTimeout = try ProcessRunner.run(
            ["notices", "send", "--db", path, "--dry-run", "--request-timeout-ms", "0"])
        expectUsageError(zeroTimeout, naming: ["--request-timeout-ms", "'0'"], "--request-timeout-ms 0")
        let missingToken = try ProcessRunner.run(
            ["notices", "send", "--db", path, "--concurrency", "0"],
            environment: ["MADOGUCHI_LINE_CHANNEL_TOKEN_FILE": directory.path("nope")])
        #expect(missingToken.exitCode == 64, "usage errors come before the token file")
        let fine = try ProcessRunner.run(
            ["notices", "send", "--db", path, "--dry-run", "--concurrency", "1", "--request-timeout-ms", "1"])
        #expect(fine.exitCode == 0, "\(fine.stderr)")
    }

    @Test func exitCodes_tellTheTimer_done0_attention1_workRemains75() throws {
        let path = try prepare(residents: 700)
        let fake = try FakeLINEAPI()
        let environment = try environment(fake)
        #expect(try createPersonalisedNotice(path, environment: environment).exitCode == 0)
        // One pass that cannot finish 700 pushes: work remains.
        let partial = try ProcessRunner.run(
            ["notices", "send", "--db", path, "--max-seconds", "0"], environment: environment)
        #expect(partial.exitCode == 75, "\(partial.stderr)")
        // LINE refuses one of the rest for good: a person must look.
        fake.setPlan { info in info.recipients == [Fixtures.lineUserID(700)] ? .status(400) : nil }
        let failing = try ProcessRunner.run(["notices", "send", "--db", path], environment: environment)
        #expect(failing.exitCode == 1, "\(failing.stderr)")
        #expect(failing.stderr.contains("LINE rejected a notice request"))
        // Nothing left: done.
        let done = try ProcessRunner.run(["notices", "send", "--db", path], environment: environment)
        #expect(done.exitCode == 0, "\(done.stderr)")
        #expect(fake.stats.accepted == 699)
        for output in [partial, failing, done] {
            #expect(
                !(output.stdout + output.stderr).contains(fake.configuration.accessToken), "the token is never printed")
            #expect(!(output.stdout + output.stderr).contains("U0000"), "LINE user ids are never printed")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func sigterm_finishesTheCallsInFlight_recordsThem_andLeavesTheRestQueued() throws {
        let path = try prepare(residents: 300)
        let fake = try FakeLINEAPI()
        let environment = try environment(fake)
        #expect(try createPersonalisedNotice(path, environment: environment).exitCode == 0)
        fake.setPlan { info in info.sequence == 1 ? .acceptThenHold : nil }
        let sender = try ProcessRunner.start(
            ["notices", "send", "--db", path, "--request-timeout-ms", "5000"], environment: environment)
        #expect(fake.waitUntilAccepted(atLeast: 1, timeout: 30))
        sender.send(SIGTERM)
        fake.releaseHeldResponses()
        let exitCode = sender.waitForExit()
        #expect(exitCode == 0 || exitCode == 75, "\(sender.stderr)")
        let database = try Database(path: path)
        defer { database.close() }
        let counts = try NoticeStore(database: database).countRequestsByState()
        #expect(counts[.sending] == nil, "nothing is left leased to a process that is gone")
        #expect(counts[.sent] == fake.stats.accepted, "every answer that came back was recorded")
        if exitCode == 75 { #expect((counts[.pending] ?? 0) > 0) }
    }
}
