import Foundation
import Store

/// Every SQL statement of the certificates module.
public enum CertificateStore {
    public enum InsertOutcome: Sendable, Equatable {
        case inserted(id: Int64)
        /// The token already made a request: the caller answers with that one and charges nothing again.
        case existing(id: Int64, residentID: Int64)
    }

    public static func insertRequest(
        _ request: NewCertificateRequest, residentID: Int64, department: String, channel: RequestChannel,
        submissionToken: String, expectedReadyAt: Date, enteredByStaffID: Int64? = nil, at time: Date,
        on connection: Connection
    ) throws -> InsertOutcome {
        if let row = try connection.queryFirst(
            "SELECT id, resident_id FROM certificate_requests WHERE submission_token = ?", submissionToken)
        {
            return .existing(id: try row.get("id"), residentID: try row.get("resident_id"))
        }
        let options = String(decoding: try JSONEncoder.sorted.encode(request.options), as: UTF8.self)
        let status: CertificateStatus = request.payment == .online ? .submitted : .payAtCounter
        try connection.run(
            """
            INSERT INTO certificate_requests
                (resident_id, submission_token, type_code, department, copies, requester, options, purpose, delivery,
                 pickup_date, mailing_address, payment, fee_yen, channel, priority, status, created_at, updated_at,
                 expected_ready_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, residentID, submissionToken, request.typeCode, department, request.copies,
            request.requester.rawValue, options, request.purpose, request.delivery.rawValue, request.pickupDate,
            request.mailingAddress, request.payment.rawValue, request.feeYen, channel.rawValue,
            channel == .counter ? 1 : 0, status.rawValue, time, time, expectedReadyAt)
        let id = connection.lastInsertRowID
        if let letter = request.letterOfAttorney {
            try connection.run(
                "INSERT INTO certificate_letters_of_attorney (request_id, filename, content_type, data) VALUES (?, ?, ?, ?)",
                id, letter.filename, letter.contentType, letter.data)
        }
        try appendEvent(
            requestID: id, actor: enteredByStaffID.map { ("staff", $0) } ?? ("resident", residentID), from: nil,
            to: status, note: nil, at: time, on: connection)
        return .inserted(id: id)
    }

    static let selectColumns = """
        SELECT r.*, EXISTS (SELECT 1 FROM certificate_letters_of_attorney l WHERE l.request_id = r.id) AS has_letter
        FROM certificate_requests r
        """

    public static func fetchRequest(id: Int64, on connection: Connection) throws -> CertificateRequest? {
        try connection.queryFirst("\(selectColumns) WHERE r.id = ?", id).map(decode)
    }

    public static func fetchRequests(residentID: Int64, limit: Int = 20, on connection: Connection) throws
        -> [CertificateRequest]
    {
        try connection.query("\(selectColumns) WHERE r.resident_id = ? ORDER BY r.id DESC LIMIT ?", residentID, limit)
            .map(decode)
    }

    /// One line of マイページ's "証明書の請求": only what the line shows.
    public struct MyPageLine: Sendable, Equatable {
        public let id: Int64
        public let typeCode: String
        public let copies: Int
        public let status: CertificateStatus
        /// Stored UTC text (`UTCTimestamp`), formatted for display without a `Date` in between.
        public let expectedReadyAt: String
    }

    /// マイページ's rows, newest first. Five columns read by position: the full request (options JSON, the
    /// letter-of-attorney EXISTS, 28 columns looked up by name, every timestamp parsed into a `Date`) cost
    /// 500,000 instructions for the demo resident's eight requests (callgrind, bench/route-cost mypage).
    public static func fetchMyPageLines(residentID: Int64, limit: Int = 20, on connection: Connection) throws
        -> [MyPageLine]
    {
        try connection.query(
            """
            SELECT id, type_code, copies, status, expected_ready_at FROM certificate_requests
            WHERE resident_id = ? ORDER BY id DESC LIMIT ?
            """, residentID, limit
        ).map { row in
            MyPageLine(
                id: try row.get(0), typeCode: try row.get(1), copies: try row.get(2),
                status: CertificateStatus(rawValue: try row.get(3)) ?? .submitted, expectedReadyAt: try row.get(4))
        }
    }

    /// The staff queue: items a clerk may work on, counter-waiting first, then oldest first.
    public static func fetchQueue(limit: Int = 200, on connection: Connection) throws -> [CertificateRequest] {
        try connection.query(
            """
            \(selectColumns)
            WHERE r.status = 'paid' OR r.status = 'pay_at_counter' OR r.status = 'in_progress' OR r.status = 'ready'
            ORDER BY r.status = 'ready', r.priority DESC, r.created_at, r.id LIMIT ?
            """, limit
        ).map(decode)
    }

    public static func countQueue(on connection: Connection) throws -> Int {
        try connection.scalar(
            """
            SELECT count(*) FROM certificate_requests
            WHERE status = 'paid' OR status = 'pay_at_counter' OR status = 'in_progress'
            """, as: Int.self) ?? 0
    }

    /// Takes the lease when the item is free, its lease expired, or the caller already holds it; in one UPDATE
    /// on the single writer, so two clerks can never both succeed. True when the caller holds it afterwards.
    public static func claim(
        requestID: Int64, staffID: Int64, until expiry: Date, at time: Date, on connection: Connection
    ) throws -> Bool {
        try connection.run(
            """
            UPDATE certificate_requests SET claimed_by_staff_id = ?, lease_expires_at = ?, updated_at = ?
            WHERE id = ?
              AND (status = 'paid' OR status = 'pay_at_counter' OR status = 'in_progress' OR status = 'ready')
              AND (claimed_by_staff_id IS NULL OR lease_expires_at <= ? OR claimed_by_staff_id = ?)
            """, staffID, expiry, time, requestID, time, staffID) == 1
    }

    /// The first free item in queue order, claimed in the same statement.
    public static func claimNext(staffID: Int64, until expiry: Date, at time: Date, on connection: Connection) throws
        -> Int64?
    {
        guard
            let id = try connection.scalar(
                """
                SELECT id FROM certificate_requests
                WHERE (status = 'paid' OR status = 'pay_at_counter' OR status = 'in_progress')
                  AND (claimed_by_staff_id IS NULL OR lease_expires_at <= ?)
                ORDER BY priority DESC, created_at, id LIMIT 1
                """, time, as: Int64.self)
        else { return nil }
        return try claim(requestID: id, staffID: staffID, until: expiry, at: time, on: connection) ? id : nil
    }

    /// Extends the caller's own unexpired lease; false when it lapsed or someone else holds it now.
    public static func extendLease(
        requestID: Int64, staffID: Int64, until expiry: Date, at time: Date, on connection: Connection
    ) throws -> Bool {
        try connection.run(
            """
            UPDATE certificate_requests SET lease_expires_at = ?
            WHERE id = ? AND claimed_by_staff_id = ? AND lease_expires_at > ?
            """, expiry, requestID, staffID, time) == 1
    }

    public static func release(requestID: Int64, staffID: Int64, on connection: Connection) throws -> Bool {
        try connection.run(
            """
            UPDATE certificate_requests SET claimed_by_staff_id = NULL, lease_expires_at = NULL
            WHERE id = ? AND claimed_by_staff_id = ?
            """, requestID, staffID) == 1
    }

    /// Moves the status, only from `from`; closed states drop the lease.
    public static func updateStatus(
        requestID: Int64, from: CertificateStatus, to: CertificateStatus, rejectionReason: String? = nil, at time: Date,
        on connection: Connection
    ) throws -> Bool {
        let keepsLease = !to.isClosed && to != .ready
        return try connection.run(
            """
            UPDATE certificate_requests SET status = ?, updated_at = ?,
                claimed_by_staff_id = CASE WHEN ? THEN claimed_by_staff_id END,
                lease_expires_at = CASE WHEN ? THEN lease_expires_at END,
                ready_at = CASE WHEN ? = 'ready' THEN ? ELSE ready_at END,
                handed_over_at = CASE WHEN ? = 'handed_over' THEN ? ELSE handed_over_at END,
                rejection_reason = coalesce(?, rejection_reason)
            WHERE id = ? AND status = ?
            """, to.rawValue, time, keepsLease, keepsLease, to.rawValue, time, to.rawValue, time, rejectionReason,
            requestID, from.rawValue) == 1
    }

    public static func recordDetails(
        requestID: Int64, mailedOn: String? = nil, identityDocument: IdentityDocument? = nil,
        counterPaidYen: Int? = nil, on connection: Connection
    ) throws {
        try connection.run(
            """
            UPDATE certificate_requests SET mailed_on = coalesce(?, mailed_on),
                identity_document = coalesce(?, identity_document), counter_paid_yen = coalesce(?, counter_paid_yen)
            WHERE id = ?
            """, mailedOn, identityDocument?.rawValue, counterPaidYen, requestID)
    }

    public static func appendEvent(
        requestID: Int64, actor: (type: String, id: Int64?), from: CertificateStatus?, to: CertificateStatus,
        note: String?, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            """
            INSERT INTO certificate_request_events (request_id, at, actor_type, actor_id, from_status, to_status, note)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, requestID, time, actor.type, actor.id, from?.rawValue, to.rawValue, note)
    }

