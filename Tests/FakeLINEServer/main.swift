import Foundation
import TestSupport

// A fake LINE Messaging API on loopback for bench/line-send: TestSupport's FakeLINEAPI (the one the tests
// use) behind a tiny command line. Prints `port N` once listening; on SIGTERM or SIGINT prints one JSON line
// of counters and exits, so the bench reads the fake's own view of 429s and duplicates.
//
// USAGE: fake-line-api [--port N] [--push-limit R] [--multicast-limit R] [--token TOKEN]
//                      [--server-error-rate F] [--slow-rate F] [--slow-seconds S]
//
// Faults, LINE on a bad day: a fraction F of requests answered 500 without accepting, and a fraction answered
// only after S seconds (longer than the sender's timeout) — every other one of those accepted first, so the
// sender's retry must get 409. Which request fails is a hash of its retry key and attempt number: a rerun
// with the same keys meets the same faults.

var configuration = FakeLINEAPI.Configuration()
var serverErrorRate = 0.0
var slowRate = 0.0
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let name = arguments.removeFirst()
    guard let value = arguments.first else {
        FileHandle.standardError.write(Data("fake-line-api: \(name) needs a value\n".utf8))
        exit(64)
    }
    arguments.removeFirst()
    switch name {
    case "--port": configuration.port = Int(value) ?? 0
    case "--push-limit": configuration.pushRequestsPerSecond = Double(value) ?? configuration.pushRequestsPerSecond
    case "--multicast-limit":
        configuration.multicastRequestsPerSecond = Double(value) ?? configuration.multicastRequestsPerSecond
    case "--token": configuration.accessToken = value
    case "--server-error-rate": serverErrorRate = fraction(value, name)
    case "--slow-rate": slowRate = fraction(value, name)
    case "--slow-seconds": configuration.slowResponseSeconds = Double(value) ?? configuration.slowResponseSeconds
    default:
        FileHandle.standardError.write(Data("fake-line-api: unknown option \(name)\n".utf8))
        exit(64)
    }
}

func fraction(_ text: String, _ name: String) -> Double {
    guard let value = Double(text), (0...1).contains(value) else {
        FileHandle.standardError.write(Data("fake-line-api: \(name) takes a fraction between 0 and 1\n".utf8))
        exit(64)
    }
    return value
}

/// FNV-1a over the key and the attempt number, to a fraction in 0..<1.
func faultDraw(_ info: FakeLINEAPI.RequestInfo) -> Double {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in info.retryKey.utf8 + Array("#\(info.earlierAttemptsWithKey)".utf8) {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    hash ^= hash >> 33
    hash = hash &* 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    return Double(hash >> 11) / Double(UInt64(1) << 53)
}

// Slow answers hold a handler thread each: room for twice the expected number at the push limit.
let expectedSlow = configuration.pushRequestsPerSecond * slowRate * configuration.slowResponseSeconds
configuration.handlerThreads = max(configuration.handlerThreads, 64 + Int(2 * expectedSlow))

// Block the stop signals in every thread and wait for them here: no async-signal-safety concerns.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

let fake = try FakeLINEAPI(configuration: configuration)
if serverErrorRate > 0 || slowRate > 0 {
    fake.setPlan { [serverErrorRate, slowRate] info in
        let draw = faultDraw(info)
        if draw < serverErrorRate { return .serverError }
        guard draw < serverErrorRate + slowRate else { return nil }
        return (draw - serverErrorRate) < slowRate / 2 ? .acceptThenSlow : .slowWithoutAccepting
    }
}
let port = fake.baseURL.split(separator: ":").last.map(String.init) ?? "0"
// Straight to the file descriptor: the bench reads this line through a pipe, where stdio would buffer it.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
emit("port \(port)")

var received: Int32 = 0
sigwait(&stopSignals, &received)
let stats = fake.stats
let accepted = fake.acceptedRetryKeys
fake.shutdown()
let counters: [String: Int] = [
    "requests": stats.requests, "accepted": stats.accepted, "conflicts_409": stats.conflicts,
    "rate_limited_429": stats.rateLimited, "unauthorized": stats.unauthorized, "invalid": stats.invalid,
    "without_retry_key": stats.withoutRetryKey, "injected_faults": stats.injectedFaults,
    "distinct_accepted_keys": accepted.count,
]
let data = try JSONSerialization.data(withJSONObject: counters, options: [.sortedKeys])
emit(String(decoding: data, as: UTF8.self))
