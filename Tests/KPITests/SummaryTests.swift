import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@testable import KPI

/// The report reads `kpi_usage_summary`, which UsageEvents keeps beside each event (issue #11 item 8, "Fast at
/// any size"); migration 0017 backfills it from the events recorded before it existed.
@Suite("KPI: usage summaries kept by the writer")
struct SummaryTests {
    static let summaryColumns =
        "fiscal_year, channel, source, kind, subject_code, district_code, month, resident_key, events, paper_pages"

    /// The statement 0017 runs over existing events, exactly as bench/kpi runs it after seeding by SQL.
    static func backfillStatement() throws -> String {
        let text = try String(
            contentsOf: RepositoryPaths.migrations.appendingPathComponent("0017_kpi_summaries.sql"), encoding: .utf8)
        let parts = text.components(separatedBy: "-- Backfill:")
        try #require(parts.count == 2)
        return "-- Backfill:" + parts[1]
    }

    func summaryRows(_ scenario: KPIScenario) throws -> [String] {
        try scenario.database.read { connection in
            let row = Self.summaryColumns.replacingOccurrences(of: ", ", with: " || '|' || ")
            return try connection.query(
                "SELECT \(row) AS row FROM kpi_usage_summary ORDER BY \(Self.summaryColumns)"
            ).map { try $0.get("row", as: String.self) }
        }
    }

    @Test func theWritersSummaries_equalTheBackfillOfTheSameEvents_andTheReportIsUnchanged() throws {
        let scenario = try KPIScenario()
        try scenario.record(.resident(id: 1), at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 1), at: "2030-05-02T00:00:00Z")
        try scenario.record(.resident(id: 1), pages: 3, at: "2030-05-31T15:00:00Z")
        try scenario.record(.resident(id: 2), channel: .line, pages: 2, at: "2031-03-31T14:59:59Z")
        try scenario.record(.guest(record: "application", id: 4), at: "2029-07-01T00:00:00Z")
        try scenario.record(
            .resident(id: 3), "payments", "paid", channel: .counter, subject: "cash", at: "2030-06-01T00:00:00Z")
        for id in [5, 5, 6] {
            try scenario.record(
                .resident(id: Int64(id)), "classes", "attended", channel: .counter, subject: "satisfaction-4",
                district: "furenai", at: "2030-09-01T00:00:00Z")
        }
        let written = try summaryRows(scenario)
        let before = try scenario.report(2030)
        // Resident 1's May acts merge into one row; the one at 00:00 JST on June 1st is June's.
        #expect(written.count == 7)
        let backfill = try Self.backfillStatement()
        try scenario.database.write { connection in
            try connection.run("DELETE FROM kpi_usage_summary")
            try connection.run(backfill)
        }
        #expect(try summaryRows(scenario) == written)
        #expect(try scenario.report(2030) == before)
    }

    @Test func anEventWhoseWriteRollsBack_leavesNoSummaryBehind() throws {
        struct Refused: Error {}
        let scenario = try KPIScenario()
        let event = UsageEvent(source: "applications", kind: "submitted", channel: .web, person: .resident(id: 1))
        #expect(throws: Refused.self) {
            try scenario.database.write { connection in
                try UsageEvents.record(event, at: KPIScenario.instant("2030-05-01T00:00:00Z"), on: connection)
                throw Refused()
            }
        }
        #expect(try summaryRows(scenario).isEmpty)
        #expect(try scenario.value("online_users", 2030) == 0)
    }
}