    public struct Event: Sendable, Equatable {
        public let at: Date
        public let actorType: String
        public let toStatus: CertificateStatus
        public let note: String?
    }

    public static func fetchEvents(requestID: Int64, on connection: Connection) throws -> [Event] {
        try connection.query("SELECT * FROM certificate_request_events WHERE request_id = ? ORDER BY id", requestID)
            .map {
                Event(
                    at: try $0.get("at"), actorType: try $0.get("actor_type"),
                    toStatus: CertificateStatus(rawValue: try $0.get("to_status")) ?? .submitted,
                    note: try $0.get("note"))
            }
    }

    public static func fetchLetter(requestID: Int64, on connection: Connection) throws -> LetterOfAttorney? {
        try connection.queryFirst(
            "SELECT filename, content_type, data FROM certificate_letters_of_attorney WHERE request_id = ?", requestID
        ).map {
            LetterOfAttorney(
                filename: try $0.get("filename"), contentType: try $0.get("content_type"), data: try $0.get("data"))
        }
    }

    // MARK: Calendar

    public static func fetchClosedDates(on connection: Connection) throws -> [(date: String, reason: String)] {
        try connection.query("SELECT date, reason FROM certificate_closed_dates ORDER BY date").map {
            (try $0.get("date"), try $0.get("reason"))
        }
    }

