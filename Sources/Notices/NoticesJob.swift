import Foundation
import HTTP
import HTTPClient

/// How a `notices send` run behaves. The defaults are production's.
public struct NoticesJobConfiguration: Sendable {
    public var apiBase = "https://api.line.me"
    public var accessToken: ChannelAccessToken
    /// The fraction of LINE's per-endpoint rate limits the run may use (0 < headroom ≤ 1). 0.9 made 90% of
    /// the limit the run's ceiling, so the goal of sustaining 90% was met or missed by scheduling noise
    /// (89.7% measured); LINE's own bucket refills at the full limit, so 5% under it never meets a 429, and a
    /// 429 would still halve the rate (`TokenBucket.slowDown`).
    public var headroom = 0.95
    /// LINE's limits, before headroom. Tests lower them; production leaves them.
    public var endpointLimits: [LINEEndpoint: Double] = [
        .push: LINELimits.pushRequestsPerSecond, .multicast: LINELimits.multicastRequestsPerSecond,
    ]
    /// The most LINE calls in flight (connections to one host). The run sizes its window below this from the
    /// rate and the time calls take (`InFlightWindow`); the token buckets alone decide the rate.
    public var maximumConcurrentRequests = 512
    /// LINE answers a push in well under a second; an answer not there after 3 s is a bad-day slow one. With
    /// 10 s, each slow answer held a slot for 10 s (2% slow capped a fixed 32 slots at ≈ 160/s); at 3 s it is
    /// retried with the same retry key (a 409 if LINE had it) and costs a third of that.
    public var requestTimeout: TimeInterval = 3
    /// How long a claimed request stays ours without news. Longer than `requestTimeout`, so a slow but live
    /// sender keeps its requests; short enough that a crashed sender's requests come back soon.
    public var leaseDuration: TimeInterval = 120
    /// How long the sender lease (one sender per database) stays ours without renewal; a run renews it every
    /// second. The run uses at most `leaseDuration`, so a run started with short request leases takes over
    /// from a killed sender as soon as that sender's requests come back.
    public var senderLeaseDuration: TimeInterval = 15
    /// The run stops claiming after this long; what is left is for the next timer run (exit 75).
    public var maximumRunDuration: TimeInterval = 300
    /// The longest the run waits, idle, for a retry or a foreign lease to come due before leaving it to the
    /// next timer run.
    public var maximumIdleWait: TimeInterval = 30
    public var retry = RetryPolicy()
    public var claimBatchSize = 500
    /// Turn undelivered `resident_messages` into notices before sending (see `ResidentMessageDelivery`), so
    /// the timer that sends notices also delivers them.
    public var deliverResidentMessages = true

    public init(accessToken: ChannelAccessToken) {
        self.accessToken = accessToken
    }

    var effectiveSenderLeaseDuration: TimeInterval { max(1, min(senderLeaseDuration, leaseDuration)) }

    func ratePerSecond(_ endpoint: LINEEndpoint) -> Double {
        max(0.1, (endpointLimits[endpoint] ?? endpoint.requestsPerSecond) * min(1, max(0.01, headroom)))
    }
}

/// Counters a run reports while it goes and when it ends. Request counts, not recipients.
public struct NoticesProgress: Sendable, Equatable {
    public var sent = 0
    public var failed = 0
    public var unknown = 0
    public var retried = 0
    /// 429 answers seen; each halves that endpoint's rate for a while.
    public var rateLimited = 0
    public var remaining = 0
    /// Requests started per second over the last reporting interval.
    public var requestsPerSecond = 0.0
}

public struct NoticesRunSummary: Sendable, Equatable {
    public enum Ending: String, Sendable {
        /// Nothing due is left (later retries or scheduled notices may be).
        case finished
        /// `maximumRunDuration` passed.
        case deadline
        /// SIGTERM or SIGINT: in-flight requests were finished and recorded.
        case stopRequested = "stop_requested"
        /// LINE answered 401 or 403: the channel access token is wrong or lacks permission.
        case tokenRejected = "token_rejected"
        /// Our sender lease ran out (the run stalled) and another sender took it: this run stopped sending so
        /// that only one sender paces itself against LINE's rate limit.
        case senderLeaseLost = "sender_lease_lost"
    }

