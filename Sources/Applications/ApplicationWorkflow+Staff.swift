import Formats
import Foundation
import Identity
import Security
import ServiceKit
import Store

/// Everything a staff member sees on an application's detail view. Loaded in the same write as the audit row
/// of that look, so a read of personal data is never unrecorded.
public struct StaffApplicationDetail: Sendable {
    public let application: StoredApplication
    public let events: [ApplicationEvent]
    public let files: [AttachmentInfo]
    public let templates: [ResponseTemplate]
    /// Staff id → display name, for the assignee and the history.
    public let staffNames: [Int64: String]
}

/// A status move as a clerk asked for it, after the checks every front end shares (`prepareMove`).
public struct StaffMove: Sendable, Equatable {
    public let from: ApplicationStatus
    public let to: ApplicationStatus
    /// What the resident is told; nil when nothing.
    public let message: String?
    public let internalNote: String?
}

/// The staff-side steps the HTML console and the JSON API share beyond the state machine itself: the audited
/// detail read, the audited CSV export, the rules for a move's message, and template editing. Kept here so the
/// two front ends differ only in how they parse requests and render answers.
extension ApplicationWorkflow {
    /// The longest message or internal note a clerk may write (the resident's message box and the CSV cell
    /// both stay readable).
    public static let maximumMessageLength = 2000

    /// The detail of a submitted application, with its `application.read` audit row. Nil for an unknown id or a
    /// draft (drafts are not the town's yet), and then nothing is logged.
    public func readForStaff(applicationID: Int64, staff: Int64, origin: RequestOrigin, at now: Date) throws
        -> StaffApplicationDetail?
    {
        try database.auditedRead(audit(.staff(id: staff), "application.read", applicationID, origin), at: now) {
            connection in
            guard let application = try ApplicationStore.fetchApplication(id: applicationID, on: connection),
                application.status != .draft
            else { return nil }
            return StaffApplicationDetail(
                application: application,
                events: try ApplicationStore.fetchEvents(applicationID: applicationID, on: connection),
                files: try ApplicationStore.fetchAttachments(applicationID: applicationID, on: connection),
                templates: try ApplicationStore.fetchTemplates(on: connection),
                staffNames: Dictionary(
                    uniqueKeysWithValues: try StaffStore.fetchAllStaff(on: connection).map { ($0.id, $0.displayName) }))
        }
    }

    /// Every submitted application of `procedure` in `period`, for the CSV. Reading a whole period is a read of
    /// personal data: the `application.export` audit row (subject: the procedure) is written in the same step,
    /// even when the period holds no application.
    public func exportApplications(
        procedure: Procedure, period: ExportPeriod, staff: Int64, origin: RequestOrigin, at now: Date
    ) throws -> [StoredApplication] {
        let event = audit(
            .staff(id: staff), "application.export", subjectType: "procedure", subjectID: procedure.code, origin)
        let applications = try database.auditedRead(event, at: now) { connection in
            try ApplicationStore.fetchApplicationsForExport(
                procedureCode: procedure.code, from: period.start, to: period.end, on: connection)
        }
        return applications ?? []
    }

    /// A file of `applicationID` for a staff download, with its `application.attachment.read` audit row. Nil
    /// when the application has no such file.
    public func readAttachmentForStaff(
        attachmentID: Int64, applicationID: Int64, staff: Int64, origin: RequestOrigin, at now: Date
    ) throws -> (AttachmentInfo, Data)? {
        let event = audit(
            .staff(id: staff), "application.attachment.read", subjectType: "application_attachment",
            subjectID: String(attachmentID), origin)
        return try database.auditedRead(event, at: now) { connection in
            try ApplicationStore.fetchAttachmentData(id: attachmentID, applicationID: applicationID, on: connection)
        }
    }

    /// The resident's record for prefilling a counter form (書かない窓口), with its `resident.read` audit row like
    /// any other staff read of it. Nil for an unknown resident.
    public func readResidentForCounter(residentID: Int64, staff: Int64, origin: RequestOrigin, at now: Date) throws
        -> Resident?
    {
        let event = audit(
            .staff(id: staff), "resident.read", subjectType: "resident", subjectID: String(residentID), origin)
        return try database.auditedRead(event, at: now) { connection in
            try ResidentStore.fetchResident(id: residentID, on: connection)
        }
    }

