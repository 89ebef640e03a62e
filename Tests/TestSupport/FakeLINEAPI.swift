import Foundation
import HTTP

/// A fake LINE Messaging API on an ephemeral loopback port that behaves like LINE where notices depend on it
/// (DESIGN.md, "Domain facts: LINE Messaging API"):
/// - `POST /v2/bot/message/push` and `/v2/bot/message/multicast`, nothing else;
/// - checks `Authorization: Bearer <token>` (401), `Content-Type: application/json` (415), the body shape and
///   limits (400: push `to` a string, multicast `to` 1...500 strings, 1...5 text messages of 1...5,000 UTF-16
///   units) and a 2 MB body cap (413);
/// - enforces per-endpoint token-bucket rate limits with 429 and LINE's message, without Retry-After;
/// - `X-Line-Retry-Key` must be a UUID; a key already accepted gets 409 with `X-Line-Accepted-Request-Id`;
/// - records every accepted key and every delivered (recipient, text), so tests can assert exactly once;
/// - fails on request when told to, through `plan`: 500s, responses slower than the client's timeout
///   (before or after accepting), dropped connections (before or after accepting), held responses.
///
/// Its validation is written independently of the sender's, so a mistake in one is not mirrored by the other.
public final class FakeLINEAPI: @unchecked Sendable {
    public enum Endpoint: String, Sendable, CaseIterable {
        case push, multicast
    }

    public struct Configuration: Sendable {
        public var accessToken = "fake-channel-access-token"
        /// LINE's per-channel limits by default.
        public var pushRequestsPerSecond = 2_000.0
        public var multicastRequestsPerSecond = 200.0
        /// The bucket holds this many seconds' worth of requests.
        public var burstSeconds = 1.0
        /// How long a "slow" fault keeps the client waiting; longer than the client's timeout.
        public var slowResponseSeconds = 2.0
        /// Loopback port to listen on; 0 picks a free one (the `fake-line-api` executable takes `--port`).
        public var port = 0
        /// Threads answering requests. A slow answer holds one for `slowResponseSeconds`, as a LINE server
        /// would hold a connection; the bench's 2% of 2,000/s slow for 10 s needs about 400 of them.
        public var handlerThreads = 64

        public init() {}
    }

    /// What the plan sees about a request before the fake decides what to do with it.
    public struct RequestInfo: Sendable {
        /// 1 for the first request that passed validation, and so on.
        public let sequence: Int
        public let endpoint: Endpoint
        public let retryKey: String
        /// How many validated requests carried this key before, this one excluded.
        public let earlierAttemptsWithKey: Int
        public let keyAlreadyAccepted: Bool
        public let recipients: [String]
    }

    public enum Fault: Sendable, Equatable {
        /// 500 without accepting.
        case serverError
        /// Answer only after `slowResponseSeconds`, without accepting: the client times out, nothing happened.
        case slowWithoutAccepting
        /// Accept and record, then answer only after `slowResponseSeconds`: the client times out although LINE
        /// has the message. Its retry must get 409.
        case acceptThenSlow
        /// Close the connection without an answer, before accepting.
        case dropBeforeAccepting
        /// Accept, then close the connection without an answer.
        case dropAfterAccepting
        /// Accept, then hold the answer until `releaseHeldResponses()` (or shutdown): for killing the client
        /// while LINE has its message and it has no answer.
        case acceptThenHold
        /// Answer with this status and a LINE-style error body, without accepting.
        case status(Int)
    }

    /// Counters since start, for assertions.
    public struct Statistics: Sendable, Equatable {
        public var requests = 0
        public var accepted = 0
        public var conflicts = 0
        public var rateLimited = 0
        public var unauthorized = 0
        public var invalid = 0
        public var injectedFaults = 0
        public var withoutRetryKey = 0
    }

    public let configuration: Configuration
    private let server: Server
    /// Everything handlers touch. Handlers hold it, never the `FakeLINEAPI`, so the fake's deinit (which
    /// stops the server) can never run on a handler's own thread.
    private let state: FakeLINEState

    public init(configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        let state = FakeLINEState(configuration: configuration)
        self.state = state
        var serverConfiguration = Server.Configuration()
        serverConfiguration.host = "127.0.0.1"
        serverConfiguration.port = configuration.port
        serverConfiguration.shutdownGraceSeconds = 5
        serverConfiguration.blockingThreads = configuration.handlerThreads
        var routes = Routes()
        for endpoint in Endpoint.allCases {
            // LINE's 2 MB cap: larger bodies get 413 before they are read.
            routes.post("/v2/bot/message/\(endpoint.rawValue)", maximumBodyBytes: 2 * 1024 * 1024) { request in
                try state.handle(request, endpoint: endpoint)
            }
        }
        // The insight statistics the KPI pulls once a day (LINE's insight.yml, getNumberOfFollowers).
        routes.get("/v2/bot/insight/followers") { request in try state.answerFollowers(request) }
        server = Server(configuration: serverConfiguration, routes: routes, logger: .disabled)
        try server.start()
    }

