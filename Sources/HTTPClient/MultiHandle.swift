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
    private let response = ResponseAccumulator()
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() {
        guard let easy = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.easy = easy
    }

    func prepare(_ request: MultiHandle.Request, tag: Int) throws {
        self.tag = tag
        response.reset()
        curl_easy_reset(easy)
        // libcurl keeps the list's pointer, not a copy: it lives until the transfer is finished.
        headerList = try EasyOptions.setRequest(
            on: easy, method: request.method, url: request.url, headers: request.headers, body: request.body,
            timeoutMilliseconds: request.timeoutMilliseconds)
        // Only HTTP(S): a misconfigured base URL must not make libcurl speak another protocol.
        try EasyOptions.set(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        try response.install(on: easy)
    }

    func result(_ code: CURLcode) -> Result<EasyHandle.Response, EasyHandle.CurlError> {
        guard code == CURLE_OK else { return .failure(EasyHandle.CurlError(code)) }
        do {
            return .success(try response.response(of: easy))
        } catch {
            return .failure(error)
        }
    }

    /// Frees what only the finished transfer needed; the easy handle stays for the next one.
    func finish() {
        curl_slist_free_all(headerList)
        headerList = nil
        response.reset()
    }

    func release() {
        finish()
        curl_easy_cleanup(easy)
    }
}
