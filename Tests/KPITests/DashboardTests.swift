import Foundation
import Identity
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@testable import KPI

/// The staff pages, the CSV and the API over HTTP against the real server.
@Suite("KPI: dashboard, report, CSV, API and entered figures over HTTP")
struct DashboardTests {
    /// ManualTimeSource.defaultStart is 2026-04-01 00:00 UTC: FY2026 has just begun.
    static let lastYear = 2025

    func seededApp() throws -> TestApplication {
        let app = try TestApplication()
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "kakaricho", role: .supervisor)
        try Fixtures.makeStaff(app.database, loginID: "kanri", role: .admin)
        try Fixtures.makeStaff(app.database, loginID: "madoguchi", role: .clerk)
        try app.database.write { connection in
            for (id, time) in [(1, "2025-06-01T00:00:00Z"), (2, "2025-06-02T00:00:00Z"), (1, "2025-07-01T00:00:00Z")] {
                try UsageEvents.record(
                    UsageEvent(
                        source: "applications", kind: "submitted", channel: .web, person: .resident(id: Int64(id))),
                    at: UTCTimestamp.parse(time)!, on: connection)
            }
            try UsageEvents.record(
                UsageEvent(
                    source: "classes", kind: "session_held", channel: .counter,
                    person: .guest(record: "class_session", id: 1),
                    districtCode: "furenai"), at: UTCTimestamp.parse("2025-09-01T00:00:00Z")!, on: connection)
        }
        return app
    }

    func signedIn(_ app: TestApplication, _ loginID: String) throws -> Browser {
        let browser = app.browser()
        try browser.signInAsStaff(loginID)
        return browser
    }

    @Test func theDashboard_showsACardPerIndicator_chartsAsSVGWithTheirTables_andAYearSelector() throws {
        let app = try seededApp()
        let browser = try signedIn(app, "kakaricho")
        let page = try browser.get("/staff/kpi?fy=\(Self.lastYear)")
        #expect(page.status == 200)
        #expect(page.text.contains("令和7年度"))
        for id in [
            "online_users", "smartphone_classes", "paperless_print_cost", "staff_headcount",
            "line_registration_rate", "homepage_access",
        ] {
            #expect(page.text.contains("id=\"kpi-\(id)\""), "card \(id)")
        }
        #expect(page.text.contains("<svg role=\"img\""))
        #expect(page.text.contains("<title id=\"trend-title\">"))
        #expect(page.text.contains("<desc id=\"districts-desc\">平取 0回、振内 1回、貫気別 0回</desc>"))
        #expect(page.text.contains("<caption>月別オンライン利用人数（人）</caption>"))
        #expect(page.text.contains("申請1件ごとに1人"))
        #expect(page.text.contains("窓口（代理入力）（含まない）"))
        #expect(page.text.contains("<option value=\"2026\""))
        #expect(!page.text.contains("<script"))
        // This year (the default) has nothing yet.
        #expect(try browser.get("/staff/kpi").text.contains("令和8年度"))
    }

    @Test func onlySupervisorsAndAdmins_seeIt_andAnUnreadableYearIsA400() throws {
        let app = try seededApp()
        #expect(try app.request("GET", "/staff/kpi").status == 303)
        let clerk = try signedIn(app, "madoguchi")
        #expect(try clerk.get("/staff/kpi").status == 403)
        #expect(try clerk.get("/staff/kpi/report").status == 403)
        #expect(try clerk.get("/staff/kpi/export.csv").status == 403)
        let supervisor = try signedIn(app, "kakaricho")
        #expect(try supervisor.get("/staff/kpi?fy=20x5").status == 400)
        #expect(try supervisor.get("/staff/kpi/figures").status == 403)
        let dashboard = try supervisor.get("/staff/")
        #expect(dashboard.text.contains("KPI（めざすべき目標値）"))
        #expect(!(try clerk.get("/staff/").text.contains("KPI（めざすべき目標値）")))
    }

    @Test func theReport_isThePlansTable() throws {
        let app = try seededApp()
        let page = try signedIn(app, "kakaricho").get("/staff/kpi/report?fy=\(Self.lastYear)")
        #expect(page.status == 200)
        for heading in ["指標", "現状値", "目標値 R12", "目標値 R17", "実績", "達成率", "判定"] {
            #expect(page.text.contains("<th scope=\"col\">\(heading)</th>"))
        }
        #expect(page.text.contains("行政手続きオンラインシステム利用人数"))
        #expect(page.text.contains("500人"))
        #expect(page.text.contains("年6回以上(3地区)"))
        #expect(page.text.contains("1回（1地区）"))
    }

    @Test func theCSV_isExcelSafe_withTheYearAndEveryMonth() throws {
        let app = try seededApp()
        let response = try signedIn(app, "kakaricho").get("/staff/kpi/export.csv?fy=\(Self.lastYear)")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(response.headers["content-disposition"] == "attachment; filename=\"kpi-2025.csv\"")
        let lines = response.text.split(separator: "\r\n").map(String.init)
        #expect(lines[0].hasPrefix("\u{FEFF}年度,和暦,指標ID"))
        #expect(lines.contains("2025,令和7年度,online_users,行政手続きオンラインシステム利用人数,人,年度,2,500人,800人,0.4,順調"))
        #expect(lines.contains("2025,令和7年度,online_users,行政手続きオンラインシステム利用人数,人,2025-06,2,,,,"))
        #expect(lines.contains("2025,令和7年度,online_users,行政手続きオンラインシステム利用人数,人,2025-07,1,,,,"))
    }

    @Test func theAPI_answersATokenWithKpiRead_only() throws {
        let app = try seededApp()
        func token(_ name: String, _ scopes: [String]) throws -> String {
            let token = APITokenRules.generateToken()
            try app.database.write {
                _ = try APITokenStore.insertToken(
                    name: name, tokenHash: APITokenRules.hash(token), scopes: scopes, at: Date(), on: $0)
            }
            return token
        }
        let reader = try token("kpi-reader", ["kpi:read"])
        let other = try token("notices", ["notices:write"])
        let answer = try app.request("GET", "/api/v1/kpi?fy=2025", headers: [("Authorization", "Bearer \(reader)")])
        #expect(answer.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect(object["fiscal_year"] as? Int == 2025)
        let indicators = try #require(object["indicators"] as? [[String: Any]])
        #expect(indicators.first { $0["id"] as? String == "online_users" }?["value"] as? Double == 2)
        #expect(try app.request("GET", "/api/v1/kpi", headers: [("Authorization", "Bearer \(other)")]).status == 403)
        #expect(try app.request("GET", "/api/v1/kpi").status == 401)
        let invalid = try app.request("GET", "/api/v1/kpi?fy=abcd", headers: [("Authorization", "Bearer \(reader)")])
        #expect(invalid.status == 400)
        #expect(String(decoding: invalid.body, as: UTF8.self).contains("invalid_fiscal_year"))
    }

    @Test func anAdminEntersFigures_everyChangeIsAuditedWithOldAndNew_andTheHistoryStays() throws {
        let app = try seededApp()
        let admin = try signedIn(app, "kanri")
        #expect(try admin.get("/staff/kpi/figures?fy=2025").status == 200)
        let saved = try admin.submit(
            "/staff/kpi/figures",
            form: [
                ("fy", "2025"), ("print_cost", "９，８００"), ("staff_headcount", "172"), ("homepage_access", ""),
                ("population", "4700"),
            ])
        #expect(saved.status == 303)
        #expect(saved.location == "/staff/kpi/figures?fy=2025&done=saved")
        _ = try admin.get("/staff/kpi/figures?fy=2025")
        _ = try admin.submit(
            "/staff/kpi/figures",
            form: [
                ("fy", "2025"), ("print_cost", "9700"), ("staff_headcount", "172"), ("homepage_access", ""),
                ("population", "4700"),
            ])
        let history = try app.database.read { try KPIStore.fetchFigureHistory(fiscalYear: 2025, on: $0) }
        #expect(history.map(\.figure) == [.printCost, .population, .staffHeadcount, .printCost])
        #expect(history[0].previousValue == 9_800)
        #expect(history[0].value == 9_700)
        #expect(history[3].previousValue == nil)
        let audits = try Fixtures.auditRecords(app.database).filter { $0.action == "kpi_figure.enter" }
        #expect(audits.map(\.subjectID) == history.reversed().map { String($0.id) })
        #expect(audits.allSatisfy { $0.subjectType == "kpi_entered_figure" })
        let page = try admin.get("/staff/kpi/figures?fy=2025")
        #expect(page.text.contains("<td>9,800</td><td>9,700</td>"))
        let dashboard = try admin.get("/staff/kpi?fy=2025")
        #expect(dashboard.text.contains("9,700千円"))

        _ = try admin.get("/staff/kpi/figures?fy=2025")
        let refused = try admin.submit("/staff/kpi/figures", form: [("fy", "2025"), ("print_cost", "-5")])
        #expect(refused.status == 422)
        #expect(refused.text.contains("0以上の整数で入力してください"))
        #expect(try app.database.read { try KPIStore.fetchFigureHistory(fiscalYear: 2025, on: $0) }.count == 4)
        let supervisor = try signedIn(app, "kakaricho")
        _ = try supervisor.get("/staff/kpi")
        #expect(try supervisor.submit("/staff/kpi/figures", form: [("fy", "2025"), ("print_cost", "1")]).status == 403)
    }
}
