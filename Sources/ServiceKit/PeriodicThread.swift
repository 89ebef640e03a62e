import Foundation

/// The thread behind a module's timed background work in `serve` (class reminders, the KPI catch-up): runs a
/// pass every `interval` seconds until `stop()`, which wakes it and returns once the pass in progress is done,
/// so a clean shutdown loses nothing.
public final class PeriodicThread: @unchecked Sendable {
    let name: String
    let interval: TimeInterval
    /// True: a pass at once, then one per interval; false: the first pass after one interval.
    let passAtStart: Bool
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var running = false
    private var stopRequested = false

    public init(name: String, interval: TimeInterval, passAtStart: Bool) {
        self.name = name
        self.interval = interval
        self.passAtStart = passAtStart
    }

    public func start(_ pass: @escaping @Sendable () -> Void) {
        condition.withLock {
            running = true
            stopRequested = false
        }
        let thread = Thread { [self] in runUntilStopped(pass) }
        thread.name = name
        thread.start()
    }

    private func runUntilStopped(_ pass: () -> Void) {
        defer {
            condition.withLock {
                running = false
                condition.broadcast()
            }
        }
        if passAtStart { pass() }
        while true {
            condition.lock()
            if !stopRequested { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
            let stop = stopRequested
            condition.unlock()
            if stop { return }
            pass()
        }
    }

    public func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
