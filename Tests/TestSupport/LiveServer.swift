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

/// Collects log lines written from any thread.
public final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    public init() {}

    public func append(_ line: String) { lock.withLock { storage.append(line) } }
    public var lines: [String] { lock.withLock { storage } }
}
