import Foundation
import HTTPClient
import Synchronization
import TestSupport
import Testing

@testable import HTTP

/// Routes used by every server test: echo handlers that show what the server parsed.
private func testRoutes(gate: SlowGate? = nil) -> Routes {
    var routes = Routes()
    routes.get("/items/:id") { request in .text("item \(request.parameter("id"))") }
    routes.post("/items/:id") { request in .text("posted \(request.parameter("id"))") }
    routes.post("/api/v1/echo") { request in
        struct Echo: Codable { let name: String; let count: Int }
        return try .json(try request.decodeJSON(Echo.self))
    }
    routes.post("/form") { request in
        let form = try request.form()
        return .text("name=\(form["name"] ?? "") tags=\(form.all("tag").joined(separator: ","))")
    }
    routes.post("/small", maximumBodyBytes: 16) { request in .text("got \(request.body.count)") }
    routes.get("/query") { request in .text("q=\(request.query("q") ?? "")") }
    routes.get("/client") { request in .text(request.clientAddress) }
    routes.get("/page") { _ in .html(Data("<!doctype html><title>t</title>".utf8)) }
    routes.get("/crash") { _ in throw InternalDetail() }
    if let gate {
        routes.get("/slow") { _ in
            gate.enteredAndWait()
            return .text("finished")
        }
        routes.post("/slow-write") { _ in
            gate.enteredAndWait()
            return .text("written", status: 201)
        }
    }
    return routes
}

private struct InternalDetail: Error, CustomStringConvertible {
    var description: String { "secret internal detail 山田" }
}

@Suite("HTTP server over a real loopback socket")
struct ServerTests {
    @Test func routing_capturesPathParameters_andMatchesMethod() throws {
        let live = try LiveServer(routes: testRoutes())
        let get = try live.request("GET", "/items/42")
        #expect(get.status == 200)
        #expect(get.text == "item 42")
        let post = try live.request("POST", "/items/7", body: Data())
        #expect(post.text == "posted 7")
    }

    @Test func unknownPath_is404_asJSONUnderAPI_andTextElsewhere() throws {
        let live = try LiveServer(routes: testRoutes())
        let api = try live.request("GET", "/api/v1/nothing")
        #expect(api.status == 404)
        #expect(api.headers["content-type"]?.hasPrefix("application/json") == true)
        let body = try JSONDecoder().decode(APIErrorBody.self, from: api.body)
        #expect(body.error.code == "not_found")
        #expect(body.error.requestID == api.headers["x-request-id"])
        let page = try live.request("GET", "/nothing")
        #expect(page.status == 404)
        #expect(page.text.contains("見つかりません"))
    }