    public var progress: NoticesProgress
    public var ending: Ending
    /// Each endpoint's rate at the end, after any 429 slow-downs.
    public var finalRates: [LINEEndpoint: Double]
    /// `resident_messages` this run turned into notices (or marked for web lookup) before sending.
    public var residentMessages = ResidentMessageDelivery.Tally()
    /// Requests still pending or sending that a later run must take up (not counting notices scheduled
    /// for later that were never attempted).
    public var workRemains: Bool

    /// A person must look: a request failed or became unknown in this run, or the token was rejected.
    public var needsAttention: Bool {
        progress.failed > 0 || progress.unknown > 0 || ending == .tokenRejected
    }
}

/// `run()` found the sender lease held by another live `notices send` on the same database. Two senders would
/// each send at the full rate and together exceed LINE's limit, so this run sent nothing; the next timer run
/// continues (exit 75).
public struct NoticesSenderBusy: Error, CustomStringConvertible, Sendable {
    public let holder: String

    public var description: String {
        "another notices send is running on this database (\(holder)); this run sent nothing and leaves the work "
            + "to the next run"
    }
}

/// Lets another thread (a signal watcher) ask a run to stop at the next safe point.
public final class NoticesStopSignal: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var requested = false
    private var waker: MultiHandle.Waker?

    public init() {}

    public func requestStop() {
        let waker = lock.withLock {
            requested = true
            return self.waker
        }
        waker?.wakeUp()
    }

    var isRequested: Bool { lock.withLock { requested } }

    func attach(_ waker: MultiHandle.Waker?) {
        lock.withLock { self.waker = waker }
    }
}

/// One batch run of the outbox: claim due requests with a lease, send them concurrently over a libcurl
/// multi handle under a per-endpoint token bucket, and record each answer, until nothing is due or time is
/// up. Every request keeps its frozen body and retry key across attempts, runs and crashes, so LINE executes
/// each exactly once: a repeat of an accepted key gets 409, which counts as sent.
///
/// Thread confinement: `run()` uses the calling thread only; `stopSignal` is the one cross-thread entry.
public final class NoticesJob {
    public let store: NoticeStore
    public let configuration: NoticesJobConfiguration
    /// Identifies this run's leases: host, process and a random suffix.
    public let owner: String
    public let stopSignal = NoticesStopSignal()
    private let sender: LINESender
    private let clock: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let logger: Logger
    private let progressSink: (@Sendable (NoticesProgress) -> Void)?

