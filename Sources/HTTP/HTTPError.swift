/// An error that knows how it should be answered. Handlers throw these; the server renders them as JSON
/// under `/api/` and as a Japanese page elsewhere. Any other error becomes a 500 with no details.
public protocol HTTPResponseError: Error {
    var status: Int { get }
    /// A stable, machine-readable code for API clients, e.g. `not_found`.
    var code: String { get }
    /// The message shown to the person: Japanese, polite, and free of personal data.
    var message: String { get }
    /// Extra headers, e.g. `Allow` on a 405.
    var headers: [(String, String)] { get }
    /// The heading of the Japanese error page, when the status alone would say too little.
    var title: String? { get }
}

extension HTTPResponseError {
    public var headers: [(String, String)] { [] }
    public var title: String? { nil }
}

public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    public let headers: [(String, String)]

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "HTTP \(status) \(code)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(status: 400, code: code, message: message)
    }

    public static let notFound = HTTPError(
        status: 404, code: "not_found", message: "お探しのページは見つかりませんでした。")

    public static func methodNotAllowed(allowed: [String]) -> HTTPError {
        HTTPError(
            status: 405, code: "method_not_allowed", message: "この操作はできません。",
            headers: [("Allow", allowed.joined(separator: ", "))])
    }

    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(
            status: 413, code: "payload_too_large",
            message: "送信された内容が大きすぎます（上限 \(ByteCountText.japanese(limit))）。")
    }

    public static func unsupportedMediaType(expected: String) -> HTTPError {
        HTTPError(
            status: 415, code: "unsupported_media_type", message: "送信形式が正しくありません（\(expected) で送信してください）。")
    }

    /// Several Content-Length fields that disagree: the body's end is ambiguous, so the connection closes too.
    static let conflictingContentLength = HTTPError(
        status: 400, code: "conflicting_content_length",
        message: "送信内容の長さの指定が矛盾しています。もう一度お試しください。", headers: [("Connection", "close")])

    /// A transfer coding other than chunked: the body cannot be read, so the connection closes too.
    static let unsupportedTransferEncoding = HTTPError(
        status: 501, code: "unsupported_transfer_encoding",
        message: "この送信方式には対応していません。", headers: [("Connection", "close")])

    public static let internalError = HTTPError(
        status: 500, code: "internal_error",
        message: "申し訳ありません。システムで問題が発生しました。時間をおいてもう一度お試しください。")

    public static let unavailable = HTTPError(
        status: 503, code: "unavailable", message: "ただいま停止作業中です。しばらくしてからもう一度お試しください。")
}

/// Byte counts as residents read them: "5 MB", "64 KB".
public enum ByteCountText {
    public static func japanese(_ bytes: Int) -> String {
        if bytes >= 1_048_576, bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576) MB" }
        if bytes >= 1024 { return "\(bytes / 1024) KB" }
        return "\(bytes) バイト"
    }
}
