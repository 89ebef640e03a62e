import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store

/// A form that passed validation, about to be stored as a draft (or submitted straight away by the API).
public struct NewApplication: Sendable {
    public var procedureCode: String
    public var procedureVersion: Int
    public var department: String
    public var feeYen: Int
    public var retentionYears: Int
    public var residentID: Int64?
    public var channel: ApplicationChannel
    public var enteredByStaffID: Int64?
    public var answers: Answers
    public var submissionToken: String

    public init(
        procedure: Procedure, residentID: Int64?, channel: ApplicationChannel, enteredByStaffID: Int64? = nil,
        answers: Answers, submissionToken: String
    ) {
        self.procedureCode = procedure.code
        self.procedureVersion = procedure.version
        self.department = procedure.department
        self.feeYen = procedure.feeYen
        self.retentionYears = procedure.retentionYears
        self.residentID = residentID
        self.channel = channel
        self.enteredByStaffID = enteredByStaffID
        self.answers = answers
        self.submissionToken = submissionToken
    }

    /// The row `ApplicationStore.insertSubmitted` wrote, as reading it back would give it: times at the
    /// millisecond the column keeps.
    func stored(id: Int64, reference: String, guestSecretHash: String?, at time: Date) -> StoredApplication {
        let storedTime = UTCTimestamp.parse(UTCTimestamp.format(time)) ?? time
        return StoredApplication(
            id: id, reference: reference, procedureCode: procedureCode, procedureVersion: procedureVersion,
            department: department, residentID: residentID, guestSecretHash: guestSecretHash, channel: channel,
            enteredByStaffID: enteredByStaffID, status: .received, answers: answers, feeYen: feeYen,
            retentionYears: retentionYears, createdAt: storedTime, submittedAt: storedTime, updatedAt: storedTime,
            assignedStaffID: nil, assignedAt: nil, closedAt: nil, retainUntil: nil, purgedAt: nil,
            submissionToken: submissionToken)
    }
}

/// A file that passed the attachment checks, ready to store.
public struct NewAttachment: Sendable {
    public let field: String
    public let filename: String
    public let contentType: String
    public let data: Data

