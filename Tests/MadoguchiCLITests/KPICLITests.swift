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

@Suite("madoguchi kpi pull-line-insight")
struct KPIPullLineInsightCLITests {
    let directory = TemporaryDirectory()

    @Test func storesTheDayLINEAnswers_andSaysSo() throws {
        let fake = try FakeLINEAPI()
        fake.setFollowerStatistics(.ready(followers: 120, targetedReaches: 100, blocks: 7), forDate: "20301201")
        let path = directory.path("insight.sqlite")
        #expect(try ProcessRunner.run(["migrate", "--db", path]).exitCode == 0)
        let environment = try fake.senderEnvironment(in: directory)
        let ready = try ProcessRunner.run(
            ["kpi", "pull-line-insight", "--date", "2030-12-01", "--db", path], environment: environment)
        #expect(ready.exitCode == 0, "\(ready.stderr)")
        #expect(ready.stdout == "2030-12-01: ready, followers 120, blocks 7\n")
        let unready = try ProcessRunner.run(
            ["kpi", "pull-line-insight", "--date", "2030-12-02", "--db", path], environment: environment)
        #expect(unready.stdout == "2030-12-02: unready\n")
        let database = try Database(path: path)
        defer { database.close() }
        let rows = try database.read { try $0.query("SELECT day, status, blocks FROM kpi_line_followers ORDER BY day") }
        #expect(try rows.map { try $0.get("status", as: String.self) } == ["ready", "unready"])
        #expect(try rows.map { try $0.get("blocks", as: Int?.self) } == [7, nil])

        var wrongToken = environment
        try "not-the-token\n".write(toFile: directory.path("wrong-token"), atomically: true, encoding: .utf8)
        wrongToken["MADOGUCHI_LINE_CHANNEL_TOKEN_FILE"] = directory.path("wrong-token")
        let refused = try ProcessRunner.run(
            ["kpi", "pull-line-insight", "--date", "2030-12-03", "--db", path], environment: wrongToken)
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("LINE answered 401"))
        #expect(!refused.stderr.contains("not-the-token"))
        let badDate = try ProcessRunner.run(["kpi", "pull-line-insight", "--date", "12/3", "--db", path])
        #expect(badDate.exitCode == 64)
    }
}
