import Foundation
import TestSupport

// A fake LINE Messaging API on loopback for bench/line-send: TestSupport's FakeLINEAPI (the one the tests
// use) behind a tiny command line. Prints `port N` once listening; on SIGTERM or SIGINT prints one JSON line
// of counters and exits, so the bench reads the fake's own view of 429s and duplicates.
//
// USAGE: fake-line-api [--port N] [--push-limit R] [--multicast-limit R] [--token TOKEN]

var configuration = FakeLINEAPI.Configuration()
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
    default:
        FileHandle.standardError.write(Data("fake-line-api: unknown option \(name)\n".utf8))
        exit(64)
    }
}

// Block the stop signals in every thread and wait for them here: no async-signal-safety concerns.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

let fake = try FakeLINEAPI(configuration: configuration)
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
    "without_retry_key": stats.withoutRetryKey, "distinct_accepted_keys": accepted.count,
]
let data = try JSONSerialization.data(withJSONObject: counters, options: [.sortedKeys])
emit(String(decoding: data, as: UTF8.self))
