import Foundation
import Notices
import Testing

@Suite("In-flight window (Little's law)")
struct InFlightWindowTests {
    /// Feeds `count` completions: every `slowEvery`-th one held its slot for `slow` seconds, the rest `fast`.
    private func observe(
        _ window: inout InFlightWindow, count: Int, fast: Double, slowEvery: Int, slow: Double
    ) {
        for index in 1...count {
            window.record(secondsInFlight: index % slowEvery == 0 ? slow : fast)
        }
    }

    @Test func fastAnswers_needFewSlots_butNeverFewerThanTheMinimum() {
        var window = InFlightWindow(minimum: 8, maximum: 512)
        observe(&window, count: 10_000, fast: 0.002, slowEvery: Int.max, slow: 0)
        #expect(abs(window.meanSecondsInFlight - 0.002) < 0.000_1)
        // 1,800/s × 2 ms = 3.6 slots in use; twice that, and at least the minimum.
        #expect(window.size(forRate: 1_800) == 8)
        #expect((40...41).contains(window.size(forRate: 10_000)))
    }

    @Test func aBadDay_twoPercentTimingOutAfter3s_getsRoomForTheBucketsRate() {
        var window = InFlightWindow(maximum: 512)
        // 2% of answers hold their slot for the whole 3 s timeout, the rest 2 ms.
        observe(&window, count: 20_000, fast: 0.002, slowEvery: 50, slow: 3)
        let mean = 0.98 * 0.002 + 0.02 * 3
        #expect(abs(window.meanSecondsInFlight - mean) < mean * 0.1)
        let size = window.size(forRate: 1_800)
        // Little's law: 1,800/s × 62 ms ≈ 112 slots busy on average; the fixed 32 allowed 32 / 62 ms ≈ 516/s.
        #expect(Double(size) > 1_800 * mean * 1.5, "room for bunches of slow answers above the mean")
        #expect(size <= Int((1_800 * mean * 2 * 1.1).rounded(.up)))
    }

    @Test func theWindowFollowsTheRate_soA429sHalvingHalvesIt() {
        var window = InFlightWindow(maximum: 512)
        observe(&window, count: 20_000, fast: 0.002, slowEvery: 50, slow: 3)
        let full = window.size(forRate: 1_800)
        let halved = window.size(forRate: 900)
        #expect(abs(Double(halved) - Double(full) / 2) <= 1)
    }

    @Test func theMaximumCapsIt_andRecoveryFollowsFasterAnswers() {
        var window = InFlightWindow(maximum: 64)
        observe(&window, count: 5_000, fast: 3, slowEvery: Int.max, slow: 0)
        #expect(window.size(forRate: 1_800) == 64, "every answer timing out: capped at --concurrency")
        observe(&window, count: 10_000, fast: 0.002, slowEvery: Int.max, slow: 0)
        #expect(window.size(forRate: 1_800) == 32, "LINE recovered: the window shrinks back to the minimum")
    }

    @Test func beforeAnyAnswer_theWindowAssumes100ms() {
        let window = InFlightWindow(maximum: 512)
        #expect(window.size(forRate: 1_800) == 360)
        #expect(window.size(forRate: 0) == 32)
    }
}
