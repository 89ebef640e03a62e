import Cryptography
import Formats
import Foundation
import Store

/// Who did something.
public enum AuditActor: Sendable, Equatable {
    case staff(id: Int64)
    case resident(id: Int64)
    /// Batch jobs and API-token callers, by token or job name.
    case job(name: String)
    /// Not logged in, e.g. a failed login or a guest application lookup.
    case guest
    case system

    /// The `actor_type` and `actor_id` columns.
    var columns: (type: String, id: String?) {
        switch self {
        case .staff(let id): ("staff", String(id))
        case .resident(let id): ("resident", String(id))
        case .job(let name): ("job", name)
        case .guest: ("guest", nil)
        case .system: ("system", nil)
        }
    }
}

public struct AuditEvent: Sendable {
    public var actor: AuditActor
    /// Dotted verb, e.g. "resident.read", "staff.create", "login.failure".
    public var action: String
    /// e.g. "resident", "staff", "api_token".
    public var subjectType: String?
    /// The record's id — never a name or other personal data.
    public var subjectID: String?
    public var clientAddress: String?
    public var requestID: String?

    public init(
        actor: AuditActor, action: String, subjectType: String? = nil, subjectID: String? = nil,
        clientAddress: String? = nil, requestID: String? = nil
    ) {
        self.actor = actor
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.clientAddress = clientAddress
        self.requestID = requestID
    }
}

/// One stored audit row.
public struct AuditRecord: Sendable, Equatable {
    public let id: Int64
    public let occurredAt: Date
    /// "staff" | "resident" | "job" | "guest" | "system"
    public let actorType: String
    public let actorID: String?
    public let action: String
    public let subjectType: String?
    public let subjectID: String?
    public let clientAddress: String?
    public let requestID: String?
    public let previousHash: String
    public let hash: String
}

/// What the audit viewer asks for. Every criterion is optional; `from` is inclusive and `to` exclusive.
public struct AuditFilter: Sendable {
    public var from: Date?
    public var to: Date?
    public var actorType: String?
    public var actorID: String?
    public var action: String?
    public var subjectType: String?
    public var subjectID: String?
    public var limit: Int = 100
    public var offset: Int = 0

    public init(
        from: Date? = nil, to: Date? = nil, actorType: String? = nil, actorID: String? = nil,
        action: String? = nil, subjectType: String? = nil, subjectID: String? = nil,
        limit: Int = 100, offset: Int = 0
    ) {
        self.from = from
        self.to = to
        self.actorType = actorType
        self.actorID = actorID
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.limit = limit
        self.offset = offset
    }
}

public enum AuditVerification: Sendable, Equatable {
    case intact(rows: Int)
    case broken(rowID: Int64, reason: String)
}

/// The append-only, hash-chained audit log in the `audit_log` table.
///
/// Each row stores `hash = sha256_hex(previous_hash ‖ canonicalRow)`, where `previous_hash` is the hash of
/// the row before it (64 zeros for the first row) and `canonicalRow` is described at `canonicalRow(...)`.
/// Editing a row breaks its own hash; deleting or inserting a row breaks the link of the row after it.
/// Triggers refuse UPDATE and DELETE, so only someone with the file itself can try either.
public enum AuditLog {
    /// The `previous_hash` of the first row.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Rows read per query by `verify` and `exportCSV`, so memory stays flat however long the log grows.
    static let pageSize = 1_000

    // MARK: Writing

