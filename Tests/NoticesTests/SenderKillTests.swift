import Foundation
import Notices
import Store
import TestSupport
import Testing

@Suite("Killing `madoguchi notices send` with SIGKILL, then running it again", .serialized)
struct SenderKillTests {
    @Test(.timeLimit(.minutes(2)))
    func killedAtRandomPoints_andRerun_everyResidentGetsEachNoticeExactlyOnce() throws {
        let directory = TemporaryDirectory()
        let databasePath = directory.path("kill.sqlite")
        do {
            let database = try Fixtures.makeDatabase(in: directory, name: "kill.sqlite", withDistricts: true)
            try Fixtures.makeResidents(database, count: 2_000)
            database.close()
        }
        let fake = try FakeLINEAPI()
        let environment = try fake.senderEnvironment(in: directory)

        // Two notices, created as an operator would: 2,000 personalised pushes and 4 multicasts.
        let personal = try ProcessRunner.run(
            [
                "notices", "create", "--db", databasePath, "--title", "窓口のご案内", "--text", "{氏名} 様、{日時}にお越しください。",
                "--values-json", #"{"日時":"4月1日 10時"}"#, "--all-linked",
            ], environment: environment)
        #expect(personal.exitCode == 0, "\(personal.stderr)")
        #expect(personal.stdout.contains("2000 LINE requests (push, personalised)"))
        let shared = try ProcessRunner.run(
            [
                "notices", "create", "--db", databasePath, "--title", "断水のお知らせ", "--text", "明日は断水します。", "--district",
                "biratori",
            ],
            environment: environment)
        #expect(shared.exitCode == 0, "\(shared.stderr)")
        #expect(shared.stdout.contains("4 LINE requests (multicast)"))

        let random = SeededRandom()
        let held = 50 + Int(random.next() * 400)
        fake.setPlan { info in
            if info.sequence == held { return .acceptThenHold }
            return random.next() < 0.03 ? .serverError : nil
        }
        let sendArguments = [
            "notices", "send", "--db", databasePath, "--lease-seconds", "2", "--request-timeout-ms", "1000",
        ]

        // First kill: while LINE holds the answer to a request it has accepted, so this one is certainly
        // accepted and unrecorded. Then two more at random counts of accepted requests.
        var killPoints = [held]
        killPoints.append(held + 200 + Int(random.next() * 500))
        killPoints.append(killPoints[1] + 200 + Int(random.next() * 500))
        for (index, point) in killPoints.enumerated() {
            let sender = try ProcessRunner.start(sendArguments, environment: environment)
            let reached = fake.waitUntilAccepted(atLeast: point, timeout: 60)
            sender.killHard()
            if index == 0 { fake.releaseHeldResponses() }
            #expect(reached, "kill point \(point) (seed \(random.seed)): \(sender.stderr)")
            #expect(sender.process.terminationReason == .uncaughtSignal)
        }
        #expect(fake.stats.accepted < 2_004, "the kills happened before the end (seed \(random.seed))")

        // Run again until a run reports that everything is done.
        var finalRun: ProcessRunner.Result?
        for _ in 0..<5 {
            let run = try ProcessRunner.run(sendArguments, environment: environment)
            finalRun = run
            if run.exitCode != 75 { break }
        }
        let last = try #require(finalRun)
        #expect(last.exitCode == 0, "seed \(random.seed): \(last.stderr)")
        let summary = last.stdout.split(separator: "\n").last.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(summary?["event"] as? String == "summary")
        #expect(summary?["exit_code"] as? Int == 0)
        #expect(
            !last.stdout.contains(fake.configuration.accessToken)
                && !last.stderr.contains(fake.configuration.accessToken))

        // Exactly once, as LINE counts it.
        let delivered = fake.deliveredTexts
        var wrong = 0
        for number in 1...2_000 {
            let expected = ["明日は断水します。", "町民\(number) 様、4月1日 10時にお越しください。"]
            if delivered[Fixtures.lineUserID(number)]?.sorted() != expected { wrong += 1 }
        }
        #expect(delivered.count == 2_000)
        #expect(wrong == 0, "residents without exactly one of each notice (seed \(random.seed))")
        let stats = fake.stats
        #expect(stats.accepted == 2_004)
        #expect(stats.conflicts >= 1, "requests accepted before a kill came back as 409")
        #expect(stats.rateLimited == 0)

        let database = try Database(path: databasePath)
        defer { database.close() }
        let store = NoticeStore(database: database)
        #expect(try store.countRequestsByState() == [.sent: 2_004])
        #expect(try store.fetchRecentNotices().allSatisfy { $0.status == .done })
    }
}
