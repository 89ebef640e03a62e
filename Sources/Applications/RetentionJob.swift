import Foundation
import Security
import Store

/// `madoguchi purge`: deletes the personal data and files of closed applications whose retention period has
/// passed, and drafts nobody confirmed within a day. Anonymous counts (status, procedure, dates, usage events)
/// stay. Each purge is audited with the application's id only.
public struct RetentionJob: Sendable {
    public struct Report: Sendable, Equatable {
        /// Ids of the applications purged (or, in a dry run, that would be).
        public var purgedApplicationIDs: [Int64] = []
        public var deletedDrafts = 0
    }

    /// Drafts are the first step of a form; a day is ample to press 送信.
    public static let draftLifetime: TimeInterval = 24 * 3600

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Runs once at `now`. A dry run reports what it would do and changes nothing.
    public func run(now: Date, dryRun: Bool = false) throws -> Report {
        if dryRun {
            return try database.read { connection in
                var report = Report()
                report.purgedApplicationIDs = try ApplicationStore.fetchPurgeCandidates(now: now, on: connection).map(
                    \.id)
                report.deletedDrafts =
                    try connection.scalar(
                        "SELECT count(*) FROM applications WHERE status = 'draft' AND updated_at < ?",
                        now.addingTimeInterval(-Self.draftLifetime), as: Int.self) ?? 0
                return report
            }
        }
        return try database.write { connection in
            var report = Report()
            for candidate in try ApplicationStore.fetchPurgeCandidates(now: now, on: connection) {
                try ApplicationStore.purgeApplication(id: candidate.id, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        actor: .job(name: "purge"), action: "application.purge", subjectType: "application",
                        subjectID: String(candidate.id)),
                    at: now, on: connection)
                report.purgedApplicationIDs.append(candidate.id)
            }
            report.deletedDrafts = try ApplicationStore.deleteDrafts(
                olderThan: now.addingTimeInterval(-Self.draftLifetime), on: connection)
            return report
        }
    }
}
