import Foundation
import HTTPClient
import Notices
import Store
import Synchronization
import TestSupport
import Testing

/// A reproducible source of faults for the fake: SplitMix64 from a seed the test prints.
final class SeededRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64
    let seed: UInt64

    init(seed: UInt64 = UInt64.random(in: 1...UInt64.max)) {
        self.seed = seed
        state = seed
    }

    /// Uniform in 0..<1.
    func next() -> Double {
        lock.withLock {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}

/// A job aimed at a fake LINE, with test-sized timeouts and backoffs.
func makeJob(
    _ store: NoticeStore, _ fake: FakeLINEAPI, clock: ManualTimeSource? = nil,
    configure: (inout NoticesJobConfiguration) -> Void = { _ in }
) -> NoticesJob {
    var configuration = NoticesJobConfiguration(accessToken: ChannelAccessToken(fake.configuration.accessToken))
    configuration.apiBase = fake.baseURL
    configuration.requestTimeout = 0.5
    configuration.retry.backoffBase = 0.02
    configuration.retry.backoffCap = 0.2
    configuration.retry.rateLimitedDelay = 0.1
    configuration.maximumRunDuration = 60
    configure(&configuration)
    guard let clock else { return NoticesJob(store: store, configuration: configuration) }
    return NoticesJob(store: store, configuration: configuration, clock: clock.function)
}

@Suite("The batch sender against a fake LINE")
struct NoticesJobTests {
    let directory = TemporaryDirectory()

    private func makeStore() throws -> NoticeStore {
        NoticeStore(database: try Fixtures.makeDatabase(in: directory, withDistricts: true))
    }

    /// Every recipient got `text` exactly once, and nobody else got anything.
    private func expectExactlyOnce(_ fake: FakeLINEAPI, recipients: [String], text: (String) -> String) {
        let delivered = fake.deliveredTexts
        #expect(delivered.count == recipients.count, "recipients reached")
        var wrong = 0
        for recipient in recipients where delivered[recipient] != [text(recipient)] { wrong += 1 }
        #expect(wrong == 0, "recipients without exactly one correct delivery")
    }

    @Test func aRun_sendsMulticastsAndPushes_andRecordsThemSent() throws {
        let store = try makeStore()
        let ids = try Fixtures.makeResidents(store.database, count: 3)
        let fake = try FakeLINEAPI()
        let shared = try store.createNotice(NoticesFixtures.draft(.allLinked), now: Date())
        let personal = try store.createNotice(
            NoticesFixtures.draft(.residents(Array(ids.prefix(2))), messages: ["{氏名} 様、こんにちは。"], values: [:]),
            now: Date())
        let summary = try makeJob(store, fake).run()
        #expect(summary.ending == .finished)
        #expect(summary.progress.sent == 3)
        #expect(!summary.workRemains && !summary.needsAttention)
        #expect(
            fake.deliveredTexts[Fixtures.lineUserID(1)]?.sorted() == ["お知らせ: 窓口は4月1日 9時に開きます。", "町民1 様、こんにちは。"])
        #expect(fake.deliveredTexts[Fixtures.lineUserID(3)] == ["お知らせ: 窓口は4月1日 9時に開きます。"])
        for id in [shared.id, personal.id] {
            #expect(try store.fetchNotice(id: id)?.status == .done)
            #expect(
                try store.fetchRequests(noticeID: id).allSatisfy { $0.state == .sent && $0.acceptedRequestID != nil })
        }
        #expect(fake.stats.withoutRetryKey == 0)
        #expect(
            Set(fake.acceptedRetryKeys.keys)
                == Set(
                    try (store.fetchRequests(noticeID: shared.id) + store.fetchRequests(noticeID: personal.id)).map(
                        \.retryKey)))
    }

    @Test(.timeLimit(.minutes(1)))
    func tenThousandRecipients_twentyMulticasts_exactlyOnce_despite500sTimeoutsAndDrops() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 10_000)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: Date())
        #expect(created.requestCount == 20)
        var configuration = FakeLINEAPI.Configuration()
        configuration.slowResponseSeconds = 1
        let fake = try FakeLINEAPI(configuration: configuration)
        let random = SeededRandom()
        fake.setPlan { info in
            // On first attempts, one of each nasty case; everywhere, 5% plain 500s.
            if info.earlierAttemptsWithKey == 0 {
                switch info.sequence {
                case 2: return .acceptThenSlow
                case 4: return .slowWithoutAccepting
                case 6: return .dropAfterAccepting
                case 8: return .dropBeforeAccepting
                default: break
                }
            }
            return random.next() < 0.05 ? .serverError : nil
        }
        let summary = try makeJob(store, fake).run()
        #expect(summary.ending == .finished, "seed \(random.seed)")
        #expect(summary.progress.sent == 20)
        // The slow ones time out and come back as retries; libcurl itself resends a request whose reused
        // connection was dropped, with the same retry key, so drops need not show up here.
        #expect(summary.progress.retried >= 2, "\(summary) \(fake.stats)")
        expectExactlyOnce(fake, recipients: (1...10_000).map(Fixtures.lineUserID)) { _ in
            "お知らせ: 窓口は4月1日 9時に開きます。"
        }
        let stats = fake.stats
        #expect(stats.rateLimited == 0)
        #expect(stats.accepted == 20)
        #expect(stats.conflicts >= 2, "the accepted-then-timed-out and accepted-then-dropped requests came back as 409")
        #expect(try store.fetchRequests(noticeID: created.id).allSatisfy { $0.state == .sent })
        #expect(try store.fetchNotice(id: created.id)?.status == .done)
    }

    @Test(.timeLimit(.minutes(1)))
    func twoThousandPersonalisedPushes_exactlyOnce_despite500sTimeoutsAndDrops() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2_000)
        let created = try store.createNotice(
            NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様、{日時}に窓口でお待ちしています。"]), now: Date())
        #expect(created.requestCount == 2_000)
        #expect(created.personalised)
        var configuration = FakeLINEAPI.Configuration()
        configuration.slowResponseSeconds = 1
        let fake = try FakeLINEAPI(configuration: configuration)
        let random = SeededRandom()
        fake.setPlan { info in
            let draw = random.next()
            switch draw {
            case ..<0.05: return .serverError
            case ..<0.055: return .acceptThenSlow
            case ..<0.06: return .slowWithoutAccepting
            case ..<0.065: return .dropAfterAccepting
            case ..<0.07: return .dropBeforeAccepting
            default: return nil
            }
        }
        let summary = try makeJob(store, fake).run()
        #expect(summary.ending == .finished, "seed \(random.seed)")
        #expect(summary.progress.sent == 2_000)
        expectExactlyOnce(fake, recipients: (1...2_000).map(Fixtures.lineUserID)) { recipient in
            let number = Int(recipient.dropFirst(), radix: 16)!
            return "町民\(number) 様、4月1日 9時に窓口でお待ちしています。"
        }
        let stats = fake.stats
        #expect(stats.rateLimited == 0, "seed \(random.seed)")
        #expect(stats.accepted == 2_000)
        #expect(stats.injectedFaults > 50)
        #expect(try store.fetchRequests(noticeID: created.id).allSatisfy { $0.state == .sent })
    }

    /// A fixed 32 slots let 32 slow answers stop the run; the window has room for the bucket's rate, so the
    /// slow answers cost their slots while the rest go on.
    @Test(.timeLimit(.minutes(1)))
    func slowAnswers_doNotHoldEverySlot_theRestGoOnAndAllArriveOnce() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 150)
        _ = try store.createNotice(NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様"]), now: Date())
        var configuration = FakeLINEAPI.Configuration()
        configuration.handlerThreads = 200
        let fake = try FakeLINEAPI(configuration: configuration)
        // The first 100 requests reach LINE, which has them, and hang until released.
        fake.setPlan { info in info.sequence <= 100 ? .acceptThenHold : nil }
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<NoticesRunSummary, any Error>?>(nil)
        Thread.detachNewThread {
            let job = makeJob(store, fake) {
                $0.endpointLimits[.push] = 1_000
                $0.headroom = 1
                // Longer than the test: only the release ends the held calls.
                $0.requestTimeout = 50
                $0.leaseDuration = 100
            }
            let result = Result { try job.run() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        let allReached = fake.waitUntilAccepted(atLeast: 150, timeout: 20)
        fake.releaseHeldResponses()
        finished.wait()
        #expect(allReached, "all 150 reached LINE while 100 answers hung (accepted: \(fake.stats.accepted))")
        let summary = try #require(try outcome.withLock { $0 }?.get())
        #expect(summary.ending == .finished)
        #expect(summary.progress.sent == 150)
        expectExactlyOnce(fake, recipients: (1...150).map(Fixtures.lineUserID)) { recipient in
            "町民\(Int(recipient.dropFirst(), radix: 16)!) 様"
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func a429_slowsTheSenderDown_andEverythingStillArrivesOnce() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 150)
        _ = try store.createNotice(NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様"]), now: Date())
        // LINE here allows 50 pushes a second; the sender believes it may do 2,000.
        var configuration = FakeLINEAPI.Configuration()
        configuration.pushRequestsPerSecond = 50
        configuration.burstSeconds = 0.2
        let fake = try FakeLINEAPI(configuration: configuration)
        let summary = try makeJob(store, fake).run()
        #expect(summary.ending == .finished)
        #expect(summary.progress.sent == 150)
        #expect(summary.progress.rateLimited > 0)
        #expect(summary.progress.rateLimited == fake.stats.rateLimited, "every 429 was seen and retried")
        #expect(summary.finalRates[.push]! < 1_800, "the push rate came down")
        // A sender that ignored 429 would be refused thousands of times in the seconds this takes.
        #expect(summary.progress.rateLimited < 400)
        expectExactlyOnce(fake, recipients: (1...150).map(Fixtures.lineUserID)) { recipient in
            "町民\(Int(recipient.dropFirst(), radix: 16)!) 様"
        }
    }

    @Test func aRejectedRequest_failsWithTheReason_andItsRecipientsGoToTheFallbackList() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 3)
        let fake = try FakeLINEAPI()
        fake.setPlan { info in info.recipients == [Fixtures.lineUserID(2)] ? .status(400) : nil }
        let created = try store.createNotice(
            NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様、{日時}です。"]), now: Date())
        let summary = try makeJob(store, fake).run()
        #expect(summary.progress.sent == 2)
        #expect(summary.progress.failed == 1)
        #expect(summary.needsAttention)
        let failed = try store.fetchRequests(noticeID: created.id).filter { $0.state == .failed }
        #expect(failed.count == 1)
        #expect(failed[0].failureReason?.hasPrefix("HTTP 400: Injected failure") == true)
        let fallback = try store.fetchFallbackList()
        #expect(fallback.map(\.residentID) == [2])
        #expect(fallback[0].text == "町民2 様、4月1日 9時です。")
        #expect(try store.fetchNotice(id: created.id)?.status == .needsAttention)
    }

    @Test func aWrongToken_stopsTheRun_failsNothing_andLeavesTheWorkForLater() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked, messages: ["{氏名} 様"]), now: Date())
        let fake = try FakeLINEAPI()
        let job = makeJob(store, fake) { $0.accessToken = ChannelAccessToken("wrong") }
        let summary = try job.run()
        #expect(summary.ending == .tokenRejected)
        #expect(summary.needsAttention)
        #expect(summary.workRemains)
        #expect(summary.progress.failed == 0)
        #expect(try store.fetchRequests(noticeID: created.id).allSatisfy { $0.state == .pending })
        #expect(try store.fetchFallbackList().isEmpty, "a token problem is not the residents' problem")
        #expect(fake.stats.unauthorized >= 1)
    }

    @Test func aCrashedSendersLease_expires_andTheRetryWithTheSameKeyGets409_soItIsSentOnce() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 1)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: ManualTimeSource.defaultStart)
        let fake = try FakeLINEAPI()
        let clock = ManualTimeSource()
        // A sender claimed the request, got it to LINE, and died before recording the answer.
        let policy = RetryPolicy()
        let claimed = try store.claimDueRequests(
            owner: "crashed", limit: 1, now: clock.now(), leaseUntil: clock.now() + 120,
            attemptCutoff: policy.attemptCutoff(now: clock.now()))
        let sender = LINESender(
            apiBase: fake.baseURL, accessToken: ChannelAccessToken(fake.configuration.accessToken), requestTimeout: 2)
        let request = sender.httpRequest(
            endpoint: claimed[0].endpoint, payload: claimed[0].payload, retryKey: claimed[0].retryKey)
        let first = try EasyHandle().perform(
            method: request.method, url: request.url, headers: request.headers, body: request.body)
        #expect(first.status == 200)

        // A minute later the lease still holds: the next run leaves the row alone and says work remains.
        clock.advance(by: 60)
        let early = try makeJob(store, fake, clock: clock) { $0.maximumRunDuration = 0 }.run()
        #expect(early.progress.sent == 0)
        #expect(early.workRemains)
        #expect(fake.stats.requests == 1)

        // Past the lease, the row is requeued with its key; LINE answers 409 and it counts as sent.
        clock.advance(by: 61)
        let late = try makeJob(store, fake, clock: clock) { $0.maximumRunDuration = 0 }.run()
        #expect(late.progress.sent == 1)
        #expect(!late.workRemains)
        let stored = try store.fetchRequests(noticeID: created.id)[0]
        #expect(stored.state == .sent)
        #expect(stored.lastStatus == 409)
        #expect(stored.retryKey == claimed[0].retryKey)
        #expect(stored.acceptedRequestID == first.headers["x-line-request-id"])
        #expect(fake.stats.accepted == 1)
        #expect(fake.stats.conflicts == 1)
        #expect(fake.deliveredTexts[Fixtures.lineUserID(1)]?.count == 1)
    }

    @Test func withoutA200Or409InTheKeyWindow_theRequestBecomesUnknown_andIsNeverSentAgain() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: ManualTimeSource.defaultStart)
        let fake = try FakeLINEAPI()
        fake.setPlan { _ in .serverError }
        let clock = ManualTimeSource()
        func runOnce() throws -> NoticesRunSummary {
            try makeJob(store, fake, clock: clock) { $0.maximumRunDuration = 0 }.run()
        }
        let first = try runOnce()
        #expect(first.progress.retried == 1)
        #expect(first.workRemains && !first.needsAttention)
        clock.advance(by: 12 * 3_600)
        #expect(try runOnce().progress.retried == 1)
        #expect(fake.stats.requests == 2)

        clock.advance(by: 12 * 3_600)
        let last = try runOnce()
        #expect(last.progress.unknown == 1)
        #expect(last.needsAttention)
        #expect(!last.workRemains)
        #expect(fake.stats.requests == 2, "no blind resend after the window")
        #expect(try store.fetchRequests(noticeID: created.id)[0].state == .unknown)
        #expect(try store.fetchFallbackList().map(\.reason) == [.unknown, .unknown])
    }

    @Test func scheduledNotices_waitForSendAt() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2)
        let clock = ManualTimeSource()
        _ = try store.createNotice(NoticesFixtures.draft(.allLinked, sendAt: clock.now() + 3_600), now: clock.now())
        let fake = try FakeLINEAPI()
        let before = try makeJob(store, fake, clock: clock) { $0.maximumRunDuration = 0 }.run()
        #expect(before.progress.sent == 0)
        #expect(!before.workRemains, "nothing for the timer to hurry")
        #expect(fake.stats.requests == 0)
        clock.advance(by: 3_600)
        #expect(try makeJob(store, fake, clock: clock) { $0.maximumRunDuration = 0 }.run().progress.sent == 1)
    }

    @Test func dryRun_describesAndChecksDueRequests_withoutSendingOrClaiming() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 600)
        let shared = try store.createNotice(NoticesFixtures.draft(.allLinked), now: Date())
        _ = try store.createNotice(NoticesFixtures.draft(.resident(1), messages: ["{氏名} 様"], values: [:]), now: Date())
        let fake = try FakeLINEAPI()
        let broken = try store.fetchRequests(noticeID: shared.id)[1]
        try store.database.write { connection in
            try connection.run(
                "UPDATE notice_requests SET payload = json_set(payload, '$.messages[0].text', '') WHERE id = ?",
                broken.id)
        }
        let items = try makeJob(store, fake).dryRun()
        #expect(items.map(\.recipientCount) == [500, 100, 1])
        #expect(items[0].texts == ["お知らせ: 窓口は4月1日 9時に開きます。"])
        #expect(items[2].texts == nil, "personalised texts hold names and are not printed")
        #expect(items.map { $0.problem != nil } == [false, true, false])
        #expect(fake.stats.requests == 0)
        #expect(try store.countRequestsByState() == [.pending: 3])
    }
}
