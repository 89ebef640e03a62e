import Foundation
import HTTP
import ServiceKit

/// Queues the day-before reminders from inside `serve`, every `interval` seconds, by the server's clock: the
/// first pass after 00:00 JST picks up tomorrow's sessions, and a signup is reminded once however often it
/// runs. Staff can run the same pass at once from the call list (「明日の教室のご案内を作る」).
final class ClassReminderJob: BackgroundWorker, @unchecked Sendable {
    let workflow: ClassWorkflow
    let clock: @Sendable () -> Date
    let interval: TimeInterval
    let logger: Logger
    private let thread: PeriodicThread

    init(workflow: ClassWorkflow, clock: @escaping @Sendable () -> Date, interval: TimeInterval = 600, logger: Logger) {
        self.workflow = workflow
        self.clock = clock
        self.interval = interval
        self.logger = logger
        self.thread = PeriodicThread(name: "madoguchi.class-reminders", interval: interval, passAtStart: true)
    }

    func start() {
        thread.start { [self] in
            do {
                let tally = try workflow.sendReminders(at: clock())
                if tally.line + tally.callList > 0 {
                    logger.info("class reminders", ["line": .int(tally.line), "call_list": .int(tally.callList)])
                }
            } catch {
                logger.warning("class reminders failed; retrying on the next pass", [:])
            }
        }
    }

    func stop() { thread.stop() }
}
