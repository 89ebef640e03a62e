import Formats
import Foundation
import ServiceKit
import Store

/// Notices' answer to "who is linked to LINE", read from its `line_links`: the KPI's count on a day, and the
/// residents a module can reach on LINE rather than by phone.
public struct NoticesLINELinkedResidents: LINELinkedResidents {
    public init() {}

    public func activeLinks(atEndOf day: String, on connection: Connection) throws -> Int {
        guard let dayStart = JapanTime.startOfDay(day) else { return 0 }
        let nextDay = dayStart.addingTimeInterval(86_400)
        return try connection.scalar(
            """
            SELECT count(*) FROM line_links
            WHERE linked_at < ?1 AND (unlinked_at IS NULL OR unlinked_at >= ?1)
            """, nextDay, as: Int.self) ?? 0
    }

    public func linkedResidentIDs(among residentIDs: [Int64], on connection: Connection) throws -> Set<Int64> {
        guard !residentIDs.isEmpty else { return [] }
        let rows = try connection.query(
            "SELECT resident_id FROM line_links WHERE active = 1 AND resident_id IN (SELECT value FROM json_each(?))",
            "[" + residentIDs.map(String.init).joined(separator: ",") + "]")
        return Set(try rows.map { try $0.get("resident_id", as: Int64.self) })
    }
}
