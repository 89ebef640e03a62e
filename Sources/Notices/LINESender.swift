import Foundation
import HTTPClient

/// Retries and the retry key's window (DESIGN.md, "Outbox rule").
public struct RetryPolicy: Sendable, Equatable {
    /// First backoff after a 5xx, timeout or network error; doubles with each attempt, up to `backoffCap`.
    public var backoffBase: TimeInterval = 1
    public var backoffCap: TimeInterval = 5 * 60
    /// How long an endpoint pauses after a 429, and about how long the refused request waits (the endpoint's
    /// rate is halved as well).
    public var rateLimitedDelay: TimeInterval = 1
    /// LINE remembers a retry key this long after its first use.
    public var keyWindow: TimeInterval = LINELimits.retryKeyWindow
    /// No attempt starts this close to the window's end: an attempt must finish while LINE still knows the
    /// key, whatever the clocks on both sides say.
    public var keyWindowMargin: TimeInterval = 10 * 60

    public init() {}

    /// A request first attempted at or before this instant may no longer be attempted.
    public func attemptCutoff(now: Date) -> Date {
        now.addingTimeInterval(-(keyWindow - keyWindowMargin))
    }

    /// Exponential backoff with "equal jitter": half the step is fixed, half random (`random` in 0...1), so
    /// retries of a failed burst spread out instead of arriving together again.
    public func backoff(afterAttempt attempt: Int, random: Double) -> TimeInterval {
        let step = min(backoffCap, backoffBase * pow(2, Double(max(0, attempt - 1))))
        return step / 2 + step / 2 * min(1, max(0, random))
    }
}

/// Speaks LINE's HTTP for one frozen request: builds the call and says what LINE's answer means.
public struct LINESender: Sendable {
    /// What one attempt's answer means for the outbox.
    public enum Verdict: Sendable, Equatable {
        /// 200, or 409: this retry key was accepted before. Either way LINE has it.
        case accepted(status: Int, requestID: String?)
        /// Another 4xx: this body will never be accepted.
        case rejected(status: Int, reason: String)
        /// 5xx, timeout, network error: maybe executed, maybe not; the same key again is safe.
        case retry(status: Int?, reason: String)
        /// 429: too fast. Slow down, then the same key again.
        case rateLimited
        /// 401 or 403: the channel access token (not this request) is wrong. Stop the run; nothing fails.
        case unauthorized(status: Int)
    }

    public let apiBase: String
    public let requestTimeout: TimeInterval
    let accessToken: ChannelAccessToken

    public init(apiBase: String, accessToken: ChannelAccessToken, requestTimeout: TimeInterval) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.accessToken = accessToken
        self.requestTimeout = requestTimeout
    }

    /// The frozen body, byte for byte, with the frozen retry key: every attempt is the same request.
    public func httpRequest(endpoint: LINEEndpoint, payload: Data, retryKey: String) -> MultiHandle.Request {
        MultiHandle.Request(
            method: "POST", url: apiBase + endpoint.path,
            headers: Self.headers(retryKey: retryKey, accessToken: accessToken), body: payload,
            timeoutMilliseconds: max(1, Int(requestTimeout * 1000)))
    }

    static func headers(retryKey: String, accessToken: ChannelAccessToken) -> [(String, String)] {
        [
            ("Authorization", "Bearer \(accessToken.value)"),
            ("Content-Type", "application/json"),
            ("X-Line-Retry-Key", retryKey),
        ]
    }

    public static func verdict(for result: Result<EasyHandle.Response, EasyHandle.CurlError>) -> Verdict {
        switch result {
        case .failure(let error):
            return .retry(status: nil, reason: error.isTimeout ? "timeout" : "network: \(error.message)")
        case .success(let response):
            switch response.status {
            case 200..<300:
                return .accepted(status: response.status, requestID: response.headers["x-line-request-id"])
            case 409:
                return .accepted(status: 409, requestID: response.headers["x-line-accepted-request-id"])
            case 429:
                return .rateLimited
            case 401, 403:
                return .unauthorized(status: response.status)
            case 400..<500:
                return .rejected(
                    status: response.status, reason: "HTTP \(response.status): \(errorMessage(response.body))")
            default:
                return .retry(status: response.status, reason: "HTTP \(response.status)")
            }
        }
    }

    /// LINE's `{"message": ...}` error text (messaging-api.yml: ErrorResponse), shortened.
    static func errorMessage(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let message = object["message"] as? String
        else { return "no error message" }
        var text = message
        if let details = object["details"] as? [[String: Any]] {
            let parts = details.compactMap { detail -> String? in
                guard let message = detail["message"] as? String else { return nil }
                return (detail["property"] as? String).map { "\($0): \(message)" } ?? message
            }
            if !parts.isEmpty { text += " (" + parts.joined(separator: "; ") + ")" }
        }
        return String(text.prefix(400))
    }
}