    public init(field: String, filename: String, contentType: String, data: Data) {
        self.field = field
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// One line of the staff queue. No personal data: names and addresses stay on the (audited) detail page.
public struct QueueItem: Sendable, Equatable {
    public let id: Int64
    public let reference: String
    public let procedureCode: String
    public let department: String
    public let status: ApplicationStatus
    public let channel: ApplicationChannel
    public let submittedAt: Date
    public let assignedStaffID: Int64?
    public let assignedStaffName: String?
}

/// What the queue shows. Every criterion is optional.
public struct QueueFilter: Sendable, Equatable {
    public var department: String?
    public var procedureCode: String?
    public var status: ApplicationStatus?
    /// Only applications submitted at least this many days ago.
    public var olderThanDays: Int?
    public var assignedStaffID: Int64?
    public var limit = 200

    public init(
        department: String? = nil, procedureCode: String? = nil, status: ApplicationStatus? = nil,
        olderThanDays: Int? = nil, assignedStaffID: Int64? = nil
    ) {
        self.department = department
        self.procedureCode = procedureCode
        self.status = status
        self.olderThanDays = olderThanDays
        self.assignedStaffID = assignedStaffID
    }
}

/// Every SQL statement of the Applications module.
public enum ApplicationStore {
    public enum DraftResult: Sendable, Equatable {
        /// The draft's id (new or updated).
        case saved(id: Int64)
        /// That form token was already submitted: the double submit finds the first application.
        case alreadySubmitted(StoredApplication)
        /// The token belongs to someone else's draft (never happens with honest tokens).
        case notOwner
    }

    // MARK: Drafts and submission

    /// Creates the draft for a form token, or replaces the answers of the caller's existing draft.
    public static func saveDraft(_ new: NewApplication, at time: Date, on connection: Connection) throws -> DraftResult
    {
        if let existing = try fetchApplication(submissionToken: new.submissionToken, on: connection) {
            guard existing.residentID == new.residentID, existing.procedureCode == new.procedureCode else {
                return .notOwner
            }
            guard existing.status == .draft else { return .alreadySubmitted(existing) }
            try connection.run(
                "UPDATE applications SET answers = ?, procedure_version = ?, updated_at = ? WHERE id = ?",
                try encode(new.answers), new.procedureVersion, time, existing.id)
            return .saved(id: existing.id)
        }
        try connection.run(
            """
            INSERT INTO applications (procedure_code, procedure_version, department, resident_id, channel,
                entered_by_staff_id, status, answers, fee_yen, retention_years, created_at, updated_at, submission_token)
            VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)
            """,
            new.procedureCode, new.procedureVersion, new.department, new.residentID, new.channel.rawValue,
            new.enteredByStaffID, try encode(new.answers), new.feeYen, new.retentionYears, time, time,
            new.submissionToken)
        return .saved(id: connection.lastInsertRowID)
    }

    /// Moves a draft to `received` with a fresh reference number. Returns the reference, or nil when the row
    /// is no longer a draft (a concurrent submit of the same token won).
    public static func submitDraft(
        id: Int64, guestSecretHash: String?, at time: Date, on connection: Connection
    ) throws -> String? {
        // Each try runs in its own savepoint, so a collision leaves nothing behind.
        try withFreshReference { reference in
            let changed = try connection.savepoint {
                try connection.run(
                    """
                    UPDATE applications SET status = 'received', reference = ?, guest_secret_hash = ?,
                        submitted_at = ?, updated_at = ?
                    WHERE id = ? AND status = 'draft'
                    """, reference, guestSecretHash, time, time, id)
            }
            return changed == 1 ? reference : nil
        }
    }

    /// Calls `write` with fresh reference numbers until one is not taken yet: collisions are ~1 in 2×10^10
    /// per issue. Any other failure, a unique one on another column included, is the caller's.
    private static func withFreshReference<T>(_ write: (String) throws -> T) throws -> T {
        for _ in 0..<8 {
            do {
                return try write(ReferenceNumber.generate())
            } catch let error as SQLiteError
                where error.isUniqueViolation && error.message.contains("applications.reference")
            {
                continue
            }
        }
        throw SQLiteError(code: 19, message: "could not issue a unique reference number")
    }

    /// Inserts a confirmed submission straight as `received` with a fresh reference number: the JSON API's
    /// one-write path, which has no draft step. Returns nil, having written nothing, when the submission token
    /// is already taken (a retry, a concurrent double submit, or an old draft); the caller then goes the draft
    /// way. Inserting as a draft and then updating it cost an extra statement in a savepoint, a fifth of the
    /// writer's time per submission (callgrind, issue #10).
    public static func insertSubmitted(
        _ new: NewApplication, guestSecretHash: String?, at time: Date, on connection: Connection
    ) throws -> (id: Int64, reference: String)? {
        // A failed INSERT undoes only itself, so a reference collision is retried without a savepoint.
        do {
            return try withFreshReference { reference in
                try connection.run(
                    """
                    INSERT INTO applications (procedure_code, procedure_version, department, resident_id, channel,
                        entered_by_staff_id, status, reference, guest_secret_hash, answers, fee_yen, retention_years,
                        created_at, submitted_at, updated_at, submission_token)
                    VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    new.procedureCode, new.procedureVersion, new.department, new.residentID, new.channel.rawValue,
                    new.enteredByStaffID, reference, guestSecretHash, try encode(new.answers), new.feeYen,
                    new.retentionYears, time, time, time, new.submissionToken)
                return (connection.lastInsertRowID, reference)
            }
        } catch let error as SQLiteError where error.isUniqueViolation && error.message.contains("submission_token") {
            return nil
        }
    }

    /// Drafts nobody confirmed, e.g. a closed browser tab; their attachments go with them.
    @discardableResult
    public static func deleteDrafts(olderThan time: Date, on connection: Connection) throws -> Int {
        try connection.run(
            "DELETE FROM application_attachments WHERE application_id IN (SELECT id FROM applications WHERE status = 'draft' AND updated_at < ?)",
            time)
        return try connection.run("DELETE FROM applications WHERE status = 'draft' AND updated_at < ?", time)
    }

    // MARK: Reading applications

    public static func fetchApplication(id: Int64, on connection: Connection) throws -> StoredApplication? {
        try connection.queryFirst("SELECT * FROM applications WHERE id = ?", id).map(decode)
    }

    public static func fetchApplication(reference: String, on connection: Connection) throws -> StoredApplication? {
        try connection.queryFirst("SELECT * FROM applications WHERE reference = ?", reference).map(decode)
    }

    public static func fetchApplication(submissionToken: String, on connection: Connection) throws -> StoredApplication?
    {
        try connection.queryFirst("SELECT * FROM applications WHERE submission_token = ?", submissionToken).map(decode)
    }

    /// A resident's submitted applications, newest first.
    public static func fetchApplications(residentID: Int64, on connection: Connection) throws -> [StoredApplication] {
        try connection.query(
            "SELECT * FROM applications WHERE resident_id = ? AND status <> 'draft' ORDER BY submitted_at DESC, id DESC",
            residentID
        ).map(decode)
    }

    /// The staff queue, oldest first: the longest-waiting resident is served first.
    public static func fetchQueue(_ filter: QueueFilter, now: Date, on connection: Connection) throws -> [QueueItem] {
        var conditions = ["a.status <> 'draft'"]
        var arguments: [any SQLBindable] = []
        if let department = filter.department {
            conditions.append("a.department = ?")
            arguments.append(department)
        }
        if let code = filter.procedureCode {
            conditions.append("a.procedure_code = ?")
            arguments.append(code)
        }
        if let status = filter.status {
            conditions.append("a.status = ?")
            arguments.append(status.rawValue)
        } else {
            // By default the queue is the work still to do.
            conditions.append("a.status IN ('received', 'in_review', 'approved', 'returned')")
        }
        if let days = filter.olderThanDays {
            conditions.append("a.submitted_at <= ?")
            arguments.append(now.addingTimeInterval(-Double(days) * 86_400))
        }
        if let staffID = filter.assignedStaffID {
            conditions.append("a.assigned_staff_id = ?")
            arguments.append(staffID)
        }
        arguments.append(max(1, min(filter.limit, 1000)))
        return try connection.query(
            """
            SELECT a.id, a.reference, a.procedure_code, a.department, a.status, a.channel, a.submitted_at,
                   a.assigned_staff_id, s.display_name
            FROM applications a LEFT JOIN staff s ON s.id = a.assigned_staff_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY a.submitted_at, a.id LIMIT ?
            """, arguments: arguments
        ).map { row in
            QueueItem(
                id: try row.get("id"), reference: try row.get("reference"),
                procedureCode: try row.get("procedure_code"),
                department: try row.get("department"), status: try status(row, "status"),
                channel: ApplicationChannel(rawValue: try row.get("channel")) ?? .web,
                submittedAt: try row.get("submitted_at"), assignedStaffID: try row.get("assigned_staff_id"),
                assignedStaffName: try row.get("display_name"))
        }
    }

    /// Open applications of a department (or all), for the dashboard tile.
    public static func countOpenApplications(department: String?, on connection: Connection) throws -> Int {
        if let department {
            return try connection.scalar(
                "SELECT count(*) FROM applications WHERE status IN ('received', 'in_review') AND department = ?",
                department, as: Int.self) ?? 0
        }
        return try connection.scalar(
            "SELECT count(*) FROM applications WHERE status IN ('received', 'in_review')", as: Int.self) ?? 0
    }

    /// Submitted applications of one procedure with `from <= submitted_at < to`, for CSV export.
    public static func fetchApplicationsForExport(
        procedureCode: String, from: Date, to: Date, on connection: Connection
    ) throws -> [StoredApplication] {
        try connection.query(
            """
            SELECT * FROM applications
            WHERE procedure_code = ? AND status <> 'draft' AND submitted_at >= ? AND submitted_at < ?
            ORDER BY submitted_at, id
            """, procedureCode, from, to
        ).map(decode)
    }

    // MARK: Changing applications

    /// Moves `from` → `to` only if the row is still at `from`, so two clerks acting at once cannot both move it.
    /// Closing stamps `closed_at` and the retention deadline.
    public static func updateStatus(
        id: Int64, from: ApplicationStatus, to: ApplicationStatus, at time: Date, on connection: Connection
    ) throws -> Bool {
        guard let application = try fetchApplication(id: id, on: connection), application.status == from else {
            return false
        }
        let closedAt: Date? = to.isClosed ? time : nil
        let retainUntil = closedAt.map {
            ApplicationRules.retainUntil(closedAt: $0, retentionYears: application.retentionYears)
        }
        return try connection.run(
            """
            UPDATE applications SET status = ?, updated_at = ?, closed_at = ?, retain_until = ?
            WHERE id = ? AND status = ?
            """, to.rawValue, time, closedAt, retainUntil, id, from.rawValue) == 1
    }

    /// Replaces the answers of a returned application and sends it back to the queue (resubmission).
    public static func resubmitApplication(id: Int64, answers: Answers, at time: Date, on connection: Connection) throws
        -> Bool
    {
        try connection.run(
            "UPDATE applications SET answers = ?, status = 'received', updated_at = ? WHERE id = ? AND status = 'returned'",
            try encode(answers), time, id) == 1
    }

    /// Assigns an unassigned, open application to `staffID`. One statement with the condition in its WHERE
    /// clause, on the single writer: when two clerks claim at once, exactly one UPDATE changes the row.
    public static func claimApplication(id: Int64, staffID: Int64, at time: Date, on connection: Connection) throws
        -> Bool
    {
        try connection.run(
            """
            UPDATE applications SET assigned_staff_id = ?, assigned_at = ?, updated_at = ?
            WHERE id = ? AND assigned_staff_id IS NULL AND status IN ('received', 'in_review', 'approved', 'returned')
            """, staffID, time, time, id) == 1
    }

    /// Unassigns; with `staffID`, only if that person holds it.
    public static func releaseApplication(id: Int64, staffID: Int64?, at time: Date, on connection: Connection) throws
        -> Bool
    {
        if let staffID {
            return try connection.run(
                "UPDATE applications SET assigned_staff_id = NULL, assigned_at = NULL, updated_at = ? WHERE id = ? AND assigned_staff_id = ?",
                time, id, staffID) == 1
        }
        return try connection.run(
            "UPDATE applications SET assigned_staff_id = NULL, assigned_at = NULL, updated_at = ? WHERE id = ? AND assigned_staff_id IS NOT NULL",
            time, id) == 1
    }

    // MARK: Events

    public static func insertEvent(
        applicationID: Int64, kind: ApplicationEvent.Kind, actor: ApplicationActor, at time: Date,
        from: ApplicationStatus? = nil, to: ApplicationStatus? = nil, message: String? = nil,
        internalNote: String? = nil, on connection: Connection
    ) throws {
        let columns = actor.columns
        try connection.run(
            """
            INSERT INTO application_events (application_id, kind, actor_type, actor_id, at, from_status, to_status,
                                            message, internal_note)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, applicationID, kind.rawValue, columns.type, columns.id, time, from?.rawValue, to?.rawValue,
            message, internalNote)
    }

    public static func fetchEvents(applicationID: Int64, on connection: Connection) throws -> [ApplicationEvent] {
        try connection.query("SELECT * FROM application_events WHERE application_id = ? ORDER BY id", applicationID)
            .map { row in
                ApplicationEvent(
                    id: try row.get("id"), applicationID: try row.get("application_id"),
                    kind: ApplicationEvent.Kind(rawValue: try row.get("kind")) ?? .note,
                    actor: ApplicationActor(type: try row.get("actor_type"), id: try row.get("actor_id")),
                    at: try row.get("at"),
                    fromStatus: (try row.get("from_status", as: String?.self)).flatMap(
                        ApplicationStatus.init(rawValue:)),
                    toStatus: (try row.get("to_status", as: String?.self)).flatMap(ApplicationStatus.init(rawValue:)),
                    message: try row.get("message"), internalNote: try row.get("internal_note"))
            }
    }

    // MARK: Attachments

    /// Stores a file for `field`, replacing any earlier file of that field.
    public static func replaceAttachment(
        applicationID: Int64, _ attachment: NewAttachment, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            "DELETE FROM application_attachments WHERE application_id = ? AND field = ?", applicationID,
            attachment.field)
        try connection.run(
            """
            INSERT INTO application_attachments (application_id, field, filename, content_type, size, sha256, data, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, applicationID, attachment.field, attachment.filename, attachment.contentType, attachment.data.count,
            Hex.encode(Digest.sha256(attachment.data)), attachment.data, time)
    }

    public static func fetchAttachments(applicationID: Int64, on connection: Connection) throws -> [AttachmentInfo] {
        try connection.query(
            """
            SELECT id, application_id, field, filename, content_type, size, sha256 FROM application_attachments
            WHERE application_id = ? ORDER BY field, id
            """, applicationID
        ).map(decodeAttachment)
    }

    /// One file's bytes, only if it belongs to `applicationID` (the URL names both).
    public static func fetchAttachmentData(id: Int64, applicationID: Int64, on connection: Connection) throws
        -> (AttachmentInfo, Data)?
    {
        guard
            let row = try connection.queryFirst(
                "SELECT * FROM application_attachments WHERE id = ? AND application_id = ?", id, applicationID)
        else { return nil }
        return (try decodeAttachment(row), try row.get("data", as: Data.self))
    }

    // MARK: Resident messages

    /// The messages about one application, newest first (the guest's lookup page, the staff detail).
    public static func fetchResidentMessages(applicationID: Int64, on connection: Connection) throws
        -> [ResidentMessage]
    {
        try ResidentMessages.fetchMessages(source: ApplicationsModule.name, recordID: applicationID, on: connection)
    }

    // MARK: Response templates

    public static func fetchTemplates(on connection: Connection) throws -> [ResponseTemplate] {
        try connection.query("SELECT * FROM response_templates ORDER BY to_status, id").map(decodeTemplate)
    }

    public static func fetchTemplate(id: Int64, on connection: Connection) throws -> ResponseTemplate? {
        try connection.queryFirst("SELECT * FROM response_templates WHERE id = ?", id).map(decodeTemplate)
    }

    /// Creates a template (id nil) or edits one; returns its id.
    @discardableResult
    public static func saveTemplate(
        id: Int64?, title: String, toStatus: ApplicationStatus?, body: String, staffID: Int64, at time: Date,
        on connection: Connection
    ) throws -> Int64 {
        if let id {
            try connection.run(
                "UPDATE response_templates SET title = ?, to_status = ?, body = ?, updated_at = ?, updated_by_staff_id = ? WHERE id = ?",
                title, toStatus?.rawValue, body, time, staffID, id)
            return id
        }
        try connection.run(
            "INSERT INTO response_templates (title, to_status, body, updated_at, updated_by_staff_id) VALUES (?, ?, ?, ?, ?)",
            title, toStatus?.rawValue, body, time, staffID)
        return connection.lastInsertRowID
    }

    // MARK: Retention

    /// Closed applications whose retention period has passed and whose personal data is still here.
    public static func fetchPurgeCandidates(now: Date, on connection: Connection) throws
        -> [(id: Int64, reference: String, procedureCode: String)]
    {
        try connection.query(
            """
            SELECT id, reference, procedure_code FROM applications
            WHERE purged_at IS NULL AND closed_at IS NOT NULL AND retain_until <= ? ORDER BY id
            """, now
        ).map { (try $0.get("id"), try $0.get("reference"), try $0.get("procedure_code")) }
    }

    /// Removes an application's personal data and files. What remains — procedure, status, channel and
    /// dates — is anonymous and keeps the statistics whole; usage_events are untouched.
    public static func purgeApplication(id: Int64, at time: Date, on connection: Connection) throws {
        try connection.run("DELETE FROM application_attachments WHERE application_id = ?", id)
        try connection.run(
            "UPDATE application_events SET message = NULL, internal_note = NULL WHERE application_id = ?", id)
        try ResidentMessages.deleteMessages(source: ApplicationsModule.name, recordID: id, on: connection)
        try connection.run(
            """
            UPDATE applications SET answers = '{}', resident_id = NULL, guest_secret_hash = NULL, purged_at = ?,
                updated_at = ?
            WHERE id = ?
            """, time, time, id)
    }

    // MARK: Rows

    /// Written with the project's JSON writer, keys sorted as before: JSONEncoder was a twentieth of a
    /// submission's instructions (callgrind, issue #10).
    static func encode(_ answers: Answers) throws -> String {
        var writer = JSONWriter()
        writer.object { writer in
            for key in answers.keys.sorted() {
                writer.key(key)
                switch answers[key]! {
                case .text(let text): writer.value(text)
                case .list(let values): writer.array(values) { writer, value in writer.value(value) }
                }
            }
        }
        return String(decoding: writer.data, as: UTF8.self)
    }

    /// Read with the project's JSON parser: a fresh JSONDecoder per row was the costliest part of reading an
    /// application, and a submission reads its row twice inside the write (issue #10).
    static func decodeAnswers(_ text: String) throws -> Answers {
        var text = text
        let parsed = text.withUTF8 { utf8 in try? JSONValue.parse(UnsafeRawBufferPointer(utf8)) }
        guard case .object(let members)? = parsed else { throw notAnAnswersObject }
        var answers = Answers(minimumCapacity: members.count)
        for (key, value) in members {
            switch value {
            case .string(let answer): answers[key] = .text(answer)
            case .array(let elements):
                var list: [String] = []
                list.reserveCapacity(elements.count)
                for element in elements {
                    guard case .string(let answer) = element else { throw notAnAnswersObject }
                    list.append(answer)
                }
                answers[key] = .list(list)
            default: throw notAnAnswersObject
            }
        }
        return answers
    }

    private static let notAnAnswersObject = RowDecodingError(column: "answers", reason: "not an answers object")

    private static func status(_ row: Row, _ column: String) throws -> ApplicationStatus {
        guard let status = ApplicationStatus(rawValue: try row.get(column)) else {
            throw RowDecodingError(column: column, reason: "unknown status")
        }
        return status
    }

    static func decode(_ row: Row) throws -> StoredApplication {
        StoredApplication(
            id: try row.get("id"), reference: try row.get("reference"), procedureCode: try row.get("procedure_code"),
            procedureVersion: try row.get("procedure_version"), department: try row.get("department"),
            residentID: try row.get("resident_id"), guestSecretHash: try row.get("guest_secret_hash"),
            channel: ApplicationChannel(rawValue: try row.get("channel")) ?? .web,
            enteredByStaffID: try row.get("entered_by_staff_id"), status: try status(row, "status"),
            answers: try decodeAnswers(try row.get("answers")), feeYen: try row.get("fee_yen"),
            retentionYears: try row.get("retention_years"), createdAt: try row.get("created_at"),
            submittedAt: try row.get("submitted_at"), updatedAt: try row.get("updated_at"),
            assignedStaffID: try row.get("assigned_staff_id"), assignedAt: try row.get("assigned_at"),
            closedAt: try row.get("closed_at"), retainUntil: try row.get("retain_until"),
            purgedAt: try row.get("purged_at"), submissionToken: try row.get("submission_token"))
    }

    private static func decodeAttachment(_ row: Row) throws -> AttachmentInfo {
        AttachmentInfo(
            id: try row.get("id"), applicationID: try row.get("application_id"), field: try row.get("field"),
            filename: try row.get("filename"), contentType: try row.get("content_type"), size: try row.get("size"),
            sha256: try row.get("sha256"))
    }

    private static func decodeTemplate(_ row: Row) throws -> ResponseTemplate {
        ResponseTemplate(
            id: try row.get("id"), title: try row.get("title"),
            toStatus: (try row.get("to_status", as: String?.self)).flatMap(ApplicationStatus.init(rawValue:)),
            body: try row.get("body"))
    }
}