    /// LINE's follower statistics of one JST day (`yyyyMMdd`) as `GET /v2/bot/insight/followers?date=` answers
    /// them. A day without statistics set answers `status: unready` with no counts, as LINE does until it has
    /// computed the day; `outOfService` answers `out_of_service` (days before LINE kept statistics).
    public enum FollowerStatistics: Sendable, Equatable {
        case ready(followers: Int, targetedReaches: Int, blocks: Int)
        case outOfService
    }

    public func setFollowerStatistics(_ statistics: FollowerStatistics?, forDate date: String) {
        state.setFollowerStatistics(statistics, forDate: date)
    }

    /// The `date` values asked for, in order.
    public var followerDatesAsked: [String] { state.followerDatesAsked }

    deinit {
        shutdown()
    }

    /// Releases held and slow responses and stops the server. Safe to call more than once.
    public func shutdown() {
        state.beginShutdown()
        server.shutdown()
    }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// What `madoguchi notices send` needs to talk to this fake: its base URL, and a token file written in
    /// `directory` the way an operator writes one (with a trailing line break).
    public func senderEnvironment(in directory: TemporaryDirectory) throws -> [String: String] {
        let tokenFile = directory.path("line-token")
        try (configuration.accessToken + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        return ["MADOGUCHI_LINE_API_BASE": baseURL, "MADOGUCHI_LINE_CHANNEL_TOKEN_FILE": tokenFile]
    }

    /// Decides, per validated request, whether to misbehave; nil means behave. Called on server threads.
    public func setPlan(_ plan: (@Sendable (RequestInfo) -> Fault?)?) {
        state.setPlan(plan)
    }

    public func releaseHeldResponses() {
        state.releaseHeldResponses()
    }

    public var stats: Statistics { state.stats }

    /// Every accepted retry key, with the request id LINE gave it.
    public var acceptedRetryKeys: [String: String] { state.acceptedRetryKeys }

    /// The texts each recipient received, in order.
    public var deliveredTexts: [String: [String]] { state.deliveredTexts }

    /// Waits until at least `count` requests were accepted; false if `timeout` passed first.
    public func waitUntilAccepted(atLeast count: Int, timeout: TimeInterval) -> Bool {
        state.waitUntilAccepted(atLeast: count, timeout: timeout)
    }
}

/// The fake's state and behaviour, shared by the server's handler threads.
private final class FakeLINEState: @unchecked Sendable {
    typealias Endpoint = FakeLINEAPI.Endpoint
    typealias Fault = FakeLINEAPI.Fault
    typealias RequestInfo = FakeLINEAPI.RequestInfo

    let configuration: FakeLINEAPI.Configuration

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var statistics = FakeLINEAPI.Statistics()
    private var plan: (@Sendable (RequestInfo) -> Fault?)?
    private var acceptedKeys: [String: String] = [:]
    private var attemptsByKey: [String: Int] = [:]
    private var deliveries: [String: [String]] = [:]
    private var buckets: [Endpoint: FakeBucket] = [:]
    private var sequence = 0
    private var heldReleased = false
    private var shuttingDown = false

    init(configuration: FakeLINEAPI.Configuration) {
        self.configuration = configuration
        let now = Self.monotonicSeconds()
        buckets[.push] = FakeBucket(
            rate: configuration.pushRequestsPerSecond,
            capacity: configuration.pushRequestsPerSecond * configuration.burstSeconds, now: now)
        buckets[.multicast] = FakeBucket(
            rate: configuration.multicastRequestsPerSecond,
            capacity: configuration.multicastRequestsPerSecond * configuration.burstSeconds, now: now)
    }

    func beginShutdown() {
        condition.withLock {
            shuttingDown = true
            condition.broadcast()
        }
    }

    func setPlan(_ plan: (@Sendable (RequestInfo) -> Fault?)?) {
        condition.withLock { self.plan = plan }
    }

    func releaseHeldResponses() {
        condition.withLock {
            heldReleased = true
            condition.broadcast()
        }
    }

    private var followerStatistics: [String: FakeLINEAPI.FollowerStatistics] = [:]
    private var followerDates: [String] = []

