import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite("MultiHandle: concurrent libcurl transfers")
struct MultiHandleTests {
    let server: LiveServer

    init() throws {
        server = try LoopbackPeer.start()
    }

    /// Drives `multi` until every transfer has completed.
    private func drain(_ multi: MultiHandle) throws -> [Int: Result<EasyHandle.Response, EasyHandle.CurlError>] {
        var results: [Int: Result<EasyHandle.Response, EasyHandle.CurlError>] = [:]
        while multi.activeTransfers > 0 {
            for completion in try multi.perform(waitingUpTo: 100) { results[completion.tag] = completion.result }
        }
        return results
    }

    @Test func manyTransfers_completeWithTheirOwnStatusHeadersAndBody() throws {
        let multi = MultiHandle(maximumConnectionsPerHost: 8)
        for tag in 0..<50 {
            try multi.add(
                MultiHandle.Request(
                    method: "POST", url: server.baseURL + "/echo/\(tag)", headers: [("X-Key", "k\(tag)")],
                    body: Data(repeating: 65, count: tag)), tag: tag)
        }
        #expect(multi.activeTransfers == 50)
        let results = try drain(multi)
        #expect(results.count == 50)
        for tag in 0..<50 {
            let response = try results[tag]!.get()
            #expect(response.status == 200)
            #expect(response.text == "echo \(tag) \(tag)")
            #expect(response.headers["x-echo-key"] == "k\(tag)")
        }
    }

    @Test func connectionsAreReused_acrossBatches() throws {
        let multi = MultiHandle(maximumConnectionsPerHost: 2)
        for tag in 0..<2 {
            try multi.add(
                MultiHandle.Request(method: "POST", url: server.baseURL + "/echo/\(tag)", body: Data()), tag: tag)
        }
        _ = try drain(multi)
        for tag in 2..<6 {
            try multi.add(
                MultiHandle.Request(method: "POST", url: server.baseURL + "/echo/\(tag)", body: Data()), tag: tag)
        }
        let second = try drain(multi)
        #expect(try second.values.map { try $0.get().newConnections }.reduce(0, +) == 0)
    }

    @Test func eachTransferHasItsOwnTimeout() throws {
        let multi = MultiHandle()
        try multi.add(
            MultiHandle.Request(method: "POST", url: server.baseURL + "/slow", body: Data(), timeoutMilliseconds: 200),
            tag: 1)
        try multi.add(
            MultiHandle.Request(
                method: "POST", url: server.baseURL + "/echo/2", body: Data(), timeoutMilliseconds: 5_000), tag: 2)
        let results = try drain(multi)
        guard case .failure(let error) = results[1] else {
            Issue.record("the slow transfer should have timed out")
            return
        }
        #expect(error.isTimeout)
        #expect(try results[2]?.get().status == 200)
    }

    @Test func aRefusedConnection_isAFailureNotAThrow() throws {
        let multi = MultiHandle()
        try multi.add(MultiHandle.Request(method: "POST", url: "http://127.0.0.1:1/nothing", body: Data()), tag: 7)
        let results = try drain(multi)
        guard case .failure(let error) = results[7] else {
            Issue.record("expected a connection failure")
            return
        }
        #expect(!error.isTimeout)
    }

    @Test func theWaker_endsAWaitFromAnotherThread() throws {
        let multi = MultiHandle()
        let waker = multi.waker
        let started = Date()
        let thread = Thread { waker.wakeUp() }
        thread.start()
        _ = try multi.perform(waitingUpTo: 20_000)
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
