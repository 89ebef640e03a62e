import Foundation
import HTTPClient

/// A browser-like HTTP client for tests: keeps cookies between requests, sends form posts, and reads the
/// CSRF token out of the last page. It never follows redirects, so tests see each 303 and its Location.
///
/// Like browsers on `localhost`, it sends `Secure` cookies over plain HTTP to the loopback test server.
/// `EasyHandle` keeps one value per header name, so each response may set at most one cookie — which is
/// all Madoguchi ever sets in one response.
///
/// Not thread-safe: one browser per test, used from one thread.
public final class Browser: @unchecked Sendable {
    public let baseURL: String
    private let handle = EasyHandle()
    public private(set) var cookies: [String: String] = [:]
    /// The most recent page's body, for `csrfToken`.
    public private(set) var lastPage = ""

    public init(baseURL: String) {
        self.baseURL = baseURL
    }

    // MARK: Requests

    public func get(_ path: String, headers: [(String, String)] = []) throws -> BrowserResponse {
        try send("GET", path, headers: headers)
    }

    /// Posts `fields` as `application/x-www-form-urlencoded`, in order.
    public func post(_ path: String, form fields: [(String, String)], headers: [(String, String)] = []) throws
        -> BrowserResponse
    {
        try send(
            "POST", path, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: Data(FormEncoding.encode(fields).utf8))
    }

    /// Posts `fields` plus the `csrf_token` of the last page, as a person submitting that page's form would.
    public func submit(_ path: String, form fields: [(String, String)]) throws -> BrowserResponse {
        guard let token = csrfToken else { throw BrowserError.noCSRFToken(path: path) }
        return try post(path, form: [("csrf_token", token)] + fields)
    }

    /// A JSON call with the browser's cookies.
    public func json(_ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []) throws
        -> BrowserResponse
    {
        try send(
            method, path, headers: headers + (body == nil ? [] : [("Content-Type", "application/json")]),
            body: body.map { Data($0.utf8) })
    }

    public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) throws
        -> BrowserResponse
    {
        var allHeaders = headers
        if !cookies.isEmpty {
            allHeaders.append(
                ("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let raw = try handle.perform(method: method, url: baseURL + path, headers: allHeaders, body: body)
        let response = BrowserResponse(raw)
        if let cookie = response.setCookie {
            if cookie.isDeletion { cookies[cookie.name] = nil } else { cookies[cookie.name] = cookie.value }
        }
        if raw.headers["content-type"]?.hasPrefix("text/html") == true { lastPage = response.text }
        return response
    }

    // MARK: Cookies and tokens

    public func setCookie(_ name: String, _ value: String) { cookies[name] = value }
    public func removeCookie(_ name: String) { cookies[name] = nil }

    /// The `csrf_token` hidden input of the last HTML page, if it had a form.
    public var csrfToken: String? { BrowserResponse.csrfToken(in: lastPage) }

    public enum BrowserError: Error, CustomStringConvertible {
        case noCSRFToken(path: String)
        public var description: String {
            switch self {
            case .noCSRFToken(let path): "no csrf_token on the last page before posting to \(path)"
            }
        }
    }
}

public struct BrowserResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let text: String
    public let setCookie: SetCookie?

    init(_ raw: EasyHandle.Response) {
        status = raw.status
        headers = raw.headers
        text = raw.text
        setCookie = raw.headers["set-cookie"].flatMap(SetCookie.parse)
    }

    public var location: String? { headers["location"] }

    public var csrfToken: String? { Self.csrfToken(in: text) }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf_token\" value=\"[^\"]+\"", options: .regularExpression)
        else { return nil }
        let match = html[range]
        return String(match.dropFirst("name=\"csrf_token\" value=\"".count).dropLast())
    }

    /// The body parsed as a JSON object, or nil.
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

/// One `Set-Cookie` header, parsed as RFC 6265 §5.2 describes: `name=value` then `;`-separated attributes,
/// whose names are case-insensitive.
public struct SetCookie: Sendable, Equatable {
    public let name: String
    public let value: String
    /// Lower-cased attribute names; flags such as `secure` map to "".
    public let attributes: [String: String]
    public let raw: String

    public static func parse(_ header: String) -> SetCookie? {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { return nil }
        var attributes: [String: String] = [:]
        for part in parts.dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1)
            attributes[pieces[0].lowercased()] = pieces.count > 1 ? String(pieces[1]) : ""
        }
        return SetCookie(
            name: String(first[..<equals]), value: String(first[first.index(after: equals)...]), attributes: attributes,
            raw: header)
    }

    public func has(_ attribute: String) -> Bool { attributes[attribute.lowercased()] != nil }

    public var isDeletion: Bool { attributes["max-age"].flatMap(Int.init).map { $0 <= 0 } ?? false }
}

/// `application/x-www-form-urlencoded`, percent-encoding everything but RFC 3986's unreserved characters.
public enum FormEncoding {
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
