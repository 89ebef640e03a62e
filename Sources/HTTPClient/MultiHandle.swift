import CCurl
import Foundation

/// Many HTTP transfers at once over one libcurl multi handle: add requests, then call `perform` in a loop;
/// each call drives every transfer a step and returns the ones that finished. The multi handle keeps a
/// connection cache, so consecutive requests to one host reuse keep-alive connections.
/// https://curl.se/libcurl/c/libcurl-multi.html
///
/// Thread confinement: a `MultiHandle` belongs to the thread that uses it (libcurl's rule for multi
/// handles and their easy handles). The one exception is `waker`, which may be used from any thread to
/// cut a `perform` wait short (curl_multi_wakeup is thread-safe).
public final class MultiHandle {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: Data?
        /// The whole transfer, connect included; past it the transfer completes with a timeout error.
        public var timeoutMilliseconds: Int

        public init(
            method: String, url: String, headers: [(String, String)] = [], body: Data? = nil,
            timeoutMilliseconds: Int = 10_000
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    /// A finished transfer, identified by the tag it was added with.
    public struct Completion: Sendable {
        public let tag: Int
        public let result: Result<EasyHandle.Response, EasyHandle.CurlError>
    }

    public struct MultiError: Error, CustomStringConvertible, Sendable {
        public let code: Int
        public let message: String
        public var description: String { "curl multi error \(code): \(message)" }
    }

    private let multi: UnsafeMutableRawPointer
    public let waker: Waker
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idle: [Transfer] = []

    /// `maximumConnectionsPerHost` also bounds how many transfers to one host run in parallel; the rest wait
    /// inside libcurl for a free connection.
    public init(maximumConnectionsPerHost: Int = 16) {
        _ = EasyHandle.initializeOnce
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        self.waker = Waker(multi: multi)
        // https://curl.se/libcurl/c/CURLMOPT_MAX_HOST_CONNECTIONS.html
        _ = madoguchi_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maximumConnectionsPerHost)
        _ = madoguchi_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maximumConnectionsPerHost)
    }

    deinit {
        waker.invalidate()
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.release()
        }
        active.removeAll()
        idle.forEach { $0.release() }
        curl_multi_cleanup(multi)
    }

    /// Transfers added and not yet returned as completions.
    public var activeTransfers: Int { active.count }

    /// Starts a transfer; it makes progress during `perform` and comes back from it, tagged `tag`.
    public func add(_ request: Request, tag: Int) throws {
        let transfer = idle.popLast() ?? Transfer()
        do {
            try transfer.prepare(request, tag: tag)
        } catch {
            transfer.finish()
            idle.append(transfer)
            throw error
        }
        let code = curl_multi_add_handle(multi, transfer.easy)
        guard code == CURLM_OK else {
            transfer.finish()
            idle.append(transfer)
            throw Self.error(code)
        }
        active[transfer.easy] = transfer
    }

    /// Drives every transfer; when none finished, waits up to `milliseconds` for socket activity (or a
    /// `waker` call) and drives them again. Returns the transfers that finished.
    public func perform(waitingUpTo milliseconds: Int) throws -> [Completion] {
        var running: Int32 = 0
        try check(curl_multi_perform(multi, &running))
        var completions = collectCompleted()
        if completions.isEmpty, milliseconds > 0 {
            // https://curl.se/libcurl/c/curl_multi_poll.html — unlike curl_multi_wait it also sleeps when
            // there is nothing to wait on, so it doubles as the caller's pause.
            try check(curl_multi_poll(multi, nil, 0, Int32(clamping: milliseconds), nil))
            try check(curl_multi_perform(multi, &running))
            completions = collectCompleted()
        }
        return completions
    }

    /// https://curl.se/libcurl/c/curl_multi_info_read.html — the message is only valid until the handle is
    /// removed, so its fields are read first.
    private func collectCompleted() -> [Completion] {
        var completions: [Completion] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: easy)
            else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            completions.append(Completion(tag: transfer.tag, result: transfer.result(code)))
            transfer.finish()
            idle.append(transfer)
        }
        return completions
    }

    private func check(_ code: CURLMcode) throws {
        guard code == CURLM_OK else { throw Self.error(code) }
    }

    private static func error(_ code: CURLMcode) -> MultiError {
        MultiError(code: Int(code.rawValue), message: String(cString: curl_multi_strerror(code)))
    }

    /// Interrupts a `perform` wait from another thread, e.g. a signal handler thread asking the run to stop.
    /// Safe after the multi handle is gone: it then does nothing.
    public final class Waker: @unchecked Sendable {
        // Guarded by `lock`; nil once the multi handle is freed.
        private let lock = NSLock()
        private var multi: UnsafeMutableRawPointer?

        init(multi: UnsafeMutableRawPointer) {
            self.multi = multi
        }

        public func wakeUp() {
            lock.withLock {
                if let multi { _ = curl_multi_wakeup(multi) }
            }
        }

        func invalidate() {
            lock.withLock { multi = nil }
        }
    }
}