    @Test func wrongMethod_is405_withAllowHeader() throws {
        let live = try LiveServer(routes: testRoutes())
        let response = try live.request("DELETE", "/items/1")
        #expect(response.status == 405)
        let allowed = Set(
            (response.headers["allow"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(allowed == ["GET", "POST", "HEAD"])
    }

    @Test func oversizedBody_gets413_beforeTheBodyIsSent() throws {
        let live = try LiveServer(routes: testRoutes())
        let connection = try RawConnection(port: live.port)
        // Only the headers go out: a server that waited for the 10 MB body would never answer.
        connection.send(
            "POST /small HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n")
        let reply = connection.readAll()
        #expect(reply.hasPrefix("HTTP/1.1 413"))
    }

    @Test func chunkedBody_overTheLimit_gets413() throws {
        let live = try LiveServer(routes: testRoutes())
        let response = try live.request(
            "POST", "/small", headers: [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")],
            body: Data(repeating: 65, count: 100))
        #expect(response.status == 413)
        let fits = try live.request(
            "POST", "/small", headers: [("Content-Type", "text/plain")], body: Data(repeating: 65, count: 16))
        #expect(fits.status == 200)
        #expect(fits.text == "got 16")
    }

    @Test func malformedJSON_is400_withAJSONError() throws {
        let live = try LiveServer(routes: testRoutes())
        let headers = [("Content-Type", "application/json")]
        let malformed = try live.request("POST", "/api/v1/echo", headers: headers, body: Data("{\"name\": ".utf8))
        #expect(malformed.status == 400)
        #expect(try JSONDecoder().decode(APIErrorBody.self, from: malformed.body).error.code == "malformed_json")
        let missing = try live.request("POST", "/api/v1/echo", headers: headers, body: Data("{\"name\":\"a\"}".utf8))
        #expect(missing.status == 400)
        #expect(try JSONDecoder().decode(APIErrorBody.self, from: missing.body).error.code == "missing_field")
        // Valid JSON of the wrong shape has no field to name: it is malformed, not "項目  の型が…".
        let array = try live.request("POST", "/api/v1/echo", headers: headers, body: Data("[1]".utf8))
        #expect(array.status == 400)
        #expect(try JSONDecoder().decode(APIErrorBody.self, from: array.body).error.code == "malformed_json")
        let wrongType = try live.request(
            "POST", "/api/v1/echo", headers: [("Content-Type", "text/plain")], body: Data("{}".utf8))
        #expect(wrongType.status == 415)
        let good = try live.request(
            "POST", "/api/v1/echo", headers: headers, body: Data("{\"name\":\"平取\",\"count\":3}".utf8))
        #expect(good.status == 200)
        #expect(good.text == "{\"count\":3,\"name\":\"平取\"}")
    }

    @Test func formBodies_andQueryStrings_decodeUTF8() throws {
        let live = try LiveServer(routes: testRoutes())
        let body = "name=%E5%B9%B3%E5%8F%96+%E8%8A%B1%E5%AD%90&tag=a&tag=b"
        let response = try live.request(
            "POST", "/form", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8))
        #expect(response.text == "name=平取 花子 tags=a,b")
        let query = try live.request("GET", "/query?q=%E6%8C%AF%E5%86%85")
        #expect(query.text == "q=振内")
    }

    @Test func twoRequests_shareOneKeptAliveConnection() throws {
        let live = try LiveServer(routes: testRoutes())
        let handle = EasyHandle()
        let first = try handle.perform(method: "GET", url: live.baseURL + "/items/1")
        let second = try handle.perform(method: "GET", url: live.baseURL + "/items/2")
        #expect(first.newConnections == 1)
        #expect(second.newConnections == 0, "the second request reused the first connection")
        #expect(second.text == "item 2")
    }

    @Test func everyResponse_carriesSecurityHeaders_andARequestID() throws {
        let live = try LiveServer(routes: testRoutes())
        for path in ["/items/1", "/nothing", "/page"] {
            let response = try live.request("GET", path)
            #expect(response.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
            #expect(response.headers["x-content-type-options"] == "nosniff")
            #expect(response.headers["referrer-policy"] == "no-referrer")
            #expect(response.headers["cache-control"] == "no-store")
            #expect((response.headers["x-request-id"]?.count ?? 0) >= 16)
        }
        // Headers that only act on documents go out with HTML only; everything else may load nothing at all.
        let page = try live.request("GET", "/page")
        #expect(page.headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true)
        #expect(page.headers["x-frame-options"] == "DENY")
        #expect(page.headers["permissions-policy"]?.contains("camera=()") == true)
        #expect(page.headers["cross-origin-opener-policy"] == "same-origin")
        let text = try live.request("GET", "/items/1")
        #expect(text.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'")
        #expect(text.headers["permissions-policy"] == nil)
        let forwarded = try live.request("GET", "/items/1", headers: [("X-Request-Id", "nginx-abc123def456")])
        #expect(forwarded.headers["x-request-id"] == "nginx-abc123def456")
        let hostile = try live.request("GET", "/items/1", headers: [("X-Request-Id", "<script>")])
        #expect(hostile.headers["x-request-id"] != "<script>")
    }

    @Test func clientAddress_comesFromNginx_onlyWhenThePeerIsLoopback() throws {
        let live = try LiveServer(routes: testRoutes())
        #expect(try live.request("GET", "/client").text == "127.0.0.1")
        #expect(
            try live.request("GET", "/client", headers: [("X-Forwarded-For", "198.51.100.7, 203.0.113.9")]).text
                == "203.0.113.9")
    }

    @Test func unexpectedError_is500_withoutDetails_andLogsNoPersonalData() throws {
        let live = try LiveServer(routes: testRoutes())
        let response = try live.request("GET", "/crash")
        #expect(response.status == 500)
        #expect(!response.text.contains("secret"))
        live.logLines.waitForRequests(1)
        #expect(!live.logLines.lines.joined().contains("山田"))
    }

    @Test func accessLog_namesTheRoutePattern_neverTheRawPathOrQuery() throws {
        let live = try LiveServer(routes: testRoutes())
        _ = try live.request("GET", "/items/resident-yamada?q=hanako")
        let line = try #require(live.logLines.waitForRequests(1).first)
        #expect(line.contains("\"route\":\"/items/:id\""))
        #expect(line.contains("\"status\":200"))
        #expect(line.contains("\"duration_ms\":"))
        #expect(!line.contains("yamada"))
        #expect(!line.contains("hanako"))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["method"] as? String == "GET")
    }

    @Test func metrics_countRequestsByRouteAndStatus() throws {
        let live = try LiveServer(routes: testRoutes())
        _ = try live.request("GET", "/items/1")
        _ = try live.request("GET", "/items/2")
        _ = try live.request("GET", "/missing")
        _ = try live.request("HEAD", "/items/3")
        // Any token is a method to HTTP; a scanner inventing them must not grow the metrics without bound.
        _ = try live.request("BREW", "/missing")
        _ = try live.request("PROPFIND", "/missing")
        live.logLines.waitForRequests(6)
        #expect(live.server.metrics.requestCount(method: "GET", route: "/items/:id", status: 200) == 2)
        #expect(live.server.metrics.requestCount(method: "HEAD", route: "/items/:id", status: 200) == 1)
        let text = live.server.metrics.render()
        #expect(text.contains("madoguchi_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"))
        #expect(text.contains("madoguchi_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 2"))
        #expect(!text.contains("BREW"))
        #expect(text.contains("madoguchi_http_request_duration_seconds_count 6"))
        #expect(text.contains("madoguchi_http_request_duration_seconds_bucket{le=\"+Inf\"} 6"))
    }

    @Test func shutdown_refusesNewConnections_butFinishesTheRequestInFlight() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: testRoutes(gate: gate))
        let port = live.port
        let inFlight = AsyncResponse { try live.request("GET", "/slow") }
        gate.waitUntilEntered()

        live.server.stopAccepting()
        #expect(RawConnection.isRefused(port: port))

        gate.release()
        let response = try inFlight.wait()
        #expect(response.status == 200)
        #expect(response.text == "finished")
        #expect(response.headers["connection"]?.lowercased() == "close")
        live.server.shutdown()
        #expect(RawConnection.isRefused(port: port))
    }
}

