import Foundation

/// How many LINE calls a run keeps in flight: Little's law, `in flight = rate × time each call holds a slot`,
/// with room for bursts of slow answers.
///
/// A fixed 32 capped the run at 32 ÷ (time a call holds its slot). On a bad day (2% of answers 10 s slow) that
/// was ≈ 160 pushes/s, 6–7% of LINE's 2,000/s, while the token bucket allowed 1,800. The window only makes room:
/// the token bucket alone decides the rate, so a window larger than needed costs idle connections, never 429s.
///
/// The time a call holds its slot is a moving mean over recent completions, timeouts counted at the time they
/// took. Time is passed in, so tests drive it without sleeping.
public struct InFlightWindow: Sendable, Equatable {
    /// Never fewer than the fixed 32 that sustained 90.8% of the push limit without faults: at a few ms per
    /// answer Little's law asks for only a dozen slots, and a dozen leave no room for a scheduling hiccup.
    public let minimum: Int
    /// Never more (`--concurrency`): connections to one host.
    public let maximum: Int
    /// The window is this many times the mean demand: slow answers arrive in bunches (Poisson: with 108 slots
    /// expected busy, 130 are in 2% of seconds), and the mean lags a burst by the timeout.
    public let burstFactor: Double
    /// Weight of one completion in the moving mean: about the last 1,000 answers (half a second at 1,800/s),
    /// enough that the 2% slow ones are a steady share rather than a jolt each.
    public let smoothing: Double
    public private(set) var meanSecondsInFlight: Double

    public init(
        minimum: Int = 32, maximum: Int, initialSecondsInFlight: Double = 0.1, burstFactor: Double = 2,
        smoothing: Double = 1.0 / 1024
    ) {
        precondition(minimum >= 1 && burstFactor >= 1 && smoothing > 0 && smoothing <= 1)
        self.maximum = max(1, maximum)
        self.minimum = min(minimum, self.maximum)
        self.burstFactor = burstFactor
        self.smoothing = smoothing
        self.meanSecondsInFlight = max(0, initialSecondsInFlight)
    }

    /// A call finished (answer, error or timeout) after `seconds` in flight.
    public mutating func record(secondsInFlight seconds: Double) {
        meanSecondsInFlight += (max(0, seconds) - meanSecondsInFlight) * smoothing
    }

    /// Slots for sending at `requestsPerSecond` (the sum of the token buckets' current rates).
    public func size(forRate requestsPerSecond: Double) -> Int {
        let demand = max(0, requestsPerSecond) * meanSecondsInFlight * burstFactor
        guard demand.isFinite else { return maximum }
        return min(maximum, max(minimum, Int(demand.rounded(.up))))
    }
}
