import Foundation
import HTTP
import Security
import ServiceKit
import Store

/// Processes stored webhook events after the webhook has answered: follow, unfollow (block), and text
/// messages carrying a link code or the unlink keyword.
///
/// Each event is handled in one transaction together with marking it processed, so an event takes effect
/// exactly once even if the process dies between two events. Tests call `processPendingEvents()` directly;
/// the app runs it on a background thread (`start()`) and the webhook route calls `notifyNewEvents()`.
public final class WebhookEventProcessor: @unchecked Sendable {
    /// Outcomes as stored in `line_webhook_events.outcome`.
    public enum Outcome: String, Sendable {
        case linked, alreadyLinked = "already_linked", linkCodeRejected = "link_code_rejected"
        case linkCodeRateLimited = "link_code_rate_limited"
        case unlinked, notLinked = "not_linked", relinked, followed, ignored, failed
        /// Older than an event of the same LINE user that was already applied (a late redelivery): applying
        /// it would undo the newer one, so it changes nothing.
        case stale

        /// The outcomes of events that set a LINE user's follow or link state; only these make later-arriving
        /// older events stale.
        static let stateChanges: [Outcome] = [.linked, .alreadyLinked, .unlinked, .notLinked, .relinked, .followed]
    }

    private let store: NoticeStore
    private let logger: Logger
    private let clock: @Sendable () -> Date

    /// Processes events whenever notified, and every `idleInterval` seconds to pick up events stored before a
    /// restart; at stop it processes what is stored once more.
    private let thread: PeriodicThread

    public init(
        store: NoticeStore, logger: Logger = .disabled, clock: @escaping @Sendable () -> Date = { Date() },
        idleInterval: TimeInterval = 30
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.thread = PeriodicThread(
            name: "madoguchi.line-webhook", interval: idleInterval, passAtStart: true, passAtStop: true)
    }

    /// Asks the background thread for a pass now. Cheap and safe from any thread; the webhook route calls it
    /// after storing.
    public func notifyNewEvents() { thread.wake() }

    /// Processes every stored, unprocessed event, oldest first, and returns how many it handled.
    @discardableResult
    public func processPendingEvents() throws -> Int {
        var handled = 0
        while true {
            let batch = try store.fetchUnprocessedWebhookEvents(limit: 100)
            if batch.isEmpty {
                try store.markUnreadableWebhookEventsProcessed(now: clock())
                return handled
            }
            for stored in batch {
                let outcome = try process(stored)
                handled += 1
                // Row ids and outcomes only: the event itself carries a LINE user id and maybe a message.
                logger.info(
                    "line webhook event", ["event_row": .int(Int(stored.id)), "outcome": .string(outcome.rawValue)])
            }
        }
    }

    /// Starts the background thread. The processor counts as running from this call on, not from when the
    /// thread gets going, so a `stop()` that follows at once still waits for the stored events.
    public func start() { thread.start { [self] in processLogged() } }

    /// Finishes the stored events (events stored before the stop was asked for are handled now, not left to
    /// the next start) and returns once they are done. Call it before closing the database.
    public func stop() { thread.stop() }

    /// Errors are logged and retried on the next pass.
    private func processLogged() {
        do {
            try processPendingEvents()
        } catch {
            logger.error(
                "line webhook processing failed",
                [
                    "error": .string(
                        (error as? any LogSafeError)?.logDescription ?? String(describing: type(of: error)))
                ])
        }
    }

    private func process(_ stored: NoticeStore.StoredWebhookEvent) throws -> Outcome {
        let now = clock()
        let event = stored.event
        do {
            return try store.database.write { connection in
                let outcome = try Self.apply(event, now: now, on: connection)
                try NoticeStore.markWebhookEventProcessed(
                    id: stored.id, outcome: outcome.rawValue, redactedPayload: event.redactedJSON, now: now,
                    on: connection)
                return outcome
            }
        } catch {
            // One event that cannot be applied must not block the ones behind it.
            try store.database.write { connection in
                try NoticeStore.markWebhookEventProcessed(
                    id: stored.id, outcome: Outcome.failed.rawValue, redactedPayload: event.redactedJSON, now: now,
                    on: connection)
            }
            return .failed
        }
    }

    /// Follow, unfollow, and texts carrying the unlink keyword or a link code: the events whose order matters.
    static func changesState(_ event: WebhookEvent) -> Bool {
        switch event.type {
        case "follow", "unfollow": return true
        case "message":
            guard event.messageType == "text", let text = event.messageText else { return false }
            return AccountLinking.isUnlinkRequest(text) || AccountLinking.code(inMessage: text) != nil
        default: return false
        }
    }

    static func apply(_ event: WebhookEvent, now: Date, on connection: Connection) throws -> Outcome {
        // In standby another module owns the channel's replies and state changes.
        guard event.mode != "standby", let userID = event.userID else { return .ignored }
        if changesState(event), let timestamp = event.timestamp,
            let newest = try NoticeStore.newestAppliedEventTimestamp(
                lineUserID: userID, outcomes: Outcome.stateChanges.map(\.rawValue), on: connection),
            timestamp < newest
        {
            return .stale
        }
        switch event.type {
        case "follow":
            guard let restored = try NoticeStore.reactivateLinkAfterFollow(lineUserID: userID, now: now, on: connection)
            else { return .followed }
            try AccountLinking.audit(
                restored, action: "line_link.restore", actor: AccountLinking.webhookActor, now: now, on: connection)
            return .relinked
        case "unfollow":
            guard
                let ended = try NoticeStore.deactivateLink(
                    lineUserID: userID, reason: .unfollow, now: now, on: connection)
            else { return .notLinked }
            try AccountLinking.audit(
                ended, action: "line_link.end", actor: AccountLinking.webhookActor, now: now, on: connection)
            return .unlinked
        case "message":
            guard event.messageType == "text", let text = event.messageText else { return .ignored }
            if AccountLinking.isUnlinkRequest(text) {
                guard
                    let ended = try NoticeStore.deactivateLink(
                        lineUserID: userID, reason: .lineUser, now: now, on: connection)
                else { return .notLinked }
                try AccountLinking.audit(
                    ended, action: "line_link.end", actor: .resident(id: ended.residentID), now: now, on: connection)
                return .unlinked
            }
            guard let code = AccountLinking.code(inMessage: text) else { return .ignored }
            let rejected = try NoticeStore.countRejectedCodes(
                lineUserID: userID, since: now.addingTimeInterval(-3600), on: connection)
            guard rejected < AccountLinking.maximumRejectedCodesPerHour else { return .linkCodeRateLimited }
            switch try NoticeStore.redeemLinkCode(
                codeSHA256: AccountLinking.hash(code), lineUserID: userID, now: now, on: connection)
            {
            case .linked(let linkID, let residentID):
                // The resident proved they hold the code shown to them: they are the actor.
                try AccountLinking.audit(
                    NoticeStore.ChangedLink(linkID: linkID, residentID: residentID), action: "line_link.create",
                    actor: .resident(id: residentID), now: now, on: connection)
                return .linked
            case .alreadyLinked: return .alreadyLinked
            case .invalidCode: return .linkCodeRejected
            }
        default:
            return .ignored
        }
    }
}
