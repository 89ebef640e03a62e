import Foundation
import Notices
import Store
import TestSupport
import Testing

@Suite("One `madoguchi notices send` at a time per database", .serialized)
struct SenderLeaseTests {
    @Test(.timeLimit(.minutes(1)))
    func aSecondSenderExits75_andAfterTheFirstIsKilled_aNewSenderTakesOverOnceItsLeaseRunsOut() throws {
        let directory = TemporaryDirectory()
        let databasePath = directory.path("lease.sqlite")
        do {
            let database = try Fixtures.makeDatabase(in: directory, name: "lease.sqlite", withDistricts: true)
            try Fixtures.makeResidents(database, count: 40)
            _ = try NoticeStore(database: database).createNotice(
                NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様、{日時}にお越しください。"]), now: Date())
            database.close()
        }
        let fake = try FakeLINEAPI()
        let environment = try fake.senderEnvironment(in: directory)
        let sendArguments = [
            "notices", "send", "--db", databasePath, "--lease-seconds", "3", "--request-timeout-ms", "1000",
        ]

        // LINE answers too slowly for now, so the sender that runs keeps running (retrying).
        fake.setPlan { _ in .slowWithoutAccepting }
        let senders = [
            try ProcessRunner.start(sendArguments, environment: environment),
            try ProcessRunner.start(sendArguments, environment: environment),
        ]
        let started = Date()
        while senders.allSatisfy(\.process.isRunning), Date().timeIntervalSince(started) < 15 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let stopped = try #require(senders.first { !$0.process.isRunning }, "one of the two senders stops")
        let running = try #require(senders.first { $0.process.isRunning }, "the other keeps sending")
        #expect(stopped.waitForExit() == 75)
        #expect(
            stopped.stderr.contains("madoguchi: another notices send is running on this database"),
            "\(stopped.stderr)")
        #expect(stopped.stdout.isEmpty, "it sent nothing and printed no summary")

        // Killed, the first sender leaves its lease behind; the next sender waits for it to run out.
        running.killHard()
        fake.setPlan(nil)
        do {
            let database = try Database(path: databasePath)
            defer { database.close() }
            let lease = try database.read {
                try $0.queryFirst("SELECT owner, expires_at FROM notice_sender_lease")
            }
            let expiresAt = try #require(try lease?.get("expires_at", as: Date.self))
            #expect(expiresAt > Date(), "the killed sender's lease has not run out yet")
        }
        var last: ProcessRunner.Result?
        for _ in 0..<5 {
            let run = try ProcessRunner.run(sendArguments, environment: environment)
            last = run
            #expect(!run.stderr.contains("another notices send is running"), "\(run.stderr)")
            if run.exitCode != 75 { break }
        }
        #expect(last?.exitCode == 0, "\(last?.stderr ?? "")")
        let delivered = fake.deliveredTexts
        #expect(delivered.count == 40)
        #expect(delivered.values.allSatisfy { $0.count == 1 }, "each resident once")

        let database = try Database(path: databasePath)
        defer { database.close() }
        #expect(try NoticeStore(database: database).countRequestsByState() == [.sent: 40])
        #expect(
            try database.read { try $0.scalar("SELECT count(*) FROM notice_sender_lease", as: Int.self) } == 0,
            "a finished run gives the lease up")
    }
}
