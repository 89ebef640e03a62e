import Formats
import Foundation
import ServiceKit
import Store

/// Notices' answer to the KPI's question "how many residents were linked to LINE on that day".
public struct NoticesLineLinkCensus: LineLinkCensus {
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
}
