import Cryptography
import Foundation
import Synchronization

/// A response body that does not change between requests (the procedure catalog, the catalog page, the
/// stylesheet; later the certificate types and class listings between edits), encoded once and served with a
/// strong `ETag`, so a client that has it gets a bodyless 304.
///
/// Encoding the 19 KB catalog with JSONEncoder on every request held `GET /api/v1/procedures` at 1.4% of
/// nginx (issue #10); serving prepared bytes costs what `/healthz` costs.
public struct CachedRepresentation: Sendable {
    public let body: Data
    public let contentType: String
    /// Quoted, as sent: `"<32 hex digits>"`, the first 128 bits of the body's SHA-256.
    public let entityTag: String
    public let cacheControl: String
    /// The request headers the representation depends on (e.g. `Cookie` for a page that has a signed-in
    /// variant), so caches never hand the guest version to a signed-in resident.
    public let vary: String?

    public init(body: Data, contentType: String, cacheControl: String, vary: String? = nil) {
        self.body = body
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.vary = vary
        self.entityTag = "\"" + Hex.encode(Digest.sha256(body).prefix(16)) + "\""
    }

    /// 200 with the body, or 304 without it when `If-None-Match` names this representation. The 304 carries the
    /// same `ETag`, `Cache-Control` and `Vary` as the 200 would (RFC 9110 §15.4.5).
    public func response(to request: Request) -> Response {
        var headers: [(String, String)] = [("ETag", entityTag), ("Cache-Control", cacheControl)]
        if let vary { headers.append(("Vary", vary)) }
        if let condition = request.header("if-none-match"), Self.condition(condition, matches: entityTag) {
            return Response(status: 304, headers: headers)
        }
        headers.insert(("Content-Type", contentType), at: 0)
        return Response(status: 200, headers: headers, body: body)
    }

    /// Whether an `If-None-Match` value (`*`, or a list of entity tags) matches `entityTag`. The comparison
    /// is weak, as RFC 9110 §13.1.2 prescribes for this header: `W/"x"` matches `"x"`. A malformed list
    /// matches nothing past the point where it stops making sense, so the client gets the full answer.
    public static func condition(_ value: String, matches entityTag: String) -> Bool {
        let bytes = Array(value.utf8)
        let wanted = Array(entityTag.utf8)
        var index = 0
        func skipSeparators() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x2C {
                index += 1
            }
        }
        skipSeparators()
        if index < bytes.count, bytes[index] == UInt8(ascii: "*") {
            index += 1
            skipSeparators()
            return index == bytes.count
        }
        while index < bytes.count {
            if bytes.count - index >= 2, bytes[index] == UInt8(ascii: "W"), bytes[index + 1] == UInt8(ascii: "/") {
                index += 2
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
            guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "\"")) else { return false }
            if bytes[index...close].elementsEqual(wanted) { return true }
            index = close + 1
            skipSeparators()
        }
        return false
    }
}

/// A `CachedRepresentation` that is replaced when its source changes (a class listing after an edit):
/// readers take the current one without waiting for an encoder, and the writer encodes once per change.
public final class ChangingRepresentation: Sendable {
    private let current: Mutex<CachedRepresentation>

    public init(_ initial: CachedRepresentation) {
        current = Mutex(initial)
    }

    public var representation: CachedRepresentation { current.withLock { $0 } }

    public func replace(with representation: CachedRepresentation) {
        current.withLock { $0 = representation }
    }

    public func response(to request: Request) -> Response {
        representation.response(to: request)
    }
}
