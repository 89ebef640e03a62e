import Foundation
import Store

/// How many residents had an active LINE link at the end of a day in Japan: the KPI's 公式LINE登録率 counts
/// them without reading Notices' `line_links` itself. Notices implements it; App hands it to the KPI module.
/// It runs on the caller's connection, so a report reads every figure from one snapshot.
public protocol LineLinkCensus: Sendable {
    /// Links made by the end of `day` (`YYYY-MM-DD`, JST) and not ended by then.
    func activeLinks(atEndOf day: String, on connection: Connection) throws -> Int
}