@Suite("Stopping under load")
struct StopUnderLoadTests {
    /// Stopping while clients connect once aborted the whole process ("Failed to remove listen FD from epoll
    /// set"): libmicrohttpd's quiesce racing its polling threads (see `AcceptingTests`).
    @Test func stoppingWhileClientsConnect_neverAbortsTheProcess() throws {
        for _ in 0..<40 {
            let live = try LiveServer(routes: testRoutes()) { $0.workerThreads = 2 }
            let port = live.port
            let done = Atomic<Bool>(false)
            let clients = DispatchGroup()
            for _ in 0..<2 {
                DispatchQueue.global().async(group: clients) {
                    while !done.load(ordering: .relaxed) { _ = try? RawConnection(port: port) }
                }
            }
            _ = try? live.request("GET", "/items/1")
            live.server.stopAccepting()
            #expect(RawConnection.isRefused(port: port))
            live.server.shutdown()
            done.store(true, ordering: .relaxed)
            clients.wait()
        }
    }
}

@Suite("Accepting connections: the server's own thread, never libmicrohttpd's quiesce")
struct AcceptingTests {
    /// With its own listening socket libmicrohttpd must be quiesced to stop accepting, and in 0.9.75
    /// `MHD_quiesce_daemon` races the polling threads over removing that socket from their epoll sets: the
    /// loser aborts the process ("daemon.c:5531: Failed to remove listen FD from epoll set"), about once in a
    /// thousand stops under load. Holding no listening socket, it has nothing to quiesce.
    @Test func libmicrohttpd_holdsNoListeningSocket_soItIsNeverQuiesced() throws {
        let live = try LiveServer(routes: testRoutes())
        #expect(try live.request("GET", "/items/1").status == 200)
        #expect(live.server.daemonListeningDescriptor == -1)
    }