    public init(
        store: NoticeStore, configuration: NoticesJobConfiguration, owner: String = NoticesJob.makeOwner(),
        clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }, logger: Logger = .disabled,
        progress: (@Sendable (NoticesProgress) -> Void)? = nil
    ) {
        self.store = store
        self.configuration = configuration
        self.owner = owner
        self.sender = LINESender(
            apiBase: configuration.apiBase, accessToken: configuration.accessToken,
            requestTimeout: configuration.requestTimeout)
        self.clock = clock
        self.random = random
        self.logger = logger
        self.progressSink = progress
    }

    public static func makeOwner() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    // MARK: The run

    /// Throws `NoticesSenderBusy`, before sending anything, when another sender holds the sender lease.
    public func run() throws -> NoticesRunSummary {
        try acquireSenderLease()
        defer {
            do { try store.releaseSenderLease(owner: owner) } catch {
                logger.warning("could not release the sender lease; the next run waits for it to run out")
            }
        }
        var state = RunState(configuration: configuration, startedAt: clock(), monotonicStart: MonotonicClock.seconds())
        let multi = MultiHandle(maximumConnectionsPerHost: configuration.maximumConcurrentRequests)
        stopSignal.attach(multi.waker)
        defer { stopSignal.attach(nil) }
        logger.info("notices run started", ["owner": .string(owner)])
        // Before the first claim, so a message frozen now goes out in this same run.
        let residentMessages =
            configuration.deliverResidentMessages
            ? try ResidentMessageDelivery(store: store).deliverPending(now: clock()) : ResidentMessageDelivery.Tally()
        if residentMessages.total > 0 {
            logger.info(
                "resident messages delivered to the outbox",
                [
                    "line": .int(residentMessages.line), "fallback": .int(residentMessages.fallback),
                    "web_lookup": .int(residentMessages.webLookup),
                ])
        }

        while true {
            let now = clock()
            let monotonic = MonotonicClock.seconds()
            if state.ending == nil {
                if stopSignal.isRequested {
                    state.ending = .stopRequested
                } else if state.claimedOnce, now >= state.deadline {
                    state.ending = .deadline
                }
            }
            if monotonic - state.lastMaintenance >= 1 {
                try maintain(&state, now: now)
                state.lastMaintenance = monotonic
            }
            if state.ending == nil, state.queuedCount < max(1, configuration.claimBatchSize / 2),
                monotonic >= state.nextClaimAt
            {
                let claimed = try claim(&state, now: now)
                state.claimedOnce = true
                state.nextClaimAt = claimed == 0 ? monotonic + 0.25 : monotonic
            }
            if state.ending != nil, state.queuedCount > 0 {
                // Claimed but never sent: back to the queue, due at once, for the next run.
                for endpoint in LINEEndpoint.allCases {
                    state.records += state.queues[endpoint, default: []].map {
                        NoticeStore.RecordedOutcome(requestID: $0.id, result: .released)
                    }
                    state.queues[endpoint] = []
                }
            }
            try startTransfers(&state, on: multi, monotonic: monotonic)

            let completions = try multi.perform(waitingUpTo: waitMilliseconds(state, monotonic: monotonic))
            for completion in completions {
                handle(completion, &state)
            }
            let flushAge = state.firstRecordAt.map { MonotonicClock.seconds() - $0 } ?? 0
            if state.records.count >= 200 || flushAge >= 0.05 || (state.inFlight.isEmpty && !state.records.isEmpty) {
                try flush(&state)
            }
            try reportProgressIfDue(&state)

            guard state.inFlight.isEmpty, state.queuedCount == 0 else { continue }
            if state.ending != nil { break }
            // Waiting for a retry or a lease decided on below.
            if MonotonicClock.seconds() < state.idleUntil { continue }
            let outlook = try store.fetchOutlook(
                owner: owner, now: clock(), attemptCutoff: configuration.retry.attemptCutoff(now: clock()))
            if outlook.dueNow > 0 {
                state.nextClaimAt = 0
                continue
            }
            let nextDue = [outlook.nextRetryAt, outlook.nextLeaseExpiry].compactMap { $0 }.min()
            let current = clock()
            guard let nextDue, nextDue < state.deadline,
                nextDue.timeIntervalSince(current) <= configuration.maximumIdleWait
            else {
                state.ending = .finished
                break
            }
            // Something comes due soon: wait for it (a lease running out is requeued by `maintain`).
            let wait = max(0, nextDue.timeIntervalSince(current))
            state.nextClaimAt = MonotonicClock.seconds() + wait
            state.idleUntil = state.nextClaimAt
        }
        try flush(&state)
        let outlook = try store.fetchOutlook(
            owner: owner, now: clock(), attemptCutoff: configuration.retry.attemptCutoff(now: clock()))
        state.progress.remaining = outlook.remaining
        let summary = NoticesRunSummary(
            progress: state.progress, ending: state.ending ?? .finished,
            finalRates: state.buckets.mapValues(\.ratePerSecond), residentMessages: residentMessages,
            workRemains: outlook.remaining > 0)
        progressSink?(summary.progress)
        logger.info(
            "notices run finished",
            [
                "owner": .string(owner), "ending": .string(summary.ending.rawValue),
                "sent": .int(summary.progress.sent),
                "failed": .int(summary.progress.failed), "unknown": .int(summary.progress.unknown),
                "retried": .int(summary.progress.retried), "rate_limited": .int(summary.progress.rateLimited),
                "remaining": .int(summary.progress.remaining),
            ])
        return summary
    }

    /// Mutable state of one run, kept together so the loop's steps can be separate functions.
    private struct RunState {
        var progress = NoticesProgress()
        var buckets: [LINEEndpoint: TokenBucket] = [:]
        var queues: [LINEEndpoint: [NoticeStore.ClaimedRequest]] = [:]
        var inFlight: [Int: NoticeStore.ClaimedRequest] = [:]
        /// When each in-flight call started (monotonic seconds), for the window's mean time in flight.
        var startedAt: [Int: Double] = [:]
        var window: InFlightWindow
        var records: [NoticeStore.RecordedOutcome] = []
        var firstRecordAt: Double?
        var ending: NoticesRunSummary.Ending?
        var claimedOnce = false
        var nextClaimAt = 0.0
        var idleUntil = 0.0
        var lastMaintenance = -Double.infinity
        var lastProgressAt: Double
        var startedSinceProgress = 0
        let deadline: Date

        init(configuration: NoticesJobConfiguration, startedAt: Date, monotonicStart: Double) {
            deadline = startedAt.addingTimeInterval(configuration.maximumRunDuration)
            window = InFlightWindow(maximum: configuration.maximumConcurrentRequests)
            lastProgressAt = monotonicStart
            for endpoint in LINEEndpoint.allCases {
                buckets[endpoint] = TokenBucket(
                    ratePerSecond: configuration.ratePerSecond(endpoint), now: monotonicStart)
                queues[endpoint] = []
            }
        }

        var queuedCount: Int { queues.values.reduce(0) { $0 + $1.count } }

        /// Slots for the buckets' current rates (lower after a 429).
        var windowSize: Int { window.size(forRate: buckets.values.reduce(0) { $0 + $1.ratePerSecond }) }
    }

    /// Takes the sender lease. A lease held by another owner is watched until it runs out: a live holder renews
    /// it every second, so a change means it is running (`NoticesSenderBusy`); a killed holder's lease is taken
    /// over once it has run out.
    private func acquireSenderLease() throws {
        let duration = configuration.effectiveSenderLeaseDuration
        // Bounded by the monotonic clock too, so a clock that stands still (tests) cannot make it wait forever.
        let giveUpAt = MonotonicClock.seconds() + duration + 1
        var observed: NoticeStore.SenderLease?
        while true {
            let now = clock()
            guard
                let holder = try store.acquireSenderLease(
                    owner: owner, now: now, until: now.addingTimeInterval(duration))
            else { return }
            if let observed, observed != holder { throw NoticesSenderBusy(holder: holder.owner) }
            if observed == nil {
                logger.info(
                    "sender lease held; waiting to see whether its holder is alive",
                    ["holder": .string(holder.owner)])
            }
            observed = holder
            guard !stopSignal.isRequested, MonotonicClock.seconds() < giveUpAt else {
                throw NoticesSenderBusy(holder: holder.owner)
            }
            Thread.sleep(forTimeInterval: min(0.2, max(0.02, holder.expiresAt.timeIntervalSince(now))))
        }
    }

    /// Requeues dead senders' requests, retires requests whose key window is over, and keeps our own leases
    /// fresh.
    private func maintain(_ state: inout RunState, now: Date) throws {
        let renewed = try store.renewSenderLease(
            owner: owner, until: now.addingTimeInterval(configuration.effectiveSenderLeaseDuration))
        if !renewed, state.ending == nil {
            logger.error("the sender lease ran out and another sender took it; stopping")
            state.ending = .senderLeaseLost
        }
        let requeued = try store.requeueExpiredLeases(now: now)
        if requeued > 0 { logger.warning("requeued requests with expired leases", ["count": .int(requeued)]) }
        let unknown = try store.markUnknownAfterKeyWindow(
            attemptCutoff: configuration.retry.attemptCutoff(now: now), now: now)
        for id in unknown {
            logger.error("notice request unknown after the retry key window", ["request": .int(Int(id))])
        }
        state.progress.unknown += unknown.count
        if !state.inFlight.isEmpty || state.queuedCount > 0 {
            try store.extendLeases(owner: owner, until: now.addingTimeInterval(configuration.leaseDuration))
        }
    }

    /// Claims about as much as the current rates can send in a quarter of the lease, so nothing waits in our
    /// queue long enough to look abandoned.
    private func claim(_ state: inout RunState, now: Date) throws -> Int {
        let rate = state.buckets.values.reduce(0) { $0 + $1.ratePerSecond }
        let limit = min(
            configuration.claimBatchSize - state.queuedCount,
            max(configuration.maximumConcurrentRequests, Int(rate * configuration.leaseDuration / 4)))
        let claimed = try store.claimDueRequests(
            owner: owner, limit: limit, now: now, leaseUntil: now.addingTimeInterval(configuration.leaseDuration),
            attemptCutoff: configuration.retry.attemptCutoff(now: now))
        for request in claimed {
            state.queues[request.endpoint, default: []].append(request)
        }
        return claimed.count
    }

    private func startTransfers(_ state: inout RunState, on multi: MultiHandle, monotonic: Double) throws {
        let windowSize = state.windowSize
        for endpoint in LINEEndpoint.allCases {
            var queue = state.queues[endpoint] ?? []
            var started = 0
            while started < queue.count, state.inFlight.count < windowSize,
                state.buckets[endpoint]!.tryTake(now: monotonic)
            {
                let request = queue[started]
                try multi.add(
                    sender.httpRequest(endpoint: endpoint, payload: request.payload, retryKey: request.retryKey),
                    tag: Int(request.id))
                state.inFlight[Int(request.id)] = request
                state.startedAt[Int(request.id)] = monotonic
                started += 1
            }
            if started > 0 {
                queue.removeFirst(started)
                state.queues[endpoint] = queue
                state.startedSinceProgress += started
            }
        }
    }

    /// How long `perform` may wait: until the next token when requests are queued, briefly while transfers
    /// run (libcurl wakes earlier on socket activity), or until the next due time when idle.
    private func waitMilliseconds(_ state: RunState, monotonic: Double) -> Int {
        var seconds = 0.25
        if !state.inFlight.isEmpty { seconds = 0.05 }
        if state.inFlight.count < state.windowSize {
            for endpoint in LINEEndpoint.allCases where !(state.queues[endpoint]?.isEmpty ?? true) {
                seconds = min(seconds, state.buckets[endpoint]!.secondsUntilAvailable(now: monotonic))
            }
        }
        if state.inFlight.isEmpty, state.queuedCount == 0 {
            if state.ending != nil || !state.records.isEmpty { return 0 }
            seconds = min(0.25, max(0, state.nextClaimAt - monotonic))
        }
        return seconds <= 0 ? 0 : max(1, Int((seconds * 1000).rounded(.up)))
    }

    private func handle(_ completion: MultiHandle.Completion, _ state: inout RunState) {
        guard let request = state.inFlight.removeValue(forKey: completion.tag) else { return }
        if let startedAt = state.startedAt.removeValue(forKey: completion.tag) {
            state.window.record(secondsInFlight: MonotonicClock.seconds() - startedAt)
        }
        let now = clock()
        let result: NoticeStore.DeliveryResult
        switch LINESender.verdict(for: completion.result) {
        case .accepted(let status, let requestID):
            result = .sent(status: status, acceptedRequestID: requestID)
        case .rejected(let status, let reason):
            logger.error("LINE rejected a notice request", ["request": .int(Int(request.id)), "status": .int(status)])
            result = .failed(status: status, reason: reason)
        case .retry(let status, let reason):
            let delay = configuration.retry.backoff(afterAttempt: request.attempts, random: random())
            result = .retry(status: status, reason: reason, notBefore: now.addingTimeInterval(delay))
        case .rateLimited:
            state.progress.rateLimited += 1
            if state.buckets[request.endpoint]!.slowDown(
                now: MonotonicClock.seconds(), pause: configuration.retry.rateLimitedDelay)
            {
                logger.warning(
                    "LINE rate limit hit; slowing down",
                    [
                        "endpoint": .string(request.endpoint.rawValue),
                        "rate": .double(state.buckets[request.endpoint]!.ratePerSecond),
                    ])
            }
            let delay = configuration.retry.rateLimitedDelay * (0.5 + random())
            result = .retry(status: 429, reason: "HTTP 429: rate limit", notBefore: now.addingTimeInterval(delay))
        case .unauthorized(let status):
            if state.ending != .tokenRejected {
                logger.error("LINE rejected the channel access token; stopping", ["status": .int(status)])
            }
            state.ending = .tokenRejected
            result = .retry(status: status, reason: "HTTP \(status): channel access token rejected", notBefore: now)
        }
        if state.records.isEmpty { state.firstRecordAt = MonotonicClock.seconds() }
        state.records.append(NoticeStore.RecordedOutcome(requestID: request.id, result: result))
    }

    private func flush(_ state: inout RunState) throws {
        guard !state.records.isEmpty else { return }
        let tally = try store.recordOutcomes(state.records, owner: owner, now: clock())
        state.progress.sent += tally.sent
        state.progress.failed += tally.failed
        state.progress.retried += tally.retried
        if tally.stale > 0 { logger.warning("outcomes for requests no longer leased", ["count": .int(tally.stale)]) }
        state.records.removeAll(keepingCapacity: true)
        state.firstRecordAt = nil
    }

    private func reportProgressIfDue(_ state: inout RunState) throws {
        guard let progressSink else { return }
        let monotonic = MonotonicClock.seconds()
        let elapsed = monotonic - state.lastProgressAt
        guard elapsed >= 1 else { return }
        state.progress.requestsPerSecond = Double(state.startedSinceProgress) / elapsed
        state.startedSinceProgress = 0
        state.lastProgressAt = monotonic
        let now = clock()
        state.progress.remaining =
            try store.fetchOutlook(owner: owner, now: now, attemptCutoff: configuration.retry.attemptCutoff(now: now))
            .remaining
        progressSink(state.progress)
    }

    // MARK: Dry run

    /// One request a run would send now.
    public struct DryRunItem: Sendable, Equatable {
        public let requestID: Int64
        public let noticeID: Int64
        public let noticeTitle: String
        public let endpoint: LINEEndpoint
        public let recipientCount: Int
        public let messageCount: Int
        public let bodyBytes: Int
        public let attempts: Int
        /// The texts, only for notices that are the same for everyone (personalised texts hold names).
        public let texts: [String]?
        /// What is wrong with the frozen body, or nil.
        public let problem: String?
    }

    /// Checks every due request against LINE's limits and describes it, without claiming or sending.
    public func dryRun() throws -> [DryRunItem] {
        let now = clock()
        let requests = try store.fetchDueRequests(now: now, attemptCutoff: configuration.retry.attemptCutoff(now: now))
        var notices: [Int64: NoticeStore.NoticeSummary] = [:]
        return try requests.map { request in
            if notices[request.noticeID] == nil {
                notices[request.noticeID] = try store.fetchNotice(id: request.noticeID)
            }
            let notice = notices[request.noticeID]
            var problem = LINERequestBody.problem(in: request.payload, endpoint: request.endpoint)
            if problem == nil, UUID(uuidString: request.retryKey) == nil { problem = "retry key is not a UUID" }
            let object = try? JSONSerialization.jsonObject(with: request.payload) as? [String: Any]
            let messages = (object?["messages"] as? [[String: Any]]) ?? []
            return DryRunItem(
                requestID: request.id, noticeID: request.noticeID, noticeTitle: notice?.title ?? "",
                endpoint: request.endpoint, recipientCount: request.recipients.count, messageCount: messages.count,
                bodyBytes: request.payload.count, attempts: request.attempts,
                texts: notice?.personalised == false ? messages.compactMap { $0["text"] as? String } : nil,
                problem: problem)
        }
    }
}
