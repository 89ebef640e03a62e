import CMicroHTTPD
import Cryptography
import Foundation
import Synchronization

/// The HTTP listener, over GNU libmicrohttpd: an internal epoll thread pool parses requests and calls handlers.
///
/// Request lifecycle, in libmicrohttpd's terms (https://www.gnu.org/software/libmicrohttpd/manual/):
/// 0. the URI log callback (request line only): the exchange begins, and takes the query string away from
///    libmicrohttpd, whose per-argument records would exhaust the connection's memory pool;
/// 1. first access-handler call (headers only): match the route, refuse framing the server cannot trust
///    (conflicting `Content-Length`: 400, a transfer coding other than chunked: 501), check `Content-Length`
///    against the route's limit and answer 413 at once if it is too large, before a byte of body is read;
/// 2. further calls hand over body chunks, appended up to the limit;
/// 3. the last call (no more data) runs the handler and queues the response. Replying here, never on the
///    first call, keeps the connection alive for the next request. Routes that block (writes waiting for
///    their group commit) run on a separate worker pool instead: the connection is suspended, the worker
///    computes the response and resumes it, and libmicrohttpd calls the handler once more to send it;
/// 4. the completion callback logs the request and updates the metrics.
public final class Server: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// libmicrohttpd's polling threads. They never block (blocking routes are offloaded), so one per core.
        public var workerThreads = ProcessInfo.processInfo.activeProcessorCount
        /// Threads for offloaded routes. They mostly wait — for a group commit's fsync — so there are many:
        /// every waiting write is one more write in the next commit batch.
        public var blockingThreads = 64
        public var connectionLimit = 1024
        public var connectionTimeoutSeconds = 30
        /// Per-connection buffer for the request line and headers; larger headers get 431 from libmicrohttpd.
        /// libmicrohttpd zeroes this pool for every request, so it is kept small; nginx caps headers at 8 KB anyway.
        public var connectionMemoryLimit = 16 * 1024
        /// How long shutdown waits for in-flight requests before closing connections anyway.
        public var shutdownGraceSeconds = 20.0
        /// Take the client address from X-Forwarded-For when the peer is loopback (nginx in front).
        public var trustLoopbackProxy = true
        /// Request bodies at least this long count against `largeBodyBudgetBytes` (`RequestBodyBudget`).
        public var largeBodyThresholdBytes = 256 * 1024
        /// Large bodies in memory at once: three 10 MB uploads, with their parsed copies under 128 MB RSS.
        public var largeBodyBudgetBytes = 32 * 1_048_576

        public init() {}
    }

    /// Renders an error for a request. The default renders JSON for `/api/` and plain text elsewhere; the app
    /// replaces it with its HTML page renderer.
    public typealias ErrorRenderer = @Sendable (Request, any HTTPResponseError) -> Response

    public let configuration: Configuration
    public let metrics: HTTPMetrics
    let router: Router
    /// The metrics series of each route, by `Route.index`.
    private let routeSeries: [HTTPMetrics.Series]
    let logger: Logger
    let errorRenderer: ErrorRenderer

    // `daemon`, `boundPort` and `acceptor` are guarded by `condition`, which shutdown also waits on for
    // in-flight requests.
    private let condition = NSCondition()
    private var daemon: OpaquePointer?
    private var boundPort = 0
    /// Owns the listening socket; libmicrohttpd has none of its own (see `ConnectionAcceptor`).
    private var acceptor: ConnectionAcceptor?
    // Read on every request, so atomics rather than the lock.
    private let draining = Atomic<Bool>(false)
    private let blockingPool: BlockingWorkPool
    private let bodyBudget: RequestBodyBudget
    private let requestCounter = Atomic<UInt64>(0)
    /// Connections suspended while a blocking handler runs; shutdown must resume them before stopping.
    private let suspendedLock = NSLock()
    private var suspendedExchanges: [ObjectIdentifier: (Exchange, SuspendedConnection)] = [:]
    /// Set, under `suspendedLock`, once shutdown has swept the suspended connections: from then on nothing
    /// may be suspended, because libmicrohttpd would find it at MHD_stop_daemon and abort the process.
    private var suspendingClosed = false
    /// Runs in `shutdown` after the in-flight wait, before the sweep: lets a test start a request in that gap.
    var beforeSweepingSuspendedConnections: (() -> Void)?
    /// 12 hex digits of randomness, so ids from different processes and restarts don't collide.
    private let requestIDPrefix = Array(Hex.encode(SecureRandom.bytes(6)).utf8)

    public init(
        configuration: Configuration, routes: Routes, logger: Logger, metrics: HTTPMetrics = HTTPMetrics(),
        errorRenderer: ErrorRenderer? = nil
    ) {
        self.configuration = configuration
        self.router = Router(routes)
        self.logger = logger
        self.metrics = metrics
        self.routeSeries = routes.routes.map { metrics.series(method: $0.method, route: $0.pattern) }
        self.errorRenderer = errorRenderer ?? Server.defaultErrorRenderer
        self.blockingPool = BlockingWorkPool(threads: configuration.blockingThreads)
        self.bodyBudget = RequestBodyBudget(
            threshold: configuration.largeBodyThresholdBytes, capacity: configuration.largeBodyBudgetBytes)
    }

    /// The port actually bound: differs from the configured one when that was 0.
    public var port: Int { condition.withLock { boundPort } }

    /// libmicrohttpd's own listening socket: -1 while the server runs, because `ConnectionAcceptor` owns the
    /// only one, and with none libmicrohttpd never has to be quiesced (what used to abort the process).
    var daemonListeningDescriptor: Int32 {
        condition.withLock { daemon.map { madoguchi_mhd_listen_descriptor($0) } ?? -1 }
    }

    /// True once shutdown has begun; `/readyz` reports it so a load balancer stops sending traffic.
    public var isDraining: Bool { draining.load(ordering: .sequentiallyConsistent) }

    public func start() throws {
        let socket = try ListeningSocket(host: configuration.host, port: configuration.port)
        let accessHandler: MHD_AccessHandlerCallback = {
            context, connection, url, method, _, uploadData, uploadSize, requestContext in
            let server = Unmanaged<Server>.fromOpaque(context!).takeUnretainedValue()
            return server.access(
                connection: connection!, url: url!, method: method!, uploadData: uploadData,
                uploadSize: uploadSize!, requestContext: requestContext!)
        }
        // Called once the request line is parsed, before libmicrohttpd splits the query into its memory pool;
        // what it returns is the request context the access handler receives.
        let requestLineParsed:
            @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) ->
                UnsafeMutableRawPointer? = { _, uri, _ in
                    Unmanaged.passRetained(Exchange(requestTarget: uri)).toOpaque()
                }
        let completed: MHD_RequestCompletedCallback = { context, _, requestContext, _ in
            guard let context, let pointer = requestContext?.pointee else { return }
            let server = Unmanaged<Server>.fromOpaque(context).takeUnretainedValue()
            server.complete(Unmanaged<Exchange>.fromOpaque(pointer).takeRetainedValue())
            requestContext?.pointee = nil
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        // TURBO: try reads and writes on the non-blocking sockets before asking epoll; documented as safe, and
        // it saves a system call on most keep-alive requests.
        // NO_LISTEN_SOCKET and ITC: `ConnectionAcceptor` accepts and adds each connection, and the ITC wakes the
        // polling thread that receives it.
        let flags =
            MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_TURBO.rawValue
            | MHD_USE_NO_LISTEN_SOCKET.rawValue | MHD_USE_ITC.rawValue
        // MHD_start_daemon is variadic; its va_list twin takes the options. Integer widths follow the C
        // signature of each option: unsigned int -> UInt32, size_t -> Int, MHD_socket -> Int32.
        let started: OpaquePointer? = withVaList([
            MHD_OPTION.CONNECTION_LIMIT.rawValue, UInt32(configuration.connectionLimit),
            MHD_OPTION.CONNECTION_TIMEOUT.rawValue, UInt32(configuration.connectionTimeoutSeconds),
            MHD_OPTION.CONNECTION_MEMORY_LIMIT.rawValue, configuration.connectionMemoryLimit,
            MHD_OPTION.THREAD_POOL_SIZE.rawValue, UInt32(configuration.workerThreads),
            MHD_OPTION.NOTIFY_COMPLETED.rawValue, unsafeBitCast(completed, to: OpaquePointer.self),
            OpaquePointer(context),
            MHD_OPTION.URI_LOG_CALLBACK.rawValue, unsafeBitCast(requestLineParsed, to: OpaquePointer.self),
            OpaquePointer(context),
            MHD_OPTION.END.rawValue,
        ]) { arguments in
            MHD_start_daemon_va(flags, 0, nil, nil, accessHandler, context, arguments)
        }
        guard let started else {
            close(socket.descriptor)
            throw ServerStartError(reason: "libmicrohttpd refused to start on \(socket.host):\(socket.port)")
        }
        let acceptor = ConnectionAcceptor(
            listener: socket.descriptor, daemon: started, connectionLimit: configuration.connectionLimit,
            logger: logger)
        condition.withLock {
            daemon = started
            boundPort = socket.port
            self.acceptor = acceptor
        }
        draining.store(false, ordering: .sequentiallyConsistent)
        suspendedLock.withLock { suspendingClosed = false }
        acceptor.start()
        blockingPool.start()
        logger.info("listening", ["address": .string(socket.host), "port": .int(socket.port)])
    }

    /// Closes the listening socket: new connections are refused, requests already received go on, and
    /// responses carry `Connection: close`. The first step of `shutdown()`; exposed so tests can observe it.
    public func stopAccepting() {
        condition.lock()
        guard daemon != nil, let acceptor else {
            condition.unlock()
            return
        }
        draining.store(true, ordering: .sequentiallyConsistent)
        condition.unlock()
        // Every caller waits here until the accepting thread is gone (a second caller too, so `shutdown` can
        // never stop the daemon while a connection is still being added to it).
        acceptor.stop()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the grace period), then closes
    /// every connection. Safe to call more than once.
    public func shutdown() {
        stopAccepting()
        let deadline = Date().addingTimeInterval(configuration.shutdownGraceSeconds)
        condition.lock()
        // `complete` broadcasts under this lock when the count reaches zero while draining, so the check and
        // the wait cannot miss it.
        while metrics.inFlight > 0 && condition.wait(until: deadline) {}
        let abandoned = metrics.inFlight
        let daemon = self.daemon
        self.daemon = nil
        condition.unlock()
        guard let daemon else { return }
        if abandoned > 0 { logger.warning("shutdown grace period over", ["in_flight": .int(abandoned)]) }
        beforeSweepingSuspendedConnections?()
        // libmicrohttpd aborts the process if it is stopped with a connection still suspended, so every
        // handler still running gives up its connection first. Always, not only past the grace period: the
        // polling thread goes on reading requests from open keep-alive connections after the in-flight count
        // reached zero, and one of them suspended in that gap aborted `serve` under SIGTERM at the end of a
        // wrk run (bench/route-cost --connections, "MHD_stop_daemon() called while we have suspended
        // connections").
        resumeAbandonedConnections()
        // The 503s of the connections just resumed are still to be sent, and MHD_stop_daemon would close
        // those connections unanswered; nothing can be suspended any more, so this wait is short.
        condition.withLock {
            let flushDeadline = Date().addingTimeInterval(Self.resumedAnswersGraceSeconds)
            while metrics.inFlight > 0 && condition.wait(until: flushDeadline) {}
        }
        MHD_stop_daemon(daemon)
        condition.withLock { acceptor = nil }
        // A handler stuck past the grace period must not hold the process forever.
        blockingPool.stop(waitingAtMost: min(5, configuration.shutdownGraceSeconds))
        logger.info("stopped")
    }

    static let resumedAnswersGraceSeconds: TimeInterval = 1

    private func resumeAbandonedConnections() {
        let abandoned = suspendedLock.withLock {
            suspendingClosed = true
            let all = Array(suspendedExchanges.values)
            suspendedExchanges.removeAll()
            return all
        }
        for (exchange, connection) in abandoned where exchange.claimResume() {
            exchange.pendingResponse = render(
                HTTPError.unavailable,
                for: Request(
                    method: exchange.method, path: exchange.path, headers: exchange.headers,
                    clientAddress: exchange.clientAddress, requestID: exchange.requestID))
            MHD_resume_connection(connection.pointer)
        }
    }

    // MARK: libmicrohttpd callbacks

    private func access(
        connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>,
        uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let pointer = requestContext.pointee else {
            // The URI log callback always sets a context; this is only a safety net.
            requestContext.pointee = Unmanaged.passRetained(Exchange(requestTarget: nil)).toOpaque()
            return access(
                connection: connection, url: url, method: method, uploadData: uploadData, uploadSize: uploadSize,
                requestContext: requestContext)
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(pointer).takeUnretainedValue()
        if !exchange.hasBegun {
            begin(exchange, connection: connection, url: url, method: method)
            // Answering now makes libmicrohttpd close the connection instead of reading the body.
            if let refusal = exchange.framingRefusal { return respond(exchange, connection, error: refusal) }
            if let declared = exchange.declaredLength, declared > exchange.bodyLimit {
                return respond(exchange, connection, error: HTTPError.payloadTooLarge(limit: exchange.bodyLimit))
            }
            if !reserveBodyMemory(exchange) {
                return respond(exchange, connection, error: RequestBodyBudget.busy)
            }
            return .YES
        }
        if let deferred = exchange.pendingDeferred {
            // Back from deferred work: render its result here, on a polling thread.
            exchange.pendingDeferred = nil
            return send(
                PollingThread.runningInline { renderDeferred(deferred, exchange) }, for: exchange, on: connection)
        }
        if let response = exchange.pendingResponse {
            // Back from the blocking pool: libmicrohttpd calls once more after the resume.
            exchange.pendingResponse = nil
            if exchange.dropConnection { return .NO }
            return send(response, for: exchange, on: connection)
        }
        if exchange.status != 0 {
            uploadSize.pointee = 0
            return .YES
        }
        if uploadSize.pointee > 0 {
            let count = uploadSize.pointee
            uploadSize.pointee = 0
            if exchange.overflowBytes > 0 || exchange.body.count + count > exchange.bodyLimit {
                // A body without Content-Length (chunked) that outgrows the limit. libmicrohttpd only accepts a
                // response once the upload ends, so the rest is discarded and answered with 413 then; a client
                // that keeps streaming far past the limit has its connection dropped instead.
                exchange.overflowBytes += count
                exchange.body = Data()
                return exchange.overflowBytes > 4 * exchange.bodyLimit + 1_048_576 ? .NO : .YES
            }
            if let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: count) {
                    exchange.body.append($0, count: count)
                }
            }
            return .YES
        }
        if exchange.overflowBytes > 0 {
            return respond(exchange, connection, error: HTTPError.payloadTooLarge(limit: exchange.bodyLimit))
        }
        let request = makeRequest(exchange, connection)
        if case .found(let route, _) = exchange.match, route.execution == .offloaded {
            guard let suspended = suspend(exchange, connection) else {
                return respond(exchange, connection, error: HTTPError.unavailable)
            }
            blockingPool.submit { [self] in
                let response = dispatch(exchange, request)
                resume(exchange, suspended) { exchange.pendingResponse = response }
            }
            return .YES
        }
        let response = PollingThread.runningInline { dispatch(exchange, request) }
        if exchange.dropConnection { return .NO }
        if let deferred = response.deferred {
            exchange.deferredRequest = request
            guard let suspended = suspend(exchange, connection) else {
                return respond(exchange, connection, error: HTTPError.unavailable)
            }
            deferred.begin { [self] in
                resume(exchange, suspended) { exchange.pendingDeferred = deferred }
            }
            return .YES
        }
        return send(response, for: exchange, on: connection)
    }

    /// Suspends the connection while its answer is computed elsewhere, and remembers it so shutdown can
    /// resume it if that takes too long. Nil once shutdown has swept: the caller answers 503 at once, and the
    /// work is never started.
    private func suspend(_ exchange: Exchange, _ connection: OpaquePointer) -> SuspendedConnection? {
        suspendedLock.withLock {
            guard !suspendingClosed else { return nil }
            MHD_suspend_connection(connection)
            let suspended = SuspendedConnection(pointer: connection)
            suspendedExchanges[ObjectIdentifier(exchange)] = (exchange, suspended)
            return suspended
        }
    }

    /// Whoever claims the resume owns the connection: normally the work that finished, at a forced shutdown
    /// `resumeAbandonedConnections`. The loser must not touch the connection, which may be gone; `prepare`
    /// (storing the answer) runs only for the winner, before libmicrohttpd sees the connection again.
    private func resume(_ exchange: Exchange, _ suspended: SuspendedConnection, prepare: () -> Void) {
        guard exchange.claimResume() else { return }
        prepare()
        suspendedLock.withLock { _ = suspendedExchanges.removeValue(forKey: ObjectIdentifier(exchange)) }
        MHD_resume_connection(suspended.pointer)
    }

    private func renderDeferred(_ deferred: DeferredResponse, _ exchange: Exchange) -> Response {
        let request = exchange.deferredRequest ?? Request(method: exchange.method, path: exchange.path)
        exchange.deferredRequest = nil
        return respondToHandler(exchange, request) { try deferred.response() }
    }

    private func begin(
        _ exchange: Exchange, connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>
    ) {
        metrics.started()
        let methodText = String(cString: method)
        let path = String(cString: url)
        let headers = Self.headers(of: connection)
        let match = router.match(method: methodText, path: path)
        let series: HTTPMetrics.Series
        if case .found(let route, _) = match {
            // HEAD is served by the GET route but counted as HEAD.
            series =
                route.method == methodText
                ? routeSeries[route.index] : metrics.series(method: methodText, route: route.pattern)
        } else {
            // Any token is a valid method to libmicrohttpd; label only the standard ones, so a scanner
            // cannot grow the metrics without bound.
            let label = Self.standardMethods.contains(methodText) ? methodText : "other"
            series = metrics.series(method: label, route: Exchange.unmatchedRouteLabel)
        }
        exchange.begin(
            method: methodText, path: path, headers: headers,
            requestID: requestID(forwarded: headers["x-request-id"]), match: match, series: series)
        if case .found(let route, _) = match {
            exchange.bodyLimit = route.maximumBodyBytes
            exchange.routeLabel = route.pattern
        }
        if let field = headers["content-length"] {
            if let length = Int(field) ?? Self.agreedContentLength(field) {
                exchange.declaredLength = length
                if length <= exchange.bodyLimit { exchange.body.reserveCapacity(length) }
            } else if field.utf8.contains(UInt8(ascii: ",")) {
                // Several Content-Length fields (joined with ", ") that disagree. libmicrohttpd would frame the
                // body by the first; a proxy in front may have used another. RFC 9112 §6.3: 400 and close.
                // A single unparseable value is left to libmicrohttpd, which answers 400 before this call.
                exchange.framingRefusal = HTTPError.conflictingContentLength
            }
        }
        if let coding = headers["transfer-encoding"], !Self.isChunked(coding) {
            // libmicrohttpd decodes only chunked; any other coding it would read until the connection closes.
            // RFC 9112 §6.1: a server that does not understand a transfer coding answers 501.
            exchange.framingRefusal = HTTPError.unsupportedTransferEncoding
        }
        let peer = SocketAddressText.describe(madoguchi_mhd_client_address(connection))
        exchange.clientAddress = peer
        if configuration.trustLoopbackProxy, SocketAddressText.isLoopback(peer),
            let forwarded = headers["x-forwarded-for"]?.split(separator: ",").last
        {
            exchange.clientAddress = forwarded.trimmingCharacters(in: .whitespaces)
        }
    }

    /// The length that every one of several Content-Length values (`"42, 42"`) agrees on; nil when they
    /// differ or one is not a length. RFC 9110 §8.6 lets a recipient accept identical duplicates, and
    /// libmicrohttpd, framing by the first, then frames as every sender meant.
    private static func agreedContentLength(_ field: String) -> Int? {
        var agreed: Int?
        for value in field.split(separator: ",", omittingEmptySubsequences: false) {
            let digits = value.trimmingCharacters(in: [" ", "\t"])
            guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), let length = Int(digits),
                agreed == nil || agreed == length
            else { return nil }
            agreed = length
        }
        return agreed
    }

    /// Exactly libmicrohttpd's own test (a case-insensitive "chunked", its leading whitespace already skipped):
    /// it frames any other value, even "chunked " with trailing whitespace, as a body that ends when the
    /// connection closes, so such a request hung until the idle timeout (the hostile-HTTP fuzz found it).
    private static func isChunked(_ coding: String) -> Bool {
        ASCII.equalsIgnoringCase(coding, lowercased: "chunked")
    }

    /// Reads what the handler needs from the connection; only valid on the libmicrohttpd thread.
    private func makeRequest(_ exchange: Exchange, _ connection: OpaquePointer) -> Request {
        var request = Request(
            method: exchange.method, path: exchange.path,
            queryItems: exchange.rawQuery.map(QueryString.items) ?? [], headers: exchange.headers, body: exchange.body,
            clientAddress: exchange.clientAddress, requestID: exchange.requestID, receivedAt: exchange.receivedAt)
        if case .found(let route, let parameters) = exchange.match {
            request.routePattern = route.pattern
            request.pathParameters = parameters
        }
        return request
    }

    private func dispatch(_ exchange: Exchange, _ request: Request) -> Response {
        switch exchange.match {
        case .notFound:
            return render(HTTPError.notFound, for: request)
        case .methodNotAllowed(let allowed):
            return render(HTTPError.methodNotAllowed(allowed: allowed), for: request)
        case .found(let route, _):
            return respondToHandler(exchange, request) { try route.handler(request) }
        }
    }

    /// Runs a handler (or renders a deferred result) and turns what it throws into a response.
    private func respondToHandler(_ exchange: Exchange, _ request: Request, _ body: () throws -> Response) -> Response {
        do {
            return try body()
        } catch is DropConnection {
            exchange.dropConnection = true
            return Response(status: 0)
        } catch let error as any HTTPResponseError {
            return render(error, for: request)
        } catch {
            // Only the type: an arbitrary error's description may quote what a resident typed.
            logger.error(
                "handler failed",
                [
                    "request_id": .string(exchange.requestID), "route": .string(exchange.routeLabel),
                    "error": .string(
                        (error as? any LogSafeError)?.logDescription ?? String(describing: type(of: error))),
                ])
            return render(HTTPError.internalError, for: request)
        }
    }

    private func render(_ error: any HTTPResponseError, for request: Request) -> Response {
        var response = errorRenderer(request, error)
        for (name, value) in error.headers { response.setHeader(name, value) }
        return response
    }

    private func respond(_ exchange: Exchange, _ connection: OpaquePointer, error: HTTPError) -> MHD_Result {
        let request = Request(
            method: exchange.method, path: exchange.path, headers: exchange.headers,
            clientAddress: exchange.clientAddress, requestID: exchange.requestID)
        return send(render(error, for: request), for: exchange, on: connection)
    }

    private func send(_ response: Response, for exchange: Exchange, on connection: OpaquePointer) -> MHD_Result {
        exchange.status = response.status
        exchange.responseBytes = response.body.count
        // Read-only access: a mutable one copied every shared body (a cached representation) before
        // libmicrohttpd copied it again. MUST_COPY never writes through the pointer.
        let mhdResponse = response.body.withUnsafeBytes { buffer in
            MHD_create_response_from_buffer(
                buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        var hasCacheControl = false
        var isDocument = false
        for (name, value) in response.headers {
            if !hasCacheControl && Self.isCacheControl(name) { hasCacheControl = true }
            if !isDocument && Self.isHTMLContentType(name, value) { isDocument = true }
            // libmicrohttpd refuses values containing CR or LF, so a header can never be split.
            // Explicit withCString: the implicit String-to-pointer conversion heap-allocates for short strings.
            _ = name.withCString { name in value.withCString { MHD_add_response_header(mhdResponse, name, $0) } }
        }
        if !hasCacheControl {
            // Default for everything: most pages carry personal data. Static assets opt in to caching.
            _ = MHD_add_response_header(mhdResponse, "Cache-Control", "no-store")
        }
        let securityHeaders =
            !isDocument
            ? SecurityHeaders.resourceCStrings
            : response.allowsSameOriginFraming
                ? SecurityHeaders.sameOriginFramedDocumentCStrings : SecurityHeaders.documentCStrings
        for (name, value) in securityHeaders {
            _ = MHD_add_response_header(mhdResponse, name, value)
        }
        _ = exchange.requestID.withCString { MHD_add_response_header(mhdResponse, "X-Request-Id", $0) }
        if isDraining {
            _ = MHD_add_response_header(mhdResponse, "Connection", "close")
        }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    // MARK: Large bodies

    /// Reserves the declared body's bytes in the budget when it is large. Bodies without a length (chunked)
    /// are bounded by the route's limit only.
    private func reserveBodyMemory(_ exchange: Exchange) -> Bool {
        guard let declared = exchange.declaredLength, declared >= bodyBudget.threshold else { return true }
        guard bodyBudget.reserve(declared) else { return false }
        exchange.reservedBodyBytes = declared
        return true
    }

    /// Frees a large body and gives the memory back: without it RSS stayed at its peak after an upload burst.
    private func releaseBodyMemory(_ exchange: Exchange) {
        guard exchange.reservedBodyBytes > 0 else { return }
        exchange.body = Data()
        exchange.deferredRequest = nil
        bodyBudget.release(exchange.reservedBodyBytes)
        exchange.reservedBodyBytes = 0
        ProcessMemory.returnFreedMemory()
    }

    private func complete(_ exchange: Exchange) {
        releaseBodyMemory(exchange)
        // A request line whose headers libmicrohttpd refused itself (431) never reached the access handler.
        guard let series = exchange.series else { return }
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - exchange.startedAt
        let status = exchange.status == 0 ? 499 : exchange.status
        let remaining = metrics.finished(series, status: status, nanoseconds: nanoseconds)
        if logger.isEnabled(.info) {
            let seconds = Double(nanoseconds) / 1e9
            logger.info(
                "request",
                [
                    "request_id": .string(exchange.requestID), "method": .string(exchange.method),
                    "route": .string(exchange.routeLabel), "status": .int(status),
                    "duration_ms": .double(seconds * 1000), "bytes": .int(exchange.responseBytes),
                ])
        }
        if remaining == 0 && isDraining {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    // MARK: Helpers

    private static let standardMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private static func headers(of connection: OpaquePointer) -> HTTPHeaders {
        var headers = HTTPHeaders(reservingCapacity: 16)
        let iterator: MHD_KeyValueIterator = { context, _, key, value in
            guard let context, let key else { return .YES }
            let headers = context.assumingMemoryBound(to: HTTPHeaders.self)
            headers.pointee.appendReceived(
                lowercasedName: ASCII.lowercased(key), value: value.map { String(cString: $0) } ?? "")
            return .YES
        }
        _ = withUnsafeMutablePointer(to: &headers) {
            MHD_get_connection_values(connection, .HEADER_KIND, iterator, $0)
        }
        return headers
    }

    /// Keeps nginx's `$request_id` when it looks like one, so a request can be followed across both logs.
    /// Otherwise: a random per-process prefix and a counter — unique, cheap, and safe to read out on the phone.
    func requestID(forwarded: String?) -> String {
        if let forwarded, (8...64).contains(forwarded.utf8.count),
            forwarded.utf8.allSatisfy({
                $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
            })
        {
            return forwarded
        }
        let number = requestCounter.add(1, ordering: .relaxed).newValue
        let prefix = requestIDPrefix
        return String(unsafeUninitializedCapacity: prefix.count + 12) { buffer in
            for index in prefix.indices { buffer[index] = prefix[index] }
            for digit in 0..<12 {
                buffer[prefix.count + digit] = HexDigits.ascii[Int((number >> UInt64(44 - 4 * digit)) & 0xF)]
            }
            return prefix.count + 12
        }
    }

    private static func isCacheControl(_ name: String) -> Bool {
        ASCII.equalsIgnoringCase(name, lowercased: "cache-control")
    }

    private static func isHTMLContentType(_ name: String, _ value: String) -> Bool {
        ASCII.equalsIgnoringCase(name, lowercased: "content-type")
            && ASCII.hasPrefixIgnoringCase(value, lowercased: "text/html")
    }

    public static let defaultErrorRenderer: ErrorRenderer = { request, error in
        if request.isAPI {
            return Response.json(
                APIErrorBody(code: error.code, message: error.message, requestID: request.requestID),
                status: error.status)
        }
        return Response.text(error.message + "\n", status: error.status)
    }
}

/// Errors whose description is known to hold no personal data (e.g. `SQLiteError`, which omits bound values)
/// may say more in the log than their type name.
public protocol LogSafeError: Error {
    var logDescription: String { get }
}

/// Thrown by a handler to close the connection without any response. Only fake peers in tests use it, to
/// behave like a network that drops a request mid-flight.
public struct DropConnection: Error {
    public init() {}
}

/// Header names are ASCII; full Unicode case mapping would be wasted work on every header of every request.
enum ASCII {
    @inline(__always) static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    /// The string's UTF-8 in place. The generic `utf8` sequence algorithms (`elementsEqual`, `contains`) were
    /// each visible in the per-request profile; a buffer loop is not.
    @inline(__always) static func withBytes<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    static func equalsIgnoringCase(_ text: String, lowercased expected: StaticString) -> Bool {
        hasPrefixIgnoringCase(text, lowercased: expected) && text.utf8.count == expected.utf8CodeUnitCount
    }

    static func hasPrefixIgnoringCase(_ text: String, lowercased prefix: StaticString) -> Bool {
        withBytes(text) { bytes in
            let count = prefix.utf8CodeUnitCount
            guard bytes.count >= count else { return false }
            let expected = prefix.utf8Start
            for index in 0..<count where lower(bytes[index]) != expected[index] { return false }
            return true
        }
    }

    static func lowercased(_ text: UnsafePointer<CChar>) -> String {
        let length = strlen(text)
        return text.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(unsafeUninitializedCapacity: length) { buffer in
                for index in 0..<length { buffer[index] = lower(bytes[index]) }
                return length
            }
        }
    }
}

/// A suspended libmicrohttpd connection, handed to the blocking pool, which only resumes it.
struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer
}

public struct ServerStartError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Per-request state between libmicrohttpd callbacks. Touched by one thread at a time: the connection's
/// polling thread, or — while the connection is suspended — the blocking-pool thread running its handler.
/// Suspend and resume order those accesses.
final class Exchange: @unchecked Sendable {
    private(set) var method = ""
    private(set) var path = ""
    private(set) var headers = HTTPHeaders()
    private(set) var requestID = ""
    /// What followed `?` in the request line, undecoded; nil without one.
    let rawQuery: String?
    let startedAt = DispatchTime.now().uptimeNanoseconds
    let receivedAt = Date()
    static let unmatchedRouteLabel = "unmatched"

    private(set) var match = Router.Match.notFound
    /// Set by `begin` on the first access-handler call, with the headers; nil until then.
    private(set) var series: HTTPMetrics.Series?
    var hasBegun: Bool { series != nil }
    /// Why the request's framing cannot be trusted; answered on the first call, before any body is read.
    var framingRefusal: HTTPError?
    var routeLabel = Exchange.unmatchedRouteLabel
    var bodyLimit = Routes.defaultBodyLimit
    var declaredLength: Int?
    var body = Data()
    var overflowBytes = 0
    /// Bytes this body holds in the server's `RequestBodyBudget`.
    var reservedBodyBytes = 0
    var dropConnection = false
    var pendingResponse: Response?
    var pendingDeferred: DeferredResponse?
    var deferredRequest: Request?
    private let resumeClaimed = Atomic<Bool>(false)

    /// True for exactly one caller: the one that may resume this exchange's suspended connection.
    func claimResume() -> Bool {
        resumeClaimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
    var clientAddress = "unknown"
    var status = 0
    var responseBytes = 0

    /// Called with the raw request target (`/path?query`) before libmicrohttpd parses the query. It keeps the
    /// query and ends the string right after the `?`: libmicrohttpd then finds an empty query and stores no
    /// argument records in the connection's pool (`QueryString` decodes them instead). The target lies in
    /// libmicrohttpd's writable read buffer; it cuts the `?` itself next, and it unescapes the path only up
    /// to that point.
    init(requestTarget target: UnsafePointer<CChar>?) {
        guard let target, let mark = strchr(target, Int32(UInt8(ascii: "?"))) else {
            rawQuery = nil
            return
        }
        rawQuery = String(cString: mark + 1)
        UnsafeMutablePointer(mutating: mark + 1).pointee = 0
    }

    func begin(
        method: String, path: String, headers: HTTPHeaders, requestID: String, match: Router.Match,
        series: HTTPMetrics.Series
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.requestID = requestID
        self.match = match
        self.series = series
    }
}
