import CCurl
import Foundation

/// One libcurl easy handle: a reusable HTTP client connection. Reusing the handle reuses its connection
/// (keep-alive), which is what batch senders and tests want.
///
/// Not thread-safe: use one handle from one thread at a time (libcurl's rule for easy handles).
/// https://curl.se/libcurl/c/libcurl-easy.html
public final class EasyHandle {
    public struct Response: Sendable {
        public let status: Int
        /// Header names lower-cased; the last value of a repeated header wins.
        public let headers: [String: String]
        public let body: Data
        /// Connections libcurl had to open for this transfer: 0 means an existing one was reused.
        public let newConnections: Int

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct CurlError: Error, CustomStringConvertible, Sendable {
        public let code: Int
        public let message: String
        public var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
        public var description: String { "curl error \(code): \(message)" }

        init(_ code: CURLcode) {
            self.code = Int(code.rawValue)
            self.message = String(cString: curl_easy_strerror(code))
        }
    }

    private let handle: UnsafeMutableRawPointer
    private let response = ResponseAccumulator()

    public init() {
        Self.initializeOnce
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// curl_global_init is not thread-safe; a static let runs it exactly once (for `MultiHandle` too).
    static let initializeOnce: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// Performs one request and waits for the whole response.
    public func perform(
        method: String, url: String, headers: [(String, String)] = [], body: Data? = nil,
        timeoutMilliseconds: Int = 10_000
    ) throws -> Response {
        response.reset()
        curl_easy_reset(handle)
        let headerList = try EasyOptions.setRequest(
            on: handle, method: method, url: url, headers: headers, body: body,
            timeoutMilliseconds: timeoutMilliseconds)
        defer { curl_slist_free_all(headerList) }
        try response.install(on: handle)
        try EasyOptions.check(curl_easy_perform(handle))
        return try response.response(of: handle)
    }
}
