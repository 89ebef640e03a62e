import Foundation
import HTTP
import TestSupport
import Testing

private func limitRoutes() -> Routes {
    var routes = Routes()
    routes.get("/query") { request in .text("items=\(request.queryItems.count) q=\(request.query("q") ?? "")") }
    routes.get("/items") { request in
        .text(request.queryItems.map { "[\($0.name)]=[\($0.value)]" }.joined(separator: " "))
    }
    routes.post("/echo") { request in .text("got \(String(decoding: request.body, as: UTF8.self))") }
    return routes
}

/// `count` query parameters, the last one `q=last`.
private func query(parameters count: Int, value: String = "v") -> String {
    ((0..<count - 1).map { "p\($0)=\(value)" } + ["q=last"]).joined(separator: "&")
}

/// Sends `request` on a fresh connection and returns the status that arrives within 2 s: nil for a silent
/// close or a hang.
private func status(of request: String, on live: LiveServer) throws -> Int? {
    let connection = try RawConnection(port: live.port)
    connection.send(request)
    return connection.readStatus(within: 2)
}

@Suite("Oversized and badly framed requests are answered at once")
struct RequestLimitsTests {
    /// libmicrohttpd kept one record per query argument in the connection's 16 KB pool: about 220 arguments
    /// left no room for the response (closed without a reply), and more hung until the 30 s idle timeout.
    @Test func hundredsOfQueryParameters_areAnswered() throws {
        let live = try LiveServer(routes: limitRoutes())
        for count in [1, 50, 200, 220, 225, 230, 300, 1000, 2000] {
            let answer = try status(
                of: "GET /query?\(query(parameters: count)) HTTP/1.1\r\nHost: test\r\n\r\n", on: live)
            #expect(answer == 200, "\(count) parameters")
        }
        let all = try live.request("GET", "/query?\(query(parameters: 2000))")
        #expect(all.text == "items=2000 q=last")
    }

    /// The server decodes the query itself now; it must read it exactly as libmicrohttpd did.
    @Test func queryItems_decodeAsLibmicrohttpdDid() throws {
        let live = try LiveServer(routes: limitRoutes())
        let response = try live.request("GET", "/items?a=1&flag&&=v&c=%E6%8C%AF+x%2B&d=%zz%4&e=1%00x&f=a=b&")
        #expect(response.text == "[a]=[1] [flag]=[] []=[] []=[v] [c]=[振 x+] [d]=[%zz%4] [e]=[1] [f]=[a=b]")
        #expect(try live.request("GET", "/items?").text == "")
        #expect(try live.request("GET", "/items").text == "")
    }

    @Test func requestLinesTooLongForTheBuffer_get414() throws {
        let live = try LiveServer(routes: limitRoutes())
        for count in [2000, 5000] {
            let line = "GET /query?\(query(parameters: count, value: "value")) HTTP/1.1\r\nHost: test\r\n\r\n"
            #expect(try status(of: line, on: live) == 414, "\(count) parameters, \(line.utf8.count) bytes")
        }
        for length in [17_000, 40_000] {
            let line = "GET /query?q=\(String(repeating: "a", count: length)) HTTP/1.1\r\nHost: test\r\n\r\n"
            #expect(try status(of: line, on: live) == 414, "\(length) bytes")
        }
    }

    @Test func headersTooLargeForTheBuffer_get431() throws {
        let live = try LiveServer(routes: limitRoutes())
        let many = (0..<600).map { "X-Field-\($0): v\r\n" }.joined()
        #expect(try status(of: "GET /query?q=1 HTTP/1.1\r\nHost: test\r\n\(many)\r\n", on: live) == 431)
        let huge = "X-Huge: \(String(repeating: "b", count: 40_000))\r\n"
        #expect(try status(of: "GET /query?q=1 HTTP/1.1\r\nHost: test\r\n\(huge)\r\n", on: live) == 431)
    }

    /// RFC 9112 §6.3: differing Content-Length values make the body's end ambiguous: 400, and the connection
    /// closes, so the bytes after the first length are never read as a next request.
    @Test func conflictingContentLengths_get400_andClose() throws {
        let live = try LiveServer(routes: limitRoutes())
        let connection = try RawConnection(port: live.port)
        connection.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                + "Content-Length: 5\r\n\r\nabcde")
        #expect(connection.readStatus(within: 2) == 400)
        let rest = connection.readAll()
        #expect(!rest.contains("HTTP/1.1"), "one answer, then the connection closes")
        let list = try live.request(
            "POST", "/echo", headers: [("Content-Type", "text/plain"), ("Content-Length", "3, 4")],
            body: Data("abc".utf8))
        #expect(list.status == 400)
    }

    /// RFC 9110 §8.6 lets a recipient accept identical duplicates; libmicrohttpd frames by the first, which
    /// is then what every sender meant.
    @Test func identicalContentLengths_areAccepted() throws {
        let live = try LiveServer(routes: limitRoutes())
        let connection = try RawConnection(port: live.port)
        connection.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                + "Content-Length: 3\r\nConnection: close\r\n\r\nabc")
        let reply = connection.readAll()
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.hasSuffix("got abc"))
    }

    /// libmicrohttpd decodes only chunked; with any other coding it read the body until the idle timeout.
    @Test func unknownTransferEncoding_gets501_atOnce() throws {
        let live = try LiveServer(routes: limitRoutes())
        // "chunked " and "chunked\t": libmicrohttpd trims no trailing whitespace, so it does not decode them as
        // chunked either (the hostile-HTTP fuzz found these hanging until the idle timeout).
        for coding in ["gzip", "gzip, chunked", "identity", "chunked, chunked", "chunked ", "chunked\t"] {
            let request =
                "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nTransfer-Encoding: \(coding)\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n"
            #expect(try status(of: request, on: live) == 501, "\(coding)")
        }
        let api = try live.request(
            "POST", "/api/v1/upload", headers: [("Transfer-Encoding", "gzip"), ("Content-Type", "text/plain")],
            body: Data("abc".utf8))
        #expect(api.status == 501)
        #expect(
            try JSONDecoder().decode(APIErrorBody.self, from: api.body).error.code == "unsupported_transfer_encoding")
    }

    @Test func chunkedUploads_stillWork() throws {
        let live = try LiveServer(routes: limitRoutes())
        for coding in ["chunked", "Chunked"] {
            let connection = try RawConnection(port: live.port)
            connection.send(
                "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nTransfer-Encoding: \(coding)\r\n"
                    + "Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            let reply = connection.readAll()
            #expect(reply.hasPrefix("HTTP/1.1 200"), "\(coding)")
            #expect(reply.hasSuffix("got abcde"))
        }
    }
}
