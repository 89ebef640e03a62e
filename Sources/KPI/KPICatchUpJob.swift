import Foundation
import HTTP
import ServiceKit
import Store

/// Catches the KPI counters up inside `serve` every `interval` seconds, so that a report (which catches up
/// first too) rarely finds more than a minute of events to count. Each step is a deferred write
/// (`Database.write(_:completion:)`) queued from this job's own thread, which waits for its answer: the
/// writer runs it between other writes, in a group-commit batch like theirs, and no HTTP polling thread ever
/// waits for it.
public final class KPICatchUpJob: BackgroundWorker, @unchecked Sendable {
    public static let defaultInterval: TimeInterval = 60

    let database: Database
    let counters: KPICounters
    let interval: TimeInterval
    let batchSize: Int
    let logger: Logger
    private let thread: PeriodicThread

    init(
        database: Database, counters: KPICounters, interval: TimeInterval, batchSize: Int = KPICounters.batchSize,
        logger: Logger
    ) {
        self.database = database
        self.counters = counters
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
        // The module caught up before the server listened: the first pass can wait one interval.
        self.thread = PeriodicThread(name: "madoguchi.kpi-catch-up", interval: interval, passAtStart: false)
    }

    public func start() {
        thread.start { [self] in
            do {
                if try runOnce().rebuilt { logger.info("kpi counters rebuilt", [:]) }
            } catch {
                logger.warning("kpi catch-up failed; retrying on the next pass", [:])
            }
        }
    }

    public func stop() { thread.stop() }

    /// One catch-up, step by step until a step counts fewer than `batchSize` events. Tests call it directly.
    @discardableResult
    public func runOnce() throws -> KPICounters.CatchUp {
        var result = KPICounters.CatchUp()
        while true {
            let done = DispatchSemaphore(value: 0)
            let answer = Answer()
            database.write(
                { [counters, batchSize] in try counters.catchUpStep(limit: batchSize, on: $0) },
                completion: { result in
                    answer.result = result
                    done.signal()
                })
            done.wait()
            let step = try answer.result!.get()
            result.add(step)
            if step.events < batchSize { return result }
        }
    }

    /// Hands a step's result from the writer thread to this job's; the semaphore orders the two accesses.
    private final class Answer: @unchecked Sendable {
        var result: Result<(installation: KPICounters.Installation, events: Int), Error>?
    }
}