    public static func insertClosedDate(
        _ date: String, reason: String, staffID: Int64, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            """
            INSERT INTO certificate_closed_dates (date, reason, added_by_staff_id, added_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (date) DO UPDATE SET reason = excluded.reason
            """, date, reason, staffID, time)
    }

    public static func deleteClosedDate(_ date: String, on connection: Connection) throws {
        try connection.run("DELETE FROM certificate_closed_dates WHERE date = ?", date)
    }

    static func decode(_ row: Row) throws -> CertificateRequest {
        let optionsText: String = try row.get("options")
        // Most requests carry no options: skip building a JSONDecoder for "{}".
        let options =
            optionsText == "{}"
            ? [:] : (try? JSONDecoder().decode([String: String].self, from: Data(optionsText.utf8))) ?? [:]
        return CertificateRequest(
            id: try row.get("id"), residentID: try row.get("resident_id"), typeCode: try row.get("type_code"),
            department: try row.get("department"), copies: try row.get("copies"),
            requester: Requester(rawValue: try row.get("requester")) ?? .person, options: options,
            purpose: try row.get("purpose"), delivery: Delivery(rawValue: try row.get("delivery")) ?? .counter,
            pickupDate: try row.get("pickup_date"), mailingAddress: try row.get("mailing_address"),
            payment: PaymentChoice(rawValue: try row.get("payment")) ?? .counter, feeYen: try row.get("fee_yen"),
            channel: RequestChannel(rawValue: try row.get("channel")) ?? .web, priority: try row.get("priority"),
            status: CertificateStatus(rawValue: try row.get("status")) ?? .submitted,
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"),
            expectedReadyAt: try row.get("expected_ready_at"), claimedByStaffID: try row.get("claimed_by_staff_id"),
            leaseExpiresAt: try row.get("lease_expires_at"), readyAt: try row.get("ready_at"),
            mailedOn: try row.get("mailed_on"), handedOverAt: try row.get("handed_over_at"),
            identityDocument: (try row.get("identity_document", as: String?.self)).flatMap(IdentityDocument.init),
            counterPaidYen: try row.get("counter_paid_yen"), rejectionReason: try row.get("rejection_reason"),
            hasLetterOfAttorney: (try row.get("has_letter", as: Int.self)) == 1)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
