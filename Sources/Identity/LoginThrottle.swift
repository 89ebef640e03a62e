import Cryptography
import Foundation
import Security
import Store

/// When failed logins start to cost time. After `accountThreshold` failures for one account, or
/// `addressThreshold` from one client address, each further attempt must wait 2^(failures − threshold)
/// seconds (1, 2, 4 … capped at `maximumDelay`); an attempt inside that window is refused with 429 without
/// checking the password. A success resets the account's counter. Counters older than `forgetAfter`
/// start again from zero.
///
/// The address limit is higher because residents share addresses (carrier NAT, the town's free Wi-Fi);
/// the account limit stops guessing one person's password from many addresses.
public struct ThrottlePolicy: Sendable, Equatable {
    public var accountThreshold = 5
    public var addressThreshold = 20
    /// New accounts from one address before the same growing delay applies to registering. Generous,
    /// because a smartphone class (スマホ教室) registers a whole room over the town's one Wi-Fi; its
    /// purpose is to stop scripted mass registration, each of which also costs a PBKDF2 hash.
    public var registrationThreshold = 50
    public var maximumDelay: TimeInterval = 15 * 60
    public var forgetAfter: TimeInterval = 24 * 3600

    public init() {}

    /// How long to refuse attempts after the `failures`-th failure, or nil while under the threshold.
    public func delay(afterFailures failures: Int, threshold: Int) -> TimeInterval? {
        guard failures >= threshold else { return nil }
        let exponent = failures - threshold
        // 2^10 s already exceeds the 15-minute cap; stopping there also keeps the shift from overflowing.
        return exponent >= 10 ? maximumDelay : min(maximumDelay, TimeInterval(1 << exponent))
    }
}

/// The kind of account a login attempt is for; staff and residents have separate ID spaces.
public enum AccountKind: String, Sendable {
    case staff
    case resident
}

/// Failed-login counters in `login_throttle`, with all their SQL.
public enum LoginThrottle {
    /// The typed ID is hashed: it may be someone else's mistyped e-mail address, which has no business
    /// sitting in a table. The hash is still stable, so the counter follows the ID.
    public static func accountKey(_ kind: AccountKind, normalizedLoginID: String) -> String {
        "account:\(kind.rawValue):\(Digest.sha256Hex(normalizedLoginID))"
    }

    public static func addressKey(_ clientAddress: String) -> String { "address:\(clientAddress)" }

    public static func registrationKey(_ clientAddress: String) -> String { "register:\(clientAddress)" }

    /// The latest time until which any of `keys` is locked, if that is after `now`.
    public static func fetchLockedUntil(keys: [String], now: Date, on connection: Connection) throws -> Date? {
        var latest: Date?
        for key in keys {
            guard
                let until = try connection.scalar(
                    "SELECT locked_until FROM login_throttle WHERE key = ?", key, as: Date?.self) ?? nil
            else { continue }
            if until > now, until > (latest ?? .distantPast) { latest = until }
        }
        return latest
    }

    /// Counts one failure for `key` and sets the lock the policy asks for. Returns the new failure count.
    @discardableResult
    public static func recordFailure(
        key: String, threshold: Int, policy: ThrottlePolicy, at now: Date, on connection: Connection
    ) throws -> Int {
        var failures = 0
        if let row = try connection.queryFirst(
            "SELECT failures, last_failure_at FROM login_throttle WHERE key = ?", key)
        {
            let last: Date = try row.get("last_failure_at")
            if now.timeIntervalSince(last) < policy.forgetAfter { failures = try row.get("failures") }
        }
        failures += 1
        let lockedUntil = policy.delay(afterFailures: failures, threshold: threshold).map { now.addingTimeInterval($0) }
        try connection.run(
            """
            INSERT INTO login_throttle (key, failures, locked_until, last_failure_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
                last_failure_at = excluded.last_failure_at
            """, key, failures, lockedUntil, now)
        return failures
    }

    /// Counts one new account from `clientAddress`. Registrations are counted like failures: the same
    /// counter, threshold and growing delay, only with their own key and a higher threshold.
    public static func recordRegistration(
        clientAddress: String, policy: ThrottlePolicy, at now: Date, on connection: Connection
    ) throws {
        try recordFailure(
            key: registrationKey(clientAddress), threshold: policy.registrationThreshold, policy: policy, at: now,
            on: connection)
    }

    public static func resetFailures(key: String, on connection: Connection) throws {
        try connection.run("DELETE FROM login_throttle WHERE key = ?", key)
    }

    /// Forgets counters whose last failure is older than the policy's memory and whose lock has passed.
    @discardableResult
    public static func deleteStaleEntries(at now: Date, policy: ThrottlePolicy, on connection: Connection) throws
        -> Int
    {
        try connection.run(
            "DELETE FROM login_throttle WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)",
            now.addingTimeInterval(-policy.forgetAfter), now)
    }

}