/// One easy handle with the buffers of its current transfer. Reused across transfers; owned by a
/// `MultiHandle` and touched only on its thread.
private final class Transfer {
    let easy: UnsafeMutableRawPointer
    var tag = 0
    var body = Data()
    var headers: [String: String] = [:]
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() {
        guard let easy = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.easy = easy
    }

    func prepare(_ request: MultiHandle.Request, tag: Int) throws {
        self.tag = tag
        body = Data()
        headers = [:]
        curl_easy_reset(easy)
        try set(CURLOPT_URL, request.url)
        // Only HTTP(S): a misconfigured base URL must not make libcurl speak another protocol.
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(request.timeoutMilliseconds, 5_000))
        switch request.method {
        case "GET": try set(CURLOPT_HTTPGET, 1)
        case "HEAD": try set(CURLOPT_NOBODY, 1)
        default: try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            try check(madoguchi_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            try body.withUnsafeBytes { buffer in
                // COPYPOSTFIELDS copies, so the Swift buffer need not outlive this call.
                try check(
                    madoguchi_curl_easy_setopt_pointer(
                        easy, CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
            }
        }
        // libcurl keeps the list's pointer, not a copy: it lives until the transfer is finished.
        for (name, value) in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        try check(madoguchi_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        let context = Unmanaged.passUnretained(self).toOpaque()
        let writeBody: curl_write_callback = { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            if let data {
                data.withMemoryRebound(to: UInt8.self, capacity: size * count) {
                    transfer.body.append($0, count: size * count)
                }
            }
            return size * count
        }
        let writeHeader: curl_write_callback = { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            if let data {
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") { transfer.headers = [:] }
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                    transfer.headers[name] = value
                }
            }
            return size * count
        }
        try check(madoguchi_curl_easy_setopt_write_callback(easy, writeBody))
        try check(madoguchi_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        try check(madoguchi_curl_easy_setopt_header_callback(easy, writeHeader))
        try check(madoguchi_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
    }

    func result(_ code: CURLcode) -> Result<EasyHandle.Response, EasyHandle.CurlError> {
        guard code == CURLE_OK else {
            return .failure(
                EasyHandle.CurlError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code))))
        }
        var status = 0
        var connects = 0
        _ = madoguchi_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        _ = madoguchi_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        return .success(EasyHandle.Response(status: status, headers: headers, body: body, newConnections: connects))
    }

    /// Frees what only the finished transfer needed; the easy handle stays for the next one.
    func finish() {
        curl_slist_free_all(headerList)
        headerList = nil
        body = Data()
        headers = [:]
    }

    func release() {
        finish()
        curl_easy_cleanup(easy)
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(madoguchi_curl_easy_setopt_long(easy, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        try check(madoguchi_curl_easy_setopt_string(easy, option, value))
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw EasyHandle.CurlError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
    }
}
