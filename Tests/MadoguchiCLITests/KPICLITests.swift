import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@Suite("madoguchi kpi")
struct KPICLITests {
    let directory = TemporaryDirectory()

    func seededDatabase() throws -> String {
        let path = directory.path("kpi.sqlite")
        let migrate = try ProcessRunner.run(["migrate", "--db", path])
        #expect(migrate.exitCode == 0, "\(migrate.stderr)")
        let database = try Database(path: path)
        defer { database.close() }
        try database.write { connection in
            // 2031-03-31 23:59:59 JST (FY2030) and 2031-04-01 00:00 JST (FY2031).
            for (id, time) in [(1, "2031-03-31T14:59:59Z"), (2, "2031-03-31T15:00:00Z"), (1, "2030-04-01T00:00:00Z")] {
                try UsageEvents.record(
                    UsageEvent(
                        source: "applications", kind: "submitted", channel: .web, person: .resident(id: Int64(id))),
                    at: UTCTimestamp.parse(time)!, on: connection)
            }
        }
        return path
    }

    @Test func printsTheYearAsJSON_CSV_andATable() throws {
        let path = try seededDatabase()
        let json = try ProcessRunner.run(["kpi", "--fy", "2030", "--format", "json", "--db", path])
        #expect(json.exitCode == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["fiscal_year_label"] as? String == "令和12年度")
        let indicators = try #require(object["indicators"] as? [[String: Any]])
        #expect(indicators.first { $0["id"] as? String == "online_users" }?["value"] as? Double == 1)

        let csv = try ProcessRunner.run(["kpi", "--fy", "2031", "--format", "csv", "--db", path])
        #expect(csv.exitCode == 0)
        #expect(csv.stdout.hasPrefix("\u{FEFF}年度,和暦,指標ID"))
        #expect(csv.stdout.contains("2031,令和13年度,online_users,行政手続きオンラインシステム利用人数,人,年度,1,"))

        let table = try ProcessRunner.run(["kpi", "--fy", "2030", "--db", path])
        #expect(table.exitCode == 0)
        #expect(table.stdout.contains("令和12年度"))
        #expect(table.stdout.contains("行政手続きオンラインシステム利用人数\t1人\tR12 500人"))
    }

    @Test func aBadYearOrFormat_isAUsageError() throws {
        let path = try seededDatabase()
        let year = try ProcessRunner.run(["kpi", "--fy", "R12", "--db", path])
        #expect(year.exitCode == 64)
        #expect(year.stderr.contains("--fy must be a four-digit year"))
        let format = try ProcessRunner.run(["kpi", "--format", "pdf", "--db", path])
        #expect(format.exitCode == 64)
        #expect(format.stderr.contains("--format must be table, json or csv"))
    }
}
