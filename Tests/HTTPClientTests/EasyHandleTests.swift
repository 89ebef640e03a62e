import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite("EasyHandle: one libcurl transfer at a time over a reusable connection")
struct EasyHandleTests {
    let server: LiveServer

    init() throws {
        server = try LoopbackPeer.start()
    }

    @Test func aGet_collectsStatusHeadersAndBody_andSendsTheRequestHeaders() throws {
        let response = try EasyHandle().perform(
            method: "GET", url: server.baseURL + "/hello", headers: [("X-Greeting", "おはよう")])
        #expect(response.status == 200)
        #expect(response.text == "こんにちは おはよう")
        #expect(response.headers["x-served-by"] == "live-server")
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(response.headers["X-Served-By"] == nil, "header names are lower-cased")
        #expect(response.newConnections == 1)
    }

    @Test func aPost_sendsItsBody_andCollectsALargeResponseWhole() throws {
        // Several times libcurl's 16 KiB write chunk, so the body arrives over many callbacks.
        let payload = String(repeating: "窓口", count: 10_000)
        let response = try EasyHandle().perform(method: "POST", url: server.baseURL + "/echo", body: Data(payload.utf8))
        #expect(response.status == 201)
        #expect(response.headers["x-body-length"] == "\(payload.utf8.count)")
        #expect(response.text == payload)
    }

    @Test func aReusedHandle_keepsItsConnection_andStartsEachResponseAfresh() throws {
        let handle = EasyHandle()
        let first = try handle.perform(method: "GET", url: server.baseURL + "/hello")
        #expect(first.headers["x-served-by"] == "live-server")
        let second = try handle.perform(method: "GET", url: server.baseURL + "/empty")
        #expect(second.status == 200)
        #expect(second.body.isEmpty, "no bytes carried over from the first response")
        #expect(second.headers["x-served-by"] == nil, "no headers carried over from the first response")
        #expect(second.newConnections == 0)
    }

    @Test func aSlowPeer_isReportedAsATimeout() throws {
        let started = Date()
        do {
            _ = try EasyHandle().perform(
                method: "POST", url: server.baseURL + "/slow", body: Data(), timeoutMilliseconds: 200)
            Issue.record("the slow request should have timed out")
        } catch let error as EasyHandle.CurlError {
            #expect(error.isTimeout)
            #expect(!error.message.isEmpty)
        }
        #expect(Date().timeIntervalSince(started) < 1)
    }

    @Test func aRefusedConnection_isAnErrorThatIsNotATimeout() throws {
        let handle = EasyHandle()
        do {
            _ = try handle.perform(method: "GET", url: "http://127.0.0.1:1/nothing")
            Issue.record("expected a connection failure")
        } catch let error as EasyHandle.CurlError {
            #expect(!error.isTimeout)
            #expect(error.code != 0)
        }
        // The handle stays usable after a failed transfer.
        #expect(try handle.perform(method: "GET", url: server.baseURL + "/hello").status == 200)
    }

    @Test func onlyTheFinalResponsesHeadersAreKept_andARepeatedHeadersLastValueWins() throws {
        let peer = try CannedResponseServer(
            response: "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
                + "HTTP/1.1 202 Accepted\r\nX-Repeated: first\r\nX-Repeated: last\r\nContent-Length: 4\r\n"
                + "Connection: close\r\n\r\ndone")
        let response = try EasyHandle().perform(method: "GET", url: peer.baseURL + "/")
        #expect(response.status == 202)
        #expect(response.text == "done")
        #expect(response.headers["x-interim"] == nil)
        #expect(response.headers["x-repeated"] == "last")
    }
}