    func setFollowerStatistics(_ statistics: FakeLINEAPI.FollowerStatistics?, forDate date: String) {
        condition.withLock { followerStatistics[date] = statistics }
    }

    var followerDatesAsked: [String] { condition.withLock { followerDates } }

    func answerFollowers(_ request: Request) throws -> Response {
        guard request.header("authorization") == "Bearer \(configuration.accessToken)" else {
            condition.withLock { statistics.unauthorized += 1 }
            return Self.error(
                401,
                "Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid."
            )
        }
        let date = request.query("date") ?? ""
        guard date.utf8.count == 8, date.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return Self.error(400, "The request body has 1 error(s)", detail: "date: must match ^[0-9]{8}$")
        }
        let answer = condition.withLock { () -> FakeLINEAPI.FollowerStatistics? in
            followerDates.append(date)
            return followerStatistics[date]
        }
        let body: [String: Any]
        switch answer {
        case .ready(let followers, let targetedReaches, let blocks)?:
            body = ["status": "ready", "followers": followers, "targetedReaches": targetedReaches, "blocks": blocks]
        case .outOfService?: body = ["status": "out_of_service"]
        case nil: body = ["status": "unready"]
        }
        return Response(
            status: 200, headers: [("Content-Type", "application/json")],
            body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
    }

    var stats: FakeLINEAPI.Statistics { condition.withLock { statistics } }
    var acceptedRetryKeys: [String: String] { condition.withLock { acceptedKeys } }
    var deliveredTexts: [String: [String]] { condition.withLock { deliveries } }

    func waitUntilAccepted(atLeast count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while statistics.accepted < count {
            if !condition.wait(until: deadline) { return statistics.accepted >= count }
        }
        return true
    }

    // MARK: Handling a request

    func handle(_ request: Request, endpoint: Endpoint) throws -> Response {
        condition.withLock { statistics.requests += 1 }
        guard request.header("authorization") == "Bearer \(configuration.accessToken)" else {
            condition.withLock { statistics.unauthorized += 1 }
            return Self.error(
                401,
                "Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid."
            )
        }
        guard request.contentType == "application/json" else {
            condition.withLock { statistics.invalid += 1 }
            return Self.error(415, "The content type, '\(request.contentType ?? "")', is not supported")
        }
        let allowed = condition.withLock { buckets[endpoint]!.take(now: Self.monotonicSeconds()) }
        guard allowed else {
            condition.withLock { statistics.rateLimited += 1 }
            // LINE sends no Retry-After.
            return Self.error(429, "The API rate limit has been exceeded. Try again later.")
        }
        let body: ValidatedBody
        switch Self.validate(request.body, endpoint: endpoint) {
        case .success(let validated): body = validated
        case .failure(let problem):
            condition.withLock { statistics.invalid += 1 }
            return Self.error(400, "The request body has 1 error(s)", detail: problem.text)
        }
        guard let retryKey = request.header("x-line-retry-key") else {
            condition.withLock { statistics.withoutRetryKey += 1 }
            return accept(body, retryKey: nil, endpoint: endpoint).response
        }
        guard UUID(uuidString: retryKey) != nil else {
            condition.withLock { statistics.invalid += 1 }
            return Self.error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
        }

        let (info, currentPlan) = condition.withLock {
            sequence += 1
            let info = RequestInfo(
                sequence: sequence, endpoint: endpoint, retryKey: retryKey,
                earlierAttemptsWithKey: attemptsByKey[retryKey, default: 0],
                keyAlreadyAccepted: acceptedKeys[retryKey] != nil, recipients: body.recipients)
            attemptsByKey[retryKey, default: 0] += 1
            return (info, plan)
        }
        guard let fault = currentPlan?(info) else {
            return accept(body, retryKey: retryKey, endpoint: endpoint).response
        }
        condition.withLock { statistics.injectedFaults += 1 }
        switch fault {
        case .serverError:
            return Self.error(500, "An error occurred on the server")
        case .status(let status):
            return Self.error(status, "Injected failure")
        case .slowWithoutAccepting:
            waitForRelease(seconds: configuration.slowResponseSeconds, held: false)
            return Self.error(500, "An error occurred on the server")
        case .acceptThenSlow:
            let outcome = accept(body, retryKey: retryKey, endpoint: endpoint)
            waitForRelease(seconds: configuration.slowResponseSeconds, held: false)
            return outcome.response
        case .dropBeforeAccepting:
            throw DropConnection()
        case .dropAfterAccepting:
            _ = accept(body, retryKey: retryKey, endpoint: endpoint)
            throw DropConnection()
        case .acceptThenHold:
            let outcome = accept(body, retryKey: retryKey, endpoint: endpoint)
            waitForRelease(seconds: 120, held: true)
            return outcome.response
        }
    }

