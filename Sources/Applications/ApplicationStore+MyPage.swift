import Foundation
import Store

/// マイページ's reads of the applications tables: only the columns the section shows, read by position, with
/// timestamps kept as their stored text. The full `StoredApplication` (answers JSON, 22 columns by name) and
/// one events query per application cost 1.2 million of マイページ's 3.65 million instructions for the demo
/// resident's four applications (callgrind, bench/route-cost mypage).
extension ApplicationStore {
    struct MyPageLine: Sendable, Equatable {
        let id: Int64
        let reference: String?
        let procedureCode: String
        let status: ApplicationStatus
    }

    /// A status change as the resident sees it in the history.
    struct MyPageEvent: Sendable, Equatable {
        /// Stored UTC text (`UTCTimestamp`).
        let at: String
        let fromStatus: ApplicationStatus?
        let toStatus: ApplicationStatus?
        let message: String?
    }

    /// The resident's submitted applications, newest first, as `fetchApplications` orders them.
    static func fetchMyPageLines(residentID: Int64, limit: Int, on connection: Connection) throws -> [MyPageLine] {
        try connection.query(
            """
            SELECT id, reference, procedure_code, status FROM applications
            WHERE resident_id = ? AND status <> 'draft' ORDER BY submitted_at DESC, id DESC LIMIT ?
            """, residentID, limit
        ).map { row in
            guard let status = ApplicationStatus(rawValue: try row.get(3)) else {
                throw RowDecodingError(column: "status", reason: "unknown status")
            }
            return MyPageLine(id: try row.get(0), reference: try row.get(1), procedureCode: try row.get(2), status: status)
        }
    }

    /// The status events of those applications in one query instead of one per application, in event order.
    static func fetchMyPageEvents(residentID: Int64, limit: Int, on connection: Connection) throws
        -> [Int64: [MyPageEvent]]
    {
        var events: [Int64: [MyPageEvent]] = [:]
        for row in try connection.query(
            """
            SELECT application_id, at, from_status, to_status, message FROM application_events
            WHERE kind = 'status' AND application_id IN (
                SELECT id FROM applications WHERE resident_id = ? AND status <> 'draft'
                ORDER BY submitted_at DESC, id DESC LIMIT ?)
            ORDER BY application_id, id
            """, residentID, limit)
        {
            let event = MyPageEvent(
                at: try row.get(1),
                fromStatus: (try row.get(2, as: String?.self)).flatMap(ApplicationStatus.init(rawValue:)),
                toStatus: (try row.get(3, as: String?.self)).flatMap(ApplicationStatus.init(rawValue:)),
                message: try row.get(4))
            events[try row.get(0), default: []].append(event)
        }
        return events
    }
}
