import Foundation

public struct Response: Sendable {
    public var status: Int
    /// Header names as they should be sent; the server adds security headers, the request id and,
    /// unless a handler set one, `Cache-Control: no-store`.
    public var headers: [(String, String)]
    public var body: Data
    /// An HTML document that a page of this site may frame (`frame-ancestors 'self'`, `SAMEORIGIN`) instead of
    /// the default `'none'`/`DENY`. Only the certificate lease heartbeat sets it: a small self-refreshing frame
    /// inside the clerk's detail page, so typing on that page survives the heartbeat.
    public var allowsSameOriginFraming = false
    /// Set by `Response.deferred`: the real response comes later (see `DeferredResponse`).
    var deferred: DeferredResponse?

    public init(status: Int = 200, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name, value))
    }

    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Self.utf8Data(text))
    }

    /// `Data(text.utf8)` goes through generic sequence code with a dynamic cast; copying the contiguous
    /// buffer does not.
    static func utf8Data(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { Data(buffer: $0) }
    }

    public static func html(_ html: Data, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: html)
    }

    /// JSON with sorted keys, so bodies are stable for tests and caches.
    /// One shared, configured encoder: making one per response showed in the profile. JSONEncoder is
    /// thread-safe for concurrent `encode` calls once configured.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> Response {
        Response(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")],
            body: try encoder.encode(value))
    }

    /// The same JSON as `json(_:status:)` above, written by the type itself (see `JSONWritable`).
    public static func json<T: JSONWritable>(_ value: T, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: value.jsonData())
    }

    /// 303 See Other: after a POST the browser follows with a GET, so reloading never re-submits.
    public static func redirect(to location: String, status: Int = 303) -> Response {
        Response(status: status, headers: [("Location", location)])
    }
}

/// The JSON body of every API error: `{"error": {"code": ..., "message": ..., "request_id": ...}}`.
public struct APIErrorBody: Codable, Sendable, JSONWritable {
    public struct Detail: Codable, Sendable {
        public let code: String
        public let message: String
        public let requestID: String

        enum CodingKeys: String, CodingKey {
            case code, message
            case requestID = "request_id"
        }
    }

    public let error: Detail

    public init(code: String, message: String, requestID: String) {
        self.error = Detail(code: code, message: message, requestID: requestID)
    }

    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("error")
            writer.object { writer in
                writer.member("code", error.code)
                writer.member("message", error.message)
                writer.member("request_id", error.requestID)
            }
        }
    }
}
