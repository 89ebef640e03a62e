import Foundation

/// A token bucket: at most `ratePerSecond` requests on average, with a burst of `burstSeconds` worth.
///
/// The sender keeps one per LINE endpoint, under LINE's per-channel limit by a configurable headroom. A 429
/// pauses the bucket (LINE counts requests per second, so a short silence lets its window empty) and halves
/// the rate; the other 429s of requests already under way during that pause change nothing more. After two
/// quiet seconds the rate climbs back by 5% of the ceiling per second. Time is passed in (monotonic
/// seconds), so tests drive it without sleeping.
public struct TokenBucket: Sendable {
    public let maximumRate: Double
    public let minimumRate: Double
    public let burstSeconds: Double
    public private(set) var ratePerSecond: Double
    private var tokens: Double
    private var updatedAt: Double
    private var lastSlowDownAt: Double?
    private var pausedUntil = -Double.infinity

    public init(ratePerSecond: Double, burstSeconds: Double = 0.1, minimumRate: Double = 1, now: Double) {
        precondition(ratePerSecond > 0 && burstSeconds > 0)
        self.maximumRate = ratePerSecond
        self.minimumRate = min(minimumRate, ratePerSecond)
        self.burstSeconds = burstSeconds
        self.ratePerSecond = ratePerSecond
        self.updatedAt = now
        self.tokens = 1
    }

    /// How many requests may go at once.
    public var capacity: Double { max(1, ratePerSecond * burstSeconds) }

    /// Takes a token if one is there.
    public mutating func tryTake(now: Double) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until `tryTake` can succeed; 0 when it can now.
    public func secondsUntilAvailable(now: Double) -> Double {
        let available = min(capacity, tokens + max(0, now - updatedAt) * ratePerSecond)
        return available >= 1 ? 0 : (1 - available) / ratePerSecond
    }

    /// LINE said 429: send nothing for `pause` seconds, then go on at half the rate. Returns false when the
    /// bucket was already paused (a 429 for a request sent before the first one arrived).
    @discardableResult
    public mutating func slowDown(now: Double, pause: Double) -> Bool {
        refill(now: now)
        guard now >= pausedUntil else { return false }
        lastSlowDownAt = now
        pausedUntil = now + pause
        ratePerSecond = max(minimumRate, ratePerSecond / 2)
        // A debt of `pause` seconds' worth of tokens: refilling at the new rate pays it off exactly then.
        tokens = -pause * ratePerSecond
        return true
    }

    private mutating func refill(now: Double) {
        let elapsed = max(0, now - updatedAt)
        if let last = lastSlowDownAt, ratePerSecond < maximumRate {
            // Recovery starts two quiet seconds after the last slow-down.
            let recovering = max(0, now - max(updatedAt, last + 2))
            ratePerSecond = min(maximumRate, ratePerSecond + maximumRate * 0.05 * recovering)
        }
        updatedAt = max(updatedAt, now)
        tokens = min(capacity, tokens + elapsed * ratePerSecond)
    }
}

/// Seconds on a clock that never jumps (CLOCK_MONOTONIC), for rates and timeouts.
public enum MonotonicClock {
    public static func seconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
    }
}
