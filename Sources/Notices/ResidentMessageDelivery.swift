import Foundation
import ServiceKit
import Store

/// Delivers `resident_messages` (written by other modules, e.g. an application's status change) through the
/// notices outbox. Runs at the start of every `notices send`, so the existing timer delivers them.
///
/// Per message, in one write transaction together with marking it delivered, so a message is never delivered
/// twice and never lost (a crash before the commit leaves it undelivered for the next run):
/// - a resident with an active LINE link gets a notice of their own: one personalised push, frozen with its
///   retry key like any other notice (`delivery_channel = 'line'`);
/// - a resident without one is put on the printable fallback list with the text (`'post'`);
/// - a guest's message (an application made without an account) is marked `'mypage'`: delivered by web
///   lookup. Guests have no resident record, and the fallback list is keyed by resident; the contact fields
///   a guest typed live inside the procedure's answers, which differ per procedure and are purged after
///   retention. The guest sees the message when they look the application up with its reference and
///   secret, and the clerk handling the application sees their answers (phone, address) there anyway.
///
/// A message whose text cannot go to LINE as it is (too long) is shortened with a pointer to マイページ,
/// where the full text stays visible.
public struct ResidentMessageDelivery: Sendable {
    /// Recorded as the notices' creator and never a person's name.
    public static let creator = "job:resident-messages"
    /// Rows taken per transaction: keeps each write short while the server shares the database.
    public static let batchSize = 200

    static let subjectPlaceholder = "件名"
    static let bodyPlaceholder = "本文"
    /// Each message is one personalised text: the subject and body are per-resident values, so they are
    /// inserted verbatim and braces in them are never read as placeholders.
    static let messageTemplate = "{件名}\n\n{本文}"
    static let shortenedSuffix = "\n…（続きはマイページでご覧ください）"

    public struct Tally: Sendable, Equatable {
        public var line = 0
        public var fallback = 0
        public var webLookup = 0

        public var total: Int { line + fallback + webLookup }

        public init(line: Int = 0, fallback: Int = 0, webLookup: Int = 0) {
            self.line = line
            self.fallback = fallback
            self.webLookup = webLookup
        }
    }

    public let store: NoticeStore

    public init(store: NoticeStore) {
        self.store = store
    }

    /// Delivers every undelivered message, in batches. Returns what went where.
    @discardableResult
    public func deliverPending(now: Date) throws -> Tally {
        var tally = Tally()
        while true {
            let batch = try deliverBatch(now: now)
            tally.line += batch.line
            tally.fallback += batch.fallback
            tally.webLookup += batch.webLookup
            if batch.total < Self.batchSize { return tally }
        }
    }

    private func deliverBatch(now: Date) throws -> Tally {
        try store.database.write { connection in
            var tally = Tally()
            for message in try ResidentMessages.fetchUndelivered(limit: Self.batchSize, on: connection) {
                let channel: DeliveryChannel
                if let residentID = message.residentID {
                    let created = try Self.insertNotice(
                        messageID: message.id, residentID: residentID, subject: message.subject, body: message.body,
                        now: now, on: connection)
                    channel = created.lineRecipientCount > 0 ? .line : .post
                } else {
                    channel = .mypage
                }
                // Guarded by `delivered_at IS NULL`: the writer is serial, so this cannot miss, but if it ever
                // did the throw rolls back the notice frozen above with it.
                guard try ResidentMessages.markDelivered(id: message.id, channel: channel, at: now, on: connection)
                else { throw DeliveryConflict(messageID: message.id) }
                switch channel {
                case .line: tally.line += 1
                case .post: tally.fallback += 1
                case .mypage, .email: tally.webLookup += 1
                }
            }
            return tally
        }
    }

    /// A message changed under the delivery's transaction; the whole batch rolls back and the next run retries.
    struct DeliveryConflict: Error, CustomStringConvertible {
        let messageID: Int64
        var description: String { "resident message \(messageID) was delivered by someone else" }
    }

    static func insertNotice(
        messageID: Int64, residentID: Int64, subject: String, body: String, now: Date, on connection: Connection
    ) throws -> CreatedNotice {
        let title = String(subject.prefix(200))
        let draft = NoticeDraft(
            title: title.isEmpty ? "お知らせ" : title, messages: [messageTemplate],
            residentValues: [residentID: [subjectPlaceholder: subject, bodyPlaceholder: body]],
            audience: .resident(residentID), createdBy: creator)
        var created: CreatedNotice
        do {
            created = try NoticeStore.insertNotice(draft, now: now, on: connection)
        } catch NoticeValidationError.textTooLong {
            var shortened = draft
            shortened.residentValues = [
                residentID: [subjectPlaceholder: subject, bodyPlaceholder: shorten(body, subject: subject)]
            ]
            created = try NoticeStore.insertNotice(shortened, now: now, on: connection)
        }
        try connection.run("UPDATE notices SET resident_message_id = ? WHERE id = ?", messageID, created.id)
        return created
    }

    /// The body cut so subject, body and the suffix fit one LINE text message.
    static func shorten(_ body: String, subject: String) -> String {
        let budget =
            LINELimits.maximumTextUTF16Units - subject.utf16.count - 2 - shortenedSuffix.utf16.count
        var kept = ""
        var units = 0
        for character in body {
            units += character.utf16.count
            if units > max(0, budget) { break }
            kept.append(character)
        }
        return kept + shortenedSuffix
    }
}
