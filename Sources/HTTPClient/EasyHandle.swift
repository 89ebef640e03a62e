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
    }

    private let handle: UnsafeMutableRawPointer
    private var responseBody = Data()
    private var responseHeaders: [String: String] = [:]

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
        responseBody = Data()
        responseHeaders = [:]
        curl_easy_reset(handle)
        try set(CURLOPT_URL, url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 5_000))
        switch method {
        case "GET": try set(CURLOPT_HTTPGET, 1)
        case "HEAD": try set(CURLOPT_NOBODY, 1)
        default: try set(CURLOPT_CUSTOMREQUEST, method)
        }
        if let body {
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
            try body.withUnsafeBytes { buffer in
                // COPYPOSTFIELDS copies, so the Swift buffer need not outlive this call.
                try check(
                    madoguchi_curl_easy_setopt_pointer(
                        handle, CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
            }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        // An empty Expect stops libcurl from waiting for 100-continue on larger bodies.
        for (name, value) in headers + [("Expect", "")] {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        defer { curl_slist_free_all(list) }
        try check(madoguchi_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list))

        let context = Unmanaged.passUnretained(self).toOpaque()
        let writeBody: curl_write_callback = { data, size, count, context in
            let handle = Unmanaged<EasyHandle>.fromOpaque(context!).takeUnretainedValue()
            if let data {
                data.withMemoryRebound(to: UInt8.self, capacity: size * count) {
                    handle.responseBody.append($0, count: size * count)
                }
            }
            return size * count
        }
        let writeHeader: curl_write_callback = { data, size, count, context in
            let handle = Unmanaged<EasyHandle>.fromOpaque(context!).takeUnretainedValue()
            if let data {
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") { handle.responseHeaders = [:] }
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                    handle.responseHeaders[name] = value
                }
            }
            return size * count
        }
        try check(madoguchi_curl_easy_setopt_write_callback(handle, writeBody))
        try check(madoguchi_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(madoguchi_curl_easy_setopt_header_callback(handle, writeHeader))
        try check(madoguchi_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context))

        try check(curl_easy_perform(handle))
        var status = 0
        var connects = 0
        var value: Int = 0
        try check(madoguchi_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value))
        status = value
        try check(madoguchi_curl_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &value))
        connects = value
        return Response(status: status, headers: responseHeaders, body: responseBody, newConnections: connects)
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(madoguchi_curl_easy_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, offset value: curl_off_t) throws {
        try check(madoguchi_curl_easy_setopt_off_t(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go away afterwards.
        try check(madoguchi_curl_easy_setopt_string(handle, option, value))
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw CurlError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
    }
}
