import Foundation
import ServiceKit
import Synchronization
import Testing

@Suite("PeriodicThread: timed passes, wake-ups and a clean stop")
struct PeriodicThreadTests {
    /// Counts passes and lets a test wait for the n-th one.
    final class Passes: Sendable {
        private let count = Mutex(0)

        func record() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }

        func wait(for expected: Int, seconds: TimeInterval = 5) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if value >= expected { return true }
                Thread.sleep(forTimeInterval: 0.005)
            }
            return value >= expected
        }
    }

    /// An hour-long interval, so every pass after the first comes from `wake()`: a webhook stored is processed
    /// at once, not at the next tick.
    @Test func wake_runsAPassLongBeforeTheInterval() {
        let passes = Passes()
        let thread = PeriodicThread(name: "test.wake", interval: 3600, passAtStart: true)
        thread.start { passes.record() }
        #expect(passes.wait(for: 1))
        thread.wake()
        #expect(passes.wait(for: 2))
        thread.wake()
        #expect(passes.wait(for: 3))
        thread.stop()
        #expect(passes.value == 3)
    }

    /// 0.3 s, not less: the check that no pass has run yet must not lose a race with a test thread that a
    /// busy CI core descheduled for a few tens of milliseconds.
    @Test func noPassAtStart_waitsForTheInterval() {
        let passes = Passes()
        let thread = PeriodicThread(name: "test.interval", interval: 0.3, passAtStart: false)
        thread.start { passes.record() }
        #expect(passes.value == 0)
        #expect(passes.wait(for: 2))
        thread.stop()
    }

    /// `stop()` returns only after the pass in progress, and with `passAtStop` after one more: work queued by
    /// a request just before shutdown is still done.
    @Test func stop_waitsForThePassInProgress_andRunsTheLastPass() {
        let passes = Passes()
        let started = Passes()
        let thread = PeriodicThread(name: "test.stop", interval: 3600, passAtStart: true, passAtStop: true)
        thread.start {
            started.record()
            Thread.sleep(forTimeInterval: 0.2)
            passes.record()
        }
        #expect(started.wait(for: 1))
        thread.stop()
        #expect(passes.value == 2)
        #expect(started.value == 2)
    }

    @Test func stopWithoutPassAtStop_runsNoFurtherPass() {
        let passes = Passes()
        let thread = PeriodicThread(name: "test.stop-plain", interval: 3600, passAtStart: true)
        thread.start { passes.record() }
        #expect(passes.wait(for: 1))
        thread.stop()
        #expect(passes.value == 1)
    }
}
