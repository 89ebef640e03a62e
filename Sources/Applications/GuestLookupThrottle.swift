import Cryptography
import Foundation
import HTTP
import Identity
import Store

/// The guest lookup's own throttle. A guest's reference and secret are the only credential they hold, and the
/// wave-1 examination sent 40 wrong secrets for one reference without ever seeing a 429. It uses login's
/// counters and growing delays (`ThrottlePolicy`, `LoginThrottle`) under keys of its own: per reference, with an
/// account's threshold (guessing one application's secret from many addresses), and per client address, with
/// an address's threshold (trying many references from one). A correct secret clears the reference's counter,
/// as a successful login clears the account's.
struct GuestLookupThrottle: Sendable {
    let policy: ThrottlePolicy

    struct Keys: Sendable {
        /// Nil for text that is no reference at all: it can match no application, so only the address pays.
        let reference: String?
        let address: String

        var all: [String] { [reference, address].compactMap { $0 } }
    }

    /// The reference is hashed like a login ID: the table holds counters, not what people typed.
    static func keys(normalizedReference: String?, origin: RequestOrigin) -> Keys {
        Keys(
            reference: normalizedReference.map { "guest_lookup:reference:\(Digest.sha256Hex($0))" },
            address: "guest_lookup:address:\(origin.clientAddress ?? "unknown")")
    }

    /// Until when the lookup is refused, if any counter is locked. Checked before the secret is compared, so a
    /// locked reference tells nothing about whether it exists.
    func lockedUntil(_ keys: Keys, now: Date, on connection: Connection) throws -> Date? {
        try LoginThrottle.fetchLockedUntil(keys: keys.all, now: now, on: connection)
    }

    func recordFailure(_ keys: Keys, at now: Date, on connection: Connection) throws {
        if let reference = keys.reference {
            try LoginThrottle.recordFailure(
                key: reference, threshold: policy.accountThreshold, policy: policy, at: now, on: connection)
        }
        try LoginThrottle.recordFailure(
            key: keys.address, threshold: policy.addressThreshold, policy: policy, at: now, on: connection)
    }

    func recordSuccess(_ keys: Keys, on connection: Connection) throws {
        if let reference = keys.reference { try LoginThrottle.resetFailures(key: reference, on: connection) }
    }
}

/// Too many wrong references or secrets: 429 with `Retry-After`, from the lookup page and the JSON API alike.
public struct GuestLookupThrottled: HTTPResponseError, Equatable, Sendable {
    public static let message = "確認の試行回数が多すぎます。しばらく時間をおいてから、もう一度お試しください。"

    public let retryAfterSeconds: Int

    public init(lockedUntil: Date, now: Date) {
        retryAfterSeconds = max(1, Int(lockedUntil.timeIntervalSince(now).rounded(.up)))
    }

    public var status: Int { 429 }
    public var code: String { "too_many_attempts" }
    public var message: String { Self.message }
    public var headers: [(String, String)] { [("Retry-After", String(retryAfterSeconds))] }
}