    /// The race needs the polling threads awake, so here requests are in flight on kept-alive connections
    /// while new ones keep arriving, as when the abort was seen.
    @Test func stoppingWhileRequestsAreInFlight_neverAbortsTheProcess() throws {
        for _ in 0..<40 {
            let live = try LiveServer(routes: testRoutes()) { $0.workerThreads = 2 }
            let url = live.baseURL + "/items/1"
            let done = Atomic<Bool>(false)
            let answered = Atomic<Int>(0)
            let clients = DispatchGroup()
            for _ in 0..<3 {
                DispatchQueue.global().async(group: clients) {
                    while !done.load(ordering: .relaxed) {
                        let handle = EasyHandle()
                        for _ in 0..<20 {
                            guard !done.load(ordering: .relaxed), (try? handle.perform(method: "GET", url: url)) != nil
                            else { break }
                            answered.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
            while answered.load(ordering: .relaxed) < 10 { usleep(500) }
            live.server.stopAccepting()
            #expect(RawConnection.isRefused(port: live.port))
            live.server.shutdown()
            done.store(true, ordering: .relaxed)
            clients.wait()
        }
    }

    /// At the connection limit a new connection waits in the backlog until another closes, as it did when
    /// libmicrohttpd accepted connections itself; it is neither served past the limit nor closed.
    @Test func atTheConnectionLimit_aNewConnectionWaits_thenIsServed() throws {
        let live = try LiveServer(routes: testRoutes()) {
            $0.workerThreads = 1
            $0.connectionLimit = 2
        }
        let request = "GET /items/1 HTTP/1.1\r\nHost: test\r\n\r\n"
        var first: RawConnection? = try RawConnection(port: live.port)
        first?.send(request)
        #expect(first?.readStatus(within: 5) == 200)
        let second = try RawConnection(port: live.port)
        second.send(request)
        #expect(second.readStatus(within: 5) == 200)
        let third = try RawConnection(port: live.port)
        third.send(request)
        #expect(third.readStatus(within: 0.3) == nil, "two connections are the limit")
        first = nil
        #expect(third.readStatus(within: 5) == 200, "served once the first connection closed")
    }
}

@Suite("Blocking handlers run off the polling threads")
struct OffloadTests {
    /// What debug builds' `Database.write` asks before it waits (App wires it as `threadMustNotBlock`): true in an
    /// inline handler and while a deferred result renders, false on the blocking pool.
    @Test func pollingThreadIsMarked_inlineOnly() throws {
        var routes = Routes()
        routes.get("/inline") { _ in .text(PollingThread.isCurrent ? "polling" : "free") }
        routes.get("/offloaded", execution: .offloaded) { _ in .text(PollingThread.isCurrent ? "polling" : "free") }
        let live = try LiveServer(routes: routes)
        #expect(try live.request("GET", "/inline").text == "polling")
        #expect(try live.request("GET", "/offloaded").text == "free")
        #expect(!PollingThread.isCurrent, "the test's own thread is no polling thread")
    }

    @Test func aBlockedWrite_doesNotStallReadsOnOtherConnections() throws {
        let gate = SlowGate()
        // One polling thread: were the write handled on it, the GET below could never be answered.
        let live = try LiveServer(routes: testRoutes(gate: gate)) { $0.workerThreads = 1 }
        let write = AsyncResponse { try live.request("POST", "/slow-write", body: Data()) }
        gate.waitUntilEntered()
        let read = try live.request("GET", "/items/5")
        #expect(read.text == "item 5")
        gate.release()
        let written = try write.wait()
        #expect(written.status == 201)
        #expect(written.text == "written")
    }

    @Test func shutdown_pastTheGracePeriod_withAHandlerStillBlocked_stopsCleanly() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: testRoutes(gate: gate)) { $0.shutdownGraceSeconds = 0.2 }
        let write = AsyncResponse { try live.request("POST", "/slow-write", body: Data()) }
        gate.waitUntilEntered()
        // libmicrohttpd aborts the process when stopped with a suspended connection; this must return instead.
        live.server.shutdown()
        #expect(RawConnection.isRefused(port: live.port))
        #expect((try? write.wait())?.status != 201, "the abandoned request never reports success")
        gate.release()
    }

    @Test func anOffloadedResponse_keepsTheConnectionAlive() throws {
        let live = try LiveServer(routes: testRoutes())
        let handle = EasyHandle()
        let first = try handle.perform(method: "POST", url: live.baseURL + "/items/1", body: Data())
        let second = try handle.perform(method: "POST", url: live.baseURL + "/items/2", body: Data())
        #expect(first.text == "posted 1")
        #expect(second.text == "posted 2")
        #expect(second.newConnections == 0)
    }
}

@Suite("Deferred responses: work finished on another thread, rendered on a polling thread")
struct DeferredResponseTests {
    private func routes(gate: SlowGate) -> Routes {
        var routes = Routes()
        routes.post("/deferred/:value", execution: .inline) { request in
            let value = request.parameter("value")
            return .deferred { complete in
                // Completed from a thread of its own, as the SQLite writer does.
                Thread.detachNewThread {
                    if value == "wait" { gate.enteredAndWait() }
                    complete(value == "fail" ? .failure(HTTPError.badRequest("だめです。")) : .success(value))
                }
            } render: { (text: String) in
                .text("done \(text)", status: 201)
            }
        }
        routes.get("/items/:id") { request in .text("item \(request.parameter("id"))") }
        return routes
    }

    @Test func theResult_isRendered_andTheConnectionStaysAlive() throws {
        let live = try LiveServer(routes: routes(gate: SlowGate()))
        let handle = EasyHandle()
        let first = try handle.perform(method: "POST", url: live.baseURL + "/deferred/a", body: Data())
        let second = try handle.perform(method: "POST", url: live.baseURL + "/deferred/b", body: Data())
        #expect(first.status == 201 && first.text == "done a")
        #expect(second.text == "done b" && second.newConnections == 0)
        let failed = try live.request("POST", "/deferred/fail", body: Data())
        #expect(failed.status == 400)
    }

    @Test func whileTheWorkWaits_thePollingThreadServesOthers() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: routes(gate: gate)) { $0.workerThreads = 1 }
        let waiting = AsyncResponse { try live.request("POST", "/deferred/wait", body: Data()) }
        gate.waitUntilEntered()
        #expect(try live.request("GET", "/items/7").text == "item 7")
        gate.release()
        #expect(try waiting.wait().text == "done wait")
    }

