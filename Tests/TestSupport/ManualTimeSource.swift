import App
import Foundation
import Synchronization

/// A clock that moves only when a test says so: session timeouts and throttling delays are tested by
/// stepping past them, never by sleeping.
public final class ManualTimeSource: TimeSource {
    /// 2026-04-01T00:00:00Z, the first day of fiscal year R8: a fixed start keeps test output stable.
    public static let defaultStart = Date(timeIntervalSince1970: 1_775_001_600)

    private let current: Mutex<Date>

    public init(_ start: Date = ManualTimeSource.defaultStart) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

extension ManualTimeSource {
    /// For APIs that take the clock as a `() -> Date`.
    public var function: @Sendable () -> Date { { [self] in now() } }
}