    /// Accepts the request unless its key was accepted before (409), recording key and deliveries atomically.
    private func accept(_ body: ValidatedBody, retryKey: String?, endpoint: Endpoint) -> (
        response: Response, accepted: Bool
    ) {
        condition.lock()
        defer { condition.unlock() }
        if let retryKey, let earlier = acceptedKeys[retryKey] {
            statistics.conflicts += 1
            var response = Self.error(409, "The retry key is already accepted")
            response.setHeader("X-Line-Accepted-Request-Id", earlier)
            return (response, false)
        }
        let requestID = UUID().uuidString.lowercased()
        if let retryKey { acceptedKeys[retryKey] = requestID }
        for recipient in body.recipients {
            deliveries[recipient, default: []].append(contentsOf: body.texts)
        }
        statistics.accepted += 1
        condition.broadcast()
        let json: String
        switch endpoint {
        case .push:
            let sent = body.texts.map { _ in
                "{\"id\":\"\(UInt64.random(in: 1...UInt64.max))\",\"quoteToken\":\"q\(UInt32.random(in: 0...UInt32.max))\"}"
            }
            json = "{\"sentMessages\":[\(sent.joined(separator: ","))]}"
        case .multicast:
            json = "{}"
        }
        return (
            Response(
                status: 200, headers: [("Content-Type", "application/json"), ("X-Line-Request-Id", requestID)],
                body: Data(json.utf8)), true
        )
    }

    /// Sleeps for a slow response, or holds one until released; shutdown ends both at once.
    private func waitForRelease(seconds: TimeInterval, held: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        while !shuttingDown && !(held && heldReleased) && condition.wait(until: deadline) {}
        condition.unlock()
    }

    // MARK: Validation, independent of the sender's

    struct ValidatedBody {
        let recipients: [String]
        let texts: [String]
    }

    struct Problem: Error {
        let text: String
    }

    static func validate(_ data: Data, endpoint: Endpoint) -> Result<ValidatedBody, Problem> {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .failure(Problem(text: "The request body is not a JSON object"))
        }
        let recipients: [String]
        switch endpoint {
        case .push:
            guard let to = object["to"] as? String, !to.isEmpty else {
                return .failure(Problem(text: "to: must be a string"))
            }
            recipients = [to]
        case .multicast:
            guard let to = object["to"] as? [Any], let strings = to as? [String], strings.count == to.count else {
                return .failure(Problem(text: "to: must be an array of strings"))
            }
            guard (1...500).contains(strings.count) else {
                return .failure(Problem(text: "to: Size must be between 1 and 500"))
            }
            guard Set(strings).count == strings.count else {
                return .failure(Problem(text: "to: must not contain duplicates"))
            }
            recipients = strings
        }
        guard let messages = object["messages"] as? [Any], (1...5).contains(messages.count) else {
            return .failure(Problem(text: "messages: Size must be between 1 and 5"))
        }
        var texts: [String] = []
        for (index, element) in messages.enumerated() {
            guard let message = element as? [String: Any], message["type"] as? String == "text",
                let text = message["text"] as? String
            else { return .failure(Problem(text: "messages[\(index)]: must be a text message")) }
            guard !text.isEmpty, text.utf16.count <= 5_000 else {
                return .failure(Problem(text: "messages[\(index)].text: Length must be between 1 and 5000"))
            }
            texts.append(text)
        }
        return .success(ValidatedBody(recipients: recipients, texts: texts))
    }

    /// LINE's error body: `{"message": ..., "details": [...]}`.
    static func error(_ status: Int, _ message: String, detail: String? = nil) -> Response {
        var object: [String: Any] = ["message": message]
        if let detail { object["details"] = [["message": detail, "property": "body"]] }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    static func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// LINE's rate limit as the fake applies it: `rate` per second, `capacity` at once.
private struct FakeBucket {
    let rate: Double
    let capacity: Double
    var tokens: Double
    var updatedAt: Double

    init(rate: Double, capacity: Double, now: Double) {
        self.rate = rate
        self.capacity = max(1, capacity)
        self.tokens = self.capacity
        self.updatedAt = now
    }

    mutating func take(now: Double) -> Bool {
        tokens = min(capacity, tokens + max(0, now - updatedAt) * rate)
        updatedAt = max(updatedAt, now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