    /// The polling thread keeps reading requests from open keep-alive connections after the in-flight count
    /// reached zero; one suspended in that gap used to abort the process at MHD_stop_daemon.
    @Test func shutdown_withARequestSuspendedAfterTheInFlightWait_answers503AndStopsCleanly() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: routes(gate: gate)) { $0.shutdownGraceSeconds = 5 }
        let handle = EasyHandle()
        #expect(try handle.perform(method: "GET", url: live.baseURL + "/items/1").status == 200)
        let url = live.baseURL + "/deferred/wait"
        let late = Mutex<AsyncResponse?>(nil)
        live.server.beforeSweepingSuspendedConnections = {
            // On the kept-alive connection, so it reaches the server although the listener is closed.
            let keptAlive = KeptAliveHandle(handle: handle)
            late.withLock { $0 = AsyncResponse { try keptAlive.handle.perform(method: "POST", url: url, body: Data()) } }
            gate.waitUntilEntered()
        }
        live.server.shutdown()
        let answer = try #require(late.withLock { $0 }).wait()
        #expect(answer.status == 503)
        #expect(answer.newConnections == 0, "the request came on the connection kept alive before shutdown")
        gate.release()
    }

    @Test func shutdown_withDeferredWorkNeverFinishing_stopsCleanly() throws {
        let gate = SlowGate()
        let live = try LiveServer(routes: routes(gate: gate)) { $0.shutdownGraceSeconds = 0.2 }
        let waiting = AsyncResponse { try live.request("POST", "/deferred/wait", body: Data()) }
        gate.waitUntilEntered()
        live.server.shutdown()
        #expect((try? waiting.wait())?.status != 201)
        gate.release()
    }
}

/// One curl handle passed to the thread that uses it next; the test never touches it meanwhile.
private struct KeptAliveHandle: @unchecked Sendable {
    let handle: EasyHandle
}

/// Lets a handler block until the test releases it, and lets the test wait until the handler is inside.
final class SlowGate: @unchecked Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    func enteredAndWait() {
        entered.signal()
        released.wait()
    }

    func waitUntilEntered() { entered.wait() }
    func release() { released.signal() }
}

/// Runs a blocking request on its own thread so the test can act while it is in flight.
final class AsyncResponse: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<EasyHandle.Response, Error>?

    init(_ body: @escaping @Sendable () throws -> EasyHandle.Response) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    func wait() throws -> EasyHandle.Response {
        done.wait()
        return try result!.get()
    }
}
