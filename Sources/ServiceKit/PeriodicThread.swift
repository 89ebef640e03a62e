import Foundation

/// The thread behind a module's timed background work in `serve` (class reminders, the KPI catch-up, the LINE
/// webhook events, the payments job): runs a pass every `interval` seconds, or sooner when `wake()` asks for
/// one (a webhook just stored), until `stop()`, which wakes it and returns once the pass in progress (and with
/// `passAtStop` one last pass) is done, so a clean shutdown loses nothing.
public final class PeriodicThread: @unchecked Sendable {
    let name: String
    let interval: TimeInterval
    /// True: a pass at once, then one per interval; false: the first pass after one interval.
    let passAtStart: Bool
    /// True: `stop()` runs one more pass before it returns, for work that a request may have queued just now.
    let passAtStop: Bool
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var running = false
    private var stopRequested = false
    private var wakeUpRequested = false

    public init(name: String, interval: TimeInterval, passAtStart: Bool, passAtStop: Bool = false) {
        self.name = name
        self.interval = interval
        self.passAtStart = passAtStart
        self.passAtStop = passAtStop
    }

    /// Asks for a pass now instead of at the end of the interval; one pass serves any number of calls made
    /// before it begins.
    public func wake() {
        condition.withLock {
            wakeUpRequested = true
            condition.signal()
        }
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
            let deadline = Date().addingTimeInterval(interval)
            // In a loop: NSCondition may wake spuriously, which ran a pass early.
            while !wakeUpRequested && !stopRequested && condition.wait(until: deadline) {}
            wakeUpRequested = false
            let stop = stopRequested
            condition.unlock()
            if stop {
                if passAtStop { pass() }
                return
            }
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
