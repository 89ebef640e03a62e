import Foundation
import Store

/// Every SQL statement on `counter_tickets`.
public enum TicketStore {
    /// The next number of the category on the JST day, and the ticket, in the caller's write: the writer is
    /// single, so two kiosks never print one number.
    public static func insertTicket(
        category: String, serviceDate: String, followToken: String, via: String, at time: Date,
        on connection: Connection
    ) throws -> Int64 {
        let next =
            (try connection.scalar(
                "SELECT coalesce(max(number), 0) FROM counter_tickets WHERE service_date = ? AND issued_category_code = ?",
                serviceDate, category, as: Int.self) ?? 0) + 1
        try connection.run(
            """
            INSERT INTO counter_tickets
                (category_code, issued_category_code, service_date, number, follow_token, issued_via, status, taken_at)
            VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?)
            """, category, category, serviceDate, next, followToken, via, time)
        return connection.lastInsertRowID
    }

    public static func fetchTicket(id: Int64, on connection: Connection) throws -> CounterTicket? {
        try connection.queryFirst("SELECT * FROM counter_tickets WHERE id = ?", id).map(decode)
    }

    public static func fetchTicket(followToken: String, on connection: Connection) throws -> CounterTicket? {
        try connection.queryFirst("SELECT * FROM counter_tickets WHERE follow_token = ?", followToken).map(decode)
    }

    /// The day's tickets still waiting in `category`, in calling order.
    public static func fetchWaiting(category: String, serviceDate: String, on connection: Connection) throws
        -> [CounterTicket]
    {
        try connection.query(
            """
            SELECT * FROM counter_tickets WHERE service_date = ? AND category_code = ? AND status = 'waiting'
            ORDER BY taken_at, id
            """, serviceDate, category
        ).map(decode)
    }

    /// The ticket each counter called last today (呼出中 on the board).
    public static func fetchCalled(serviceDate: String, on connection: Connection) throws -> [CounterTicket] {
        try connection.query(
            """
            SELECT * FROM counter_tickets WHERE service_date = ? AND status = 'called' ORDER BY called_at DESC, id DESC
            """, serviceDate
        ).map(decode)
    }

    /// The first waiting ticket of `categories`, oldest first.
    public static func fetchNextWaiting(categories: [String], serviceDate: String, on connection: Connection) throws
        -> CounterTicket?
    {
        guard !categories.isEmpty else { return nil }
        return try connection.queryFirst(
            """
            SELECT * FROM counter_tickets
            WHERE service_date = ? AND status = 'waiting' AND category_code IN (SELECT value FROM json_each(?))
            ORDER BY taken_at, id LIMIT 1
            """, serviceDate, "[" + categories.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        ).map(decode)
    }

    public static func markCalled(id: Int64, counter: Int, staffID: Int64?, at time: Date, on connection: Connection)
        throws -> Bool
    {
        try connection.run(
            """
            UPDATE counter_tickets SET status = 'called', called_at = ?, counter_number = ?, called_by_staff_id = ?
            WHERE id = ? AND status = 'waiting'
            """, time, counter, staffID, id) == 1
    }

    public static func markFinished(id: Int64, status: TicketStatus, at time: Date, on connection: Connection) throws
        -> Bool
    {
        try connection.run(
            "UPDATE counter_tickets SET status = ?, finished_at = ? WHERE id = ? AND status = 'called'",
            status.rawValue, time, id) == 1
    }

    public static func move(id: Int64, to category: String, on connection: Connection) throws -> Bool {
        try connection.run(
            "UPDATE counter_tickets SET category_code = ? WHERE id = ? AND status = 'waiting'", category, id) == 1
    }

    public static func linkResident(id: Int64, residentID: Int64, on connection: Connection) throws {
        try connection.run("UPDATE counter_tickets SET resident_id = ? WHERE id = ?", residentID, id)
    }

    public static func markNearNoticeSent(id: Int64, on connection: Connection) throws -> Bool {
        try connection.run(
            "UPDATE counter_tickets SET near_notice_sent = 1 WHERE id = ? AND near_notice_sent = 0", id) == 1
    }

    /// Seconds from call to finish of the category's last `limit` finished services (any day), oldest first.
    public static func fetchRecentServiceSeconds(category: String, limit: Int, on connection: Connection) throws
        -> [Double]
    {
        try connection.query(
            """
            SELECT (julianday(finished_at) - julianday(called_at)) * 86400.0 AS seconds FROM counter_tickets
            WHERE category_code = ? AND status = 'done' AND called_at IS NOT NULL AND finished_at IS NOT NULL
            ORDER BY finished_at DESC, id DESC LIMIT ?
            """, category, limit
        ).map { try $0.get("seconds", as: Double.self) }.reversed()
    }

    /// Every ticket of the day, for the staff page and the report.
    public static func fetchDay(serviceDate: String, on connection: Connection) throws -> [CounterTicket] {
        try connection.query("SELECT * FROM counter_tickets WHERE service_date = ? ORDER BY id", serviceDate).map(
            decode)
    }

    static func decode(_ row: Row) throws -> CounterTicket {
        CounterTicket(
            id: try row.get("id"), categoryCode: try row.get("category_code"),
            issuedCategoryCode: try row.get("issued_category_code"), serviceDate: try row.get("service_date"),
            number: try row.get("number"), followToken: try row.get("follow_token"),
            status: TicketStatus(rawValue: try row.get("status")) ?? .waiting, takenAt: try row.get("taken_at"),
            calledAt: try row.get("called_at"), finishedAt: try row.get("finished_at"),
            counterNumber: try row.get("counter_number"), residentID: try row.get("resident_id"))
    }
}
