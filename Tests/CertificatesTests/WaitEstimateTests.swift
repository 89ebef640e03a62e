import Formats
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

/// Replays a seeded day at the counter through the ticket workflow and the real database, recording at each
/// arrival the estimate the follow page would show and the wait that followed.
@Suite("The wait estimate on a seeded day")
struct WaitEstimateTests {
    struct Outcome {
        var estimateErrors: [Double] = []
        var naiveErrors: [Double] = []
    }

    /// One category, two desks; arrivals every 0–4 minutes, services of 2–6 minutes (mean 4), 8:45–16:45.
    static func replay(seed: UInt64) throws -> Outcome {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let catalog = try CertificateCatalog.load(
            directory: RepositoryPaths.schemas.appendingPathComponent("certificates"))
        let service = try CertificateService.load(
            file: RepositoryPaths.schemas.appendingPathComponent("certificate_service.json"), types: catalog)
        let twoDesks = CertificateService(
            serviceHours: service.serviceHours,
            counters: [
                .init(number: 1, name: "1番窓口", categories: ["juminhyo-koseki"]),
                .init(number: 4, name: "4番窓口", categories: ["juminhyo-koseki"]),
            ], categories: service.categories)
        let opening = try #require(JapanTime.startOfDay("2026-06-01")).addingTimeInterval(8.75 * 3600)
        let tickets = TicketWorkflow(database: database, service: twoDesks, now: { opening })
        var random = SeededGenerator(seed: seed)
        var arrivals: [Date] = []
        var time = opening
        while time < opening.addingTimeInterval(8 * 3600) {
            time = time.addingTimeInterval(Double(random.below(241)))
            arrivals.append(time)
        }
        var deskFree: [Int: Date] = [1: opening, 4: opening]
        var serving: [Int: (id: Int64, until: Date)] = [:]
        var estimates: [Int64: (estimate: Double, naive: Double, taken: Date)] = [:]
        var outcome = Outcome()
        var nextArrival = 0
        while true {
            // The next event: an arrival, or a desk finishing (and calling the next ticket).
            let deskEvent = deskFree.min { $0.value < $1.value }!
            if nextArrival < arrivals.count && arrivals[nextArrival] <= deskEvent.value {
                let at = arrivals[nextArrival]
                nextArrival += 1
                let ticket = try tickets.issue(category: "juminhyo-koseki", via: "kiosk", at: at)
                let follow = try #require(try tickets.follow(token: ticket.followToken))
                estimates[ticket.id] = (follow.estimateSeconds, 300 * Double(follow.ahead), at)
                continue
            }
            let (desk, at) = deskEvent
            if let current = serving[desk] {
                try tickets.finish(ticketID: current.id, as: .done, at: current.until)
                serving[desk] = nil
            }
            if let called = try tickets.callNext(counter: desk, staffID: nil, at: at) {
                let duration = Double(120 + random.below(241))
                serving[desk] = (called.id, at.addingTimeInterval(duration))
                deskFree[desk] = at.addingTimeInterval(duration)
                let recorded = try #require(estimates[called.id])
                let waited = at.timeIntervalSince(recorded.taken)
                outcome.estimateErrors.append(abs(recorded.estimate - waited))
                outcome.naiveErrors.append(abs(recorded.naive - waited))
            } else if nextArrival < arrivals.count {
                deskFree[desk] = max(at, arrivals[nextArrival])
            } else {
                deskFree[desk] = nil
                if deskFree.isEmpty { break }
            }
        }
        return outcome
    }

    @Test func theMedianEstimateBeatsFiveMinutesPerTicketAhead() throws {
        let outcome = try Self.replay(seed: 20_260_601)
        let mae = outcome.estimateErrors.reduce(0, +) / Double(outcome.estimateErrors.count)
        let naive = outcome.naiveErrors.reduce(0, +) / Double(outcome.naiveErrors.count)
        print(
            "wait estimate on a seeded day: \(outcome.estimateErrors.count) tickets, mean absolute error "
                + "\(Int(mae)) s, naive 5 min × ahead \(Int(naive)) s")
        #expect(outcome.estimateErrors.count > 100)
        #expect(mae < naive)
    }

    @Test func theMedianIgnoresOneLongCase() {
        let services: [Double] = Array(repeating: 180, count: 19) + [3600]
        #expect(WaitEstimator.estimate(ahead: 2, recentServiceSeconds: services, openDesks: 2) == 180)
        #expect(WaitEstimator.estimate(ahead: 3, recentServiceSeconds: [], openDesks: 1) == 900)
    }
}
