import Foundation

/// A complete request: the server has read the whole body (within the route's limit) before a handler runs.
public struct Request: Sendable {
    public let method: String
    /// The decoded path, without the query string. Never logged: it may carry identifiers.
    public let path: String
    /// Query arguments in order of appearance, decoded by `QueryString` (as libmicrohttpd decoded them).
    public let queryItems: [(name: String, value: String)]
    public let headers: HTTPHeaders
    public let body: Data
    /// The client's address: the peer, or the proxy-reported client when the peer is the local nginx.
    public let clientAddress: String
    public let requestID: String
    /// The matched route's pattern, e.g. `/api/v1/applications/:id`. Safe to log, unlike `path`.
    public internal(set) var routePattern: String
    public internal(set) var pathParameters: [String: String]
    /// When the request arrived; handlers use this, not a fresh clock read, so one request sees one "now".
    public let receivedAt: Date

    public init(
        method: String, path: String, queryItems: [(name: String, value: String)] = [],
        headers: HTTPHeaders = [:], body: Data = Data(), clientAddress: String = "127.0.0.1",
        requestID: String = "test", routePattern: String = "", pathParameters: [String: String] = [:],
        receivedAt: Date = Date()
    ) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
        self.requestID = requestID
        self.routePattern = routePattern
        self.pathParameters = pathParameters
        self.receivedAt = receivedAt
    }

    public func header(_ name: String) -> String? { headers[name] }

    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// A path parameter the route declared; a route that asks for one it didn't declare is a programming error.
    public func parameter(_ name: String) -> String {
        guard let value = pathParameters[name] else {
            preconditionFailure("route \(routePattern) has no parameter :\(name)")
        }
        return value
    }

    /// True for the JSON API, whose errors render as JSON rather than as a page.
    public var isAPI: Bool { path == "/api" || path.hasPrefix("/api/") }

    /// The media type of the body without parameters, lower-cased.
    public var contentType: String? {
        guard let value = headers["content-type"] else { return nil }
        // Hand-rolled (no CharacterSet trimming): this runs for every body a handler reads. The common
        // case, a type already in lower case and without spaces, is returned as it is, without copying.
        let mediaType = value.utf8.firstIndex(of: 59).map { value[..<$0] } ?? value[...]  // ';' starts parameters
        if !mediaType.utf8.contains(where: { $0 == 32 || $0 == 9 || ($0 >= 65 && $0 <= 90) }) {
            return String(mediaType)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(mediaType.utf8.count)
        for byte in mediaType.utf8 where byte != 32 && byte != 9 {
            bytes.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
