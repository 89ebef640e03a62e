import Foundation
import Notices
import Testing

@Suite("Token bucket")
struct TokenBucketTests {
    @Test func allowsTheRate_withASmallBurst() {
        var bucket = TokenBucket(ratePerSecond: 100, burstSeconds: 0.1, now: 0)
        var taken = 0
        for step in 0...1_000 where bucket.tryTake(now: Double(step) / 1_000) { taken += 1 }
        #expect((100...111).contains(taken), "one second at 100/s plus at most the 10-request burst")
    }

    @Test func sayHowLongUntilTheNextToken() {
        var bucket = TokenBucket(ratePerSecond: 10, now: 0)
        let first = bucket.tryTake(now: 0)
        let second = bucket.tryTake(now: 0)
        #expect(first && !second)
        #expect(abs(bucket.secondsUntilAvailable(now: 0) - 0.1) < 1e-9)
        let later = bucket.tryTake(now: 0.1)
        #expect(later)
    }

    @Test func a429_pausesAndHalves_onceForRequestsAlreadyUnderWay_thenRecovers() {
        var bucket = TokenBucket(ratePerSecond: 1_000, now: 0)
        let slowed = bucket.slowDown(now: 1, pause: 0.5)
        #expect(slowed && bucket.ratePerSecond == 500)
        let again = bucket.slowDown(now: 1.2, pause: 0.5)
        #expect(!again && bucket.ratePerSecond == 500, "a 429 for a request sent before the pause changes nothing")
        let duringPause = bucket.tryTake(now: 1.49)
        let afterPause = bucket.tryTake(now: 1.51)
        #expect(!duringPause && afterPause)
        let slowedAgain = bucket.slowDown(now: 1.6, pause: 0.5)
        #expect(slowedAgain && bucket.ratePerSecond == 250)
        // Two quiet seconds after the last slow-down (3.6) it climbs back by 5% of the ceiling per second,
        // never above it.
        _ = bucket.tryTake(now: 4)
        #expect(abs(bucket.ratePerSecond - 270) < 1e-6)
        _ = bucket.tryTake(now: 5)
        #expect(abs(bucket.ratePerSecond - 320) < 1e-6)
        _ = bucket.tryTake(now: 100)
        #expect(bucket.ratePerSecond == 1_000)
    }
}