    /// Checks a requested move's texts: trims them, fills an empty message from the chosen response template,
    /// insists on a message where the resident must be told why (要訂正, 不承認) and caps the lengths. Throws
    /// `ApplicationStepRefused.invalid` with the message to show. Whether the move itself is allowed is
    /// `transition`'s job.
    public func prepareMove(
        from: ApplicationStatus, to: ApplicationStatus, message: String?, templateID: Int64?, internalNote: String?
    ) throws -> StaffMove {
        var text = (message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty, let templateID,
            let template = try database.read({ try ApplicationStore.fetchTemplate(id: templateID, on: $0) })
        {
            text = template.body
        }
        let note = (internalNote ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !ApplicationRules.requiresMessage(to: to) || !text.isEmpty else {
            throw ApplicationStepRefused.invalid("「\(to.label)」にするときは、申請者へのメッセージを入力するか定型文を選んでください。")
        }
        guard text.count <= Self.maximumMessageLength, note.count <= Self.maximumMessageLength else {
            throw ApplicationStepRefused.invalid("メッセージとメモは\(Self.maximumMessageLength)文字以内にしてください。")
        }
        return StaffMove(
            from: from, to: to, message: text.isEmpty ? nil : text, internalNote: note.isEmpty ? nil : note)
    }

    /// Runs a prepared move (see `transition`).
    public func move(applicationID: Int64, _ move: StaffMove, staff: Int64, origin: RequestOrigin, at now: Date) throws
    {
        try transition(
            applicationID: applicationID, staff: staff, from: move.from, to: move.to, message: move.message,
            internalNote: move.internalNote, origin: origin, at: now)
    }

    /// Checks an internal note's length and adds it.
    public func addCheckedNote(applicationID: Int64, staff: Int64, note: String, origin: RequestOrigin, at now: Date)
        throws
    {
        let text = note.trimmingCharacters(in: Self.blank)
        guard (1...Self.maximumMessageLength).contains(text.count) else {
            throw ApplicationStepRefused.invalid("メモを\(Self.maximumMessageLength)文字以内で入力してください。")
        }
        try addNote(applicationID: applicationID, staff: staff, note: text, origin: origin, at: now)
    }

    /// What openapi.yaml's "not only spaces" (`pattern: "\\S"`) counts as space, as a validator using Python's
    /// `re` reads it: Unicode white space and line breaks, and the separators U+001C–U+001F that Foundation's set
    /// leaves out (schemathesis sent a title of one form feed, which the old trim of spaces alone kept).
    static let blank = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{1C}\u{1D}\u{1E}\u{1F}"))

    /// Templates word the moves staff make (the table's CHECK agrees): not the resident's own submit
    /// (`received`) or withdrawal, and not a draft.
    public static let templateStatusRefused = ApplicationStepRefused.refusedValue(
        field: "to_status",
        message: "使う場面（to_status）には、職員が申請を進める状態（"
            + ApplicationRules.staffMoveTargets.map(\.rawValue).joined(separator: "、") + "）を指定してください。")

    /// Creates (id nil) or edits a response template, audited. Callers check the role: supervisors and up.
    @discardableResult
    public func saveTemplate(
        id: Int64?, title: String, toStatus: ApplicationStatus?, body: String, staff: Int64, origin: RequestOrigin,
        at now: Date
    ) throws -> Int64 {
        let title = title.trimmingCharacters(in: Self.blank)
        let body = body.trimmingCharacters(in: Self.blank)
        // Counted in Unicode scalars, as the table's CHECK (SQLite's length()) counts them: a title of 100
        // letters with combining marks is 100 characters to Swift but up to 200 to SQLite.
        guard (1...100).contains(title.unicodeScalars.count),
            (1...Self.maximumMessageLength).contains(body.unicodeScalars.count)
        else {
            throw ApplicationStepRefused.invalid("件名（100文字以内）と本文（2000文字以内）を入力してください。")
        }
        if let toStatus, !ApplicationRules.staffMoveTargets.contains(toStatus) {
            throw Self.templateStatusRefused
        }
        return try database.write { connection in
            if let id, try ApplicationStore.fetchTemplate(id: id, on: connection) == nil {
                throw ApplicationStepRefused.notFound
            }
            let saved = try ApplicationStore.saveTemplate(
                id: id, title: title, toStatus: toStatus, body: body, staffID: staff, at: now, on: connection)
            try AuditLog.append(
                audit(
                    .staff(id: staff), "response_template.save", subjectType: "response_template",
                    subjectID: String(saved), origin),
                at: now, on: connection)
            return saved
        }
    }
}

/// A CSV export's period: whole days in Japan time, `from` to `to` inclusive.
public struct ExportPeriod: Sendable, Equatable {
    /// 00:00 JST of the first day.
    public let start: Date
    /// 00:00 JST of the day after the last day (exclusive).
    public let end: Date
    /// The days as given (`YYYY-MM-DD`), for the file name.
    public let fromDay: String
    public let toDay: String

    /// Nil unless both are `YYYY-MM-DD` dates and `from` is not after `to`.
    public init?(from: String?, to: String?) {
        guard let from, let to, let start = JapanTime.startOfDay(from), let last = JapanTime.startOfDay(to),
            last >= start
        else { return nil }
        self.start = start
        self.end = last.addingTimeInterval(86_400)
        self.fromDay = Self.calendarDay(start)
        self.toDay = Self.calendarDay(last)
    }

    /// `YYYY-MM-DD` of a JST midnight, rebuilt from the date rather than echoed from the request, so only
    /// digits and hyphens reach the Content-Disposition header.
    static func calendarDay(_ startOfDay: Date) -> String {
        String(UTCTimestamp.format(startOfDay.addingTimeInterval(9 * 3600)).prefix(10))
    }
}
