import Formats
import Foundation
import HTTP
import ServiceKit
import Store

/// The payments module's background work in `serve`: expiring unpaid checkouts past their lifetime, and the
/// rest of the batch work a pass runs (`runOnce`). Woken by `notify()` (a stored webhook) or every
/// `idleInterval` seconds; `stop()` runs one last pass and returns once it is done.
public final class PaymentsJob: BackgroundWorker, @unchecked Sendable {
    let workflow: PaymentWorkflow
    let clock: @Sendable () -> Date
    let logger: Logger
    let idleInterval: TimeInterval

    private let thread: PeriodicThread

    init(
        workflow: PaymentWorkflow, clock: @escaping @Sendable () -> Date, logger: Logger,
        idleInterval: TimeInterval = 60
    ) {
        self.workflow = workflow
        self.clock = clock
        self.logger = logger
        self.idleInterval = idleInterval
        self.thread = PeriodicThread(
            name: "madoguchi.payments", interval: idleInterval, passAtStart: true, passAtStop: true)
    }

    /// The JST day of the last daily pass; only the job's thread runs passes (tests call `runOnce` without it).
    private var lastDailyPass: String?

    /// One pass of the batch work. Tests call it directly.
    public func runOnce() throws {
        let now = clock()
        try workflow.processWebhookEvents(at: now)
        try workflow.sendPendingRefunds(at: now)
        let reconciled = try workflow.reconcileStale(at: now)
        if reconciled > 0 { logger.info("payments reconciled by status fetch", ["count": .int(reconciled)]) }
        let expired = try workflow.expireOverdue(at: now)
        if expired > 0 { logger.info("payments expired", ["count": .int(expired)]) }
        let today = JapanTime.formatDate(now)
        if lastDailyPass != today {
            try runDaily(at: now)
            lastDailyPass = today
        }
    }

    /// Once per JST day (and at start-up): Idempotency-Key answers older than 24 hours are deleted.
    public func runDaily(at now: Date) throws {
        let purged = try workflow.purgeIdempotencyKeys(at: now)
        if purged > 0 { logger.info("payments idempotency keys purged", ["count": .int(purged)]) }
    }

    public func notify() { thread.wake() }

    public func start() { thread.start { [self] in runLogged() } }

    private func runLogged() {
        do {
            try runOnce()
        } catch {
            logger.error(
                "payments job failed",
                ["error": .string((error as? any LogSafeError)?.logDescription ?? String(describing: type(of: error)))])
        }
    }

    public func stop() { thread.stop() }
}
