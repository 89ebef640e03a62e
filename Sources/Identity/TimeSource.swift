import Foundation

/// Where Identity reads "now". Session timeouts, throttling delays and reset-code expiry all depend on it,
/// and tests replace it with a manual clock so they can step past a 30-minute timeout without sleeping.
/// Named `TimeSource` so it does not clash with the standard library's `Clock`.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// The wall clock: what production uses.
public struct SystemTimeSource: TimeSource {
    public init() {}

    public func now() -> Date { Date() }
}
