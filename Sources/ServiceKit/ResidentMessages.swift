import Foundation
import Store

/// A message for a resident — or, for a guest's record, for whoever holds that record's reference — written by
/// any module and delivered later by the notices module (LINE, the printed fallback list, or web lookup).
/// Until it is delivered, マイページ shows it.
public struct ResidentMessage: Sendable, Equatable {
    public let id: Int64
    public let residentID: Int64?
    /// The module that wrote it (`ServiceModule.name`) and the id of the record it is about in that module.
    public let source: String
    public let recordID: Int64?
    public let subject: String
    public let body: String
    public let createdAt: Date
    public let deliveredAt: Date?
    public let deliveryChannel: DeliveryChannel?
}

/// Where a message went.
public enum DeliveryChannel: String, Sendable, CaseIterable {
    case line
    case email
    case post
    /// Shown on the record's own web page (a guest's lookup page): nothing was sent.
    case mypage
}

/// Every SQL statement on `resident_messages`: modules write through `send`, the notices module delivers
/// through `fetchUndelivered` and `markDelivered`, and `deleteMessages` goes with a module's purge.
public enum ResidentMessages {
    /// Queues a message inside the caller's write transaction, so the change it reports and the message commit
    /// together. `residentID` nil means a guest: the message is found through (`source`, `recordID`).
    @discardableResult
    public static func send(
        subject: String, body: String, to residentID: Int64?, source: String, recordID: Int64?, at time: Date,
        on connection: Connection
    ) throws -> Int64 {
        precondition(residentID != nil || recordID != nil, "a message needs a resident or a record to be found by")
        try connection.run(
            """
            INSERT INTO resident_messages (resident_id, source, record_id, subject, body, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, residentID, source, recordID, subject, body, time)
        return connection.lastInsertRowID
    }

    /// The resident's newest messages, every module's, for マイページ.
    public static func fetchMessages(residentID: Int64, limit: Int = 20, on connection: Connection) throws
        -> [ResidentMessage]
    {
        try connection.query(
            "SELECT * FROM resident_messages WHERE resident_id = ? ORDER BY id DESC LIMIT ?", residentID, limit
        ).map(decode)
    }

    /// A message as マイページ lists it. `createdAt` is the stored UTC text, for `JapanTime.format(storedUTC:)`.
    public struct MessageLine: Sendable, Equatable {
        public let subject: String
        public let body: String
        public let createdAt: String
    }

    /// The resident's latest messages for マイページ, newest first: three columns by position, no `Date` parsed.
    public static func fetchMessageLines(residentID: Int64, limit: Int, on connection: Connection) throws
        -> [MessageLine]
    {
        try connection.query(
            "SELECT subject, body, created_at FROM resident_messages WHERE resident_id = ? ORDER BY id DESC LIMIT ?",
            residentID, limit
        ).map { row in MessageLine(subject: try row.get(0), body: try row.get(1), createdAt: try row.get(2)) }
    }

    /// The messages about one record of one module, newest first (a guest's lookup page).
    public static func fetchMessages(source: String, recordID: Int64, on connection: Connection) throws
        -> [ResidentMessage]
    {
        try connection.query(
            "SELECT * FROM resident_messages WHERE source = ? AND record_id = ? ORDER BY id DESC", source, recordID
        ).map(decode)
    }

    /// Messages not delivered yet, oldest first.
    public static func fetchUndelivered(limit: Int, on connection: Connection) throws -> [ResidentMessage] {
        try connection.query(
            "SELECT * FROM resident_messages WHERE delivered_at IS NULL ORDER BY id LIMIT ?", limit
        ).map(decode)
    }

    /// Marks one message delivered; false when it already was (a second run racing the first).
    public static func markDelivered(id: Int64, channel: DeliveryChannel, at time: Date, on connection: Connection)
        throws -> Bool
    {
        try connection.run(
            "UPDATE resident_messages SET delivered_at = ?, delivery_channel = ? WHERE id = ? AND delivered_at IS NULL",
            time, channel.rawValue, id) == 1
    }

    /// Deletes the messages about one record, when its module purges the record's personal data.
    public static func deleteMessages(source: String, recordID: Int64, on connection: Connection) throws {
        try connection.run("DELETE FROM resident_messages WHERE source = ? AND record_id = ?", source, recordID)
    }

    private static func decode(_ row: Row) throws -> ResidentMessage {
        ResidentMessage(
            id: try row.get("id"), residentID: try row.get("resident_id"), source: try row.get("source"),
            recordID: try row.get("record_id"), subject: try row.get("subject"), body: try row.get("body"),
            createdAt: try row.get("created_at"), deliveredAt: try row.get("delivered_at"),
            deliveryChannel: (try row.get("delivery_channel", as: String?.self)).flatMap(DeliveryChannel.init))
    }
}