    /// Appends inside the caller's write closure, so the audit row commits or rolls back with the change it records.
    ///
    /// The chain stays linear because every write runs on the one serial writer connection: nothing else can
    /// append between reading the last hash and inserting the new row.
    public static func append(_ event: AuditEvent, at time: Date, on connection: Connection) throws {
        let last = try connection.queryFirst("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        // The id is chosen here rather than left to SQLite because it is part of what the hash covers.
        let id = try (last?.get("id", as: Int64.self) ?? 0) + 1
        let previousHash = try last?.get("hash", as: String.self) ?? genesisHash
        // Hash exactly the text that is stored: a Date round trip could move a millisecond.
        let occurredAt = UTCTimestamp.format(time)
        let actor = event.actor.columns
        let canonical = canonicalRow(
            id: id, occurredAt: occurredAt, actorType: actor.type, actorID: actor.id, action: event.action,
            subjectType: event.subjectType, subjectID: event.subjectID, clientAddress: event.clientAddress,
            requestID: event.requestID, previousHash: previousHash)
        try connection.run(
            """
            INSERT INTO audit_log (id, occurred_at, actor_type, actor_id, action, subject_type, subject_id,
                                   client_address, request_id, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            id, occurredAt, actor.type, actor.id, event.action, event.subjectType, event.subjectID,
            event.clientAddress, event.requestID, previousHash,
            chainHash(previousHash: previousHash, canonicalRow: canonical))
    }

    // MARK: The chain format

    /// The canonical serialization of one row: every column except `hash`, in a fixed order, so anyone can
    /// recompute the chain from the table alone (for example in the sqlite3 shell and a script).
    ///
    /// Format, version 1 — the fields joined by U+001F (unit separator):
    ///
    ///     madoguchi-audit-v1 ␟ id ␟ occurred_at ␟ actor_type ␟ actor_id ␟ action ␟ subject_type ␟
    ///     subject_id ␟ client_address ␟ request_id ␟ previous_hash
    ///
    /// - `id` is written in decimal.
    /// - Every other field is written as its UTF-8 byte count in decimal, a colon and the text exactly as
    ///   stored (`occurred_at` is the stored UTC text, e.g. `2026-04-01T00:00:00.000Z`), or as `-` when NULL.
    ///
    /// The length prefix is what makes the format unambiguous: a separator or a `-` inside a value cannot
    /// shift a field boundary, and NULL (`-`) never looks like an empty text (`0:`), since every text field
    /// starts with a digit.
    public static func canonicalRow(
        id: Int64, occurredAt: String, actorType: String, actorID: String?, action: String,
        subjectType: String?, subjectID: String?, clientAddress: String?, requestID: String?,
        previousHash: String
    ) -> String {
        // Appended into one string: the array of interpolated fields and `joined` it replaced were a fifth of
        // every audited write's cost (callgrind, issue #10). The text is the same, byte for byte: it is hashed.
        var row = "madoguchi-audit-v1"
        row.reserveCapacity(256)
        func append(_ value: String?) {
            row.append("\u{1F}")
            guard let value else {
                row.append("-")
                return
            }
            row.append(String(value.utf8.count))
            row.append(":")
            row.append(value)
        }
        row.append("\u{1F}")
        row.append(String(id))
        for value in [occurredAt, actorType, actorID, action, subjectType, subjectID, clientAddress, requestID] {
            append(value)
        }
        append(previousHash)
        return row
    }

    /// `sha256_hex(previous_hash ‖ canonical_row)` over their UTF-8 bytes, as lowercase hex.
    public static func chainHash(previousHash: String, canonicalRow: String) -> String {
        Digest.sha256Hex(previousHash + canonicalRow)
    }

    // MARK: Verifying

    /// Walks the whole chain in id order and reports the first row that does not fit.
    ///
    /// A hash mismatch means the row was edited after it was written; a link mismatch (its `previous_hash`
    /// is not the hash of the row before it) means a row was deleted or inserted before it.
    ///
    /// Removing rows from the end of the log leaves a shorter chain that is still intact, so that cannot
    /// be seen from the chain alone. Operators should record the head hash elsewhere (`madoguchi audit
    /// verify` prints it) and compare it with a later run.
    public static func verify(_ database: Database) throws -> AuditVerification {
        try verifyChain(database).verification
    }

    /// The same walk as `verify`, also returning the hash of the last row that checked out (the genesis hash
    /// for an empty log), so the head an operator records is one that was actually verified.
    public static func verifyChain(_ database: Database) throws -> (verification: AuditVerification, headHash: String) {
        var expectedPreviousHash = genesisHash
        var previousID: Int64?
        var rows = 0
        // Each page is its own read transaction, so a long walk never holds back WAL checkpoints. Rows
        // appended meanwhile simply extend the chain being walked.
        while true {
            let page = try database.read { connection in
                if let previousID {
                    return try connection.query(
                        "SELECT \(columns) FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", previousID, pageSize)
                }
                return try connection.query("SELECT \(columns) FROM audit_log ORDER BY id LIMIT ?", pageSize)
            }
            for row in page {
                // id is an INTEGER PRIMARY KEY, i.e. the rowid, which SQLite only ever holds as an integer.
                let id = (try? row.get("id", as: Int64.self)) ?? 0
                guard let stored = try? record(from: row), let storedOccurredAt = String(sqlValue: row["occurred_at"])
                else {
                    return (
                        .broken(rowID: id, reason: "a column holds a value the log never writes: the row was changed"),
                        expectedPreviousHash
                    )
                }
                let canonical = canonicalRow(
                    id: stored.id, occurredAt: storedOccurredAt, actorType: stored.actorType,
                    actorID: stored.actorID, action: stored.action, subjectType: stored.subjectType,
                    subjectID: stored.subjectID, clientAddress: stored.clientAddress, requestID: stored.requestID,
                    previousHash: stored.previousHash)
                guard chainHash(previousHash: stored.previousHash, canonicalRow: canonical) == stored.hash else {
                    return (
                        .broken(rowID: id, reason: "hash mismatch: the row was changed after it was written"),
                        expectedPreviousHash
                    )
                }
                guard stored.previousHash == expectedPreviousHash else {
                    let reason =
                        if let previousID {
                            "link mismatch: previous_hash is not the hash of row \(previousID); a row was deleted or inserted before this one"
                        } else {
                            "link mismatch: the first row does not start from the genesis hash; rows were deleted before this one"
                        }
                    return (.broken(rowID: id, reason: reason), expectedPreviousHash)
                }
                expectedPreviousHash = stored.hash
                previousID = id
                rows += 1
            }
            if page.count < pageSize { break }
        }
        return (.intact(rows: rows), expectedPreviousHash)
    }

    // MARK: Reading

    /// The rows matching `filter`, newest first. "Newest" is append order (id), which is the chain's order
    /// even if the clock ever stepped back.
    public static func fetch(_ filter: AuditFilter, on connection: Connection) throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: [any SQLBindable] = []
        func add(_ condition: String, _ value: (any SQLBindable)?) {
            guard let value else { return }
            conditions.append(condition)
            arguments.append(value)
        }
        // Stored times are fixed-width UTC text, so text comparison is time comparison.
        add("occurred_at >= ?", filter.from.map(UTCTimestamp.format))
        add("occurred_at < ?", filter.to.map(UTCTimestamp.format))
        add("actor_type = ?", filter.actorType)
        add("actor_id = ?", filter.actorID)
        add("action = ?", filter.action)
        add("subject_type = ?", filter.subjectType)
        add("subject_id = ?", filter.subjectID)
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        // A negative LIMIT means "no limit" to SQLite; a viewer asking for -1 rows gets none instead.
        arguments.append(max(0, filter.limit))
        arguments.append(max(0, filter.offset))
        return try connection.query(
            "SELECT \(columns) FROM audit_log\(whereClause) ORDER BY id DESC LIMIT ? OFFSET ?", arguments: arguments
        ).map(record(from:))
    }

    // MARK: Exporting

    /// The rows with `from <= occurred_at < to`, in time order, as CSV for Excel from Formats' `CSVWriter`:
    /// UTF-8 with a byte order mark, CRLF lines, RFC 4180 quoting, the formula guard, and times in Asia/Tokyo.
    public static func exportCSV(from: Date, to: Date, database: Database) throws -> Data {
        var csv = CSVWriter(encoding: .utf8BOM)
        csv.append([
            "id", "occurred_at", "actor_type", "actor_id", "action", "subject_type", "subject_id", "client_address",
            "request_id", "hash",
        ])
        let lower = UTCTimestamp.format(from)
        let upper = UTCTimestamp.format(to)
        // Keyset paging on (occurred_at, id) walks the occurred_at index (which ends in the rowid) with no
        // sort, and no page re-reads the rows before it.
        var cursor: (occurredAt: String, id: Int64)?
        while true {
            let page = try database.read { connection in
                if let cursor {
                    return try connection.query(
                        """
                        SELECT \(columns) FROM audit_log WHERE (occurred_at, id) > (?, ?) AND occurred_at < ?
                        ORDER BY occurred_at, id LIMIT ?
                        """, cursor.occurredAt, cursor.id, upper, pageSize)
                }
                return try connection.query(
                    """
                    SELECT \(columns) FROM audit_log WHERE occurred_at >= ? AND occurred_at < ?
                    ORDER BY occurred_at, id LIMIT ?
                    """, lower, upper, pageSize)
            }
            for row in page {
                let stored = try record(from: row)
                csv.append([
                    String(stored.id), JapanTime.timestamp(stored.occurredAt), stored.actorType,
                    stored.actorID ?? "", stored.action, stored.subjectType ?? "", stored.subjectID ?? "",
                    stored.clientAddress ?? "", stored.requestID ?? "", stored.hash,
                ])
                cursor = (try row.get("occurred_at", as: String.self), stored.id)
            }
            if page.count < pageSize { break }
        }
        return csv.data
    }

    // MARK: Rows

    private static let columns = """
        id, occurred_at, actor_type, actor_id, action, subject_type, subject_id, client_address, request_id, \
        previous_hash, hash
        """

    private static func record(from row: Row) throws -> AuditRecord {
        AuditRecord(
            id: try row.get("id"), occurredAt: try row.get("occurred_at"), actorType: try row.get("actor_type"),
            actorID: try row.get("actor_id"), action: try row.get("action"), subjectType: try row.get("subject_type"),
            subjectID: try row.get("subject_id"), clientAddress: try row.get("client_address"),
            requestID: try row.get("request_id"), previousHash: try row.get("previous_hash"),
            hash: try row.get("hash"))
    }
}
