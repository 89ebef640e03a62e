import Foundation
import HTTP
import HTTPClient

/// A real `Server` on an ephemeral loopback port, for tests that speak HTTP over a socket.
public final class LiveServer: @unchecked Sendable {
    public let server: Server
    public let logLines = LogCapture()

    public init(routes: Routes, configure: (inout Server.Configuration) -> Void = { _ in }) throws {
        var configuration = Server.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.workerThreads = 4
        configure(&configuration)
        let capture = logLines
        server = Server(
            configuration: configuration, routes: routes,
            logger: Logger(minimumLevel: .info, sink: { capture.append($0) }))
        try server.start()
    }

    deinit {
        server.shutdown()
    }

    public var port: Int { server.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// One request on a fresh handle (a fresh connection).
    public func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil
    ) throws -> EasyHandle.Response {
        try EasyHandle().perform(method: method, url: baseURL + path, headers: headers, body: body)
    }
}

/// Collects log lines written from any thread. The server logs a request after its response is on the wire,
/// so a test that checks logs or metrics first waits for the line it expects.
public final class LogCapture: @unchecked Sendable {
    private let condition = NSCondition()
    private var storage: [String] = []

    public init() {}

    public func append(_ line: String) {
        condition.lock()
        storage.append(line)
        condition.broadcast()
        condition.unlock()
    }

    public var lines: [String] { condition.withLock { storage } }

    /// Waits until `count` lines satisfy `predicate` (10 s at most) and returns them.
    @discardableResult
    public func waitForLines(count: Int = 1, where predicate: (String) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(10)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let matching = storage.filter(predicate)
            if matching.count >= count || !condition.wait(until: deadline) { return matching }
        }
    }

    /// Waits for the access-log lines of `count` requests.
    @discardableResult
    public func waitForRequests(_ count: Int) -> [String] {
        waitForLines(count: count) { $0.contains("\"msg\":\"request\"") }
    }
}
