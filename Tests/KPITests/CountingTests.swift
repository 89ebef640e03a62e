import Applications
import Foundation
import Notices
import ServiceKit
import Store
import TestSupport
import Testing

@testable import KPI

/// Known event sets in, every indicator out exactly (issue #11, "Done when").
@Suite("KPI: counting usage events per fiscal year")
struct CountingTests {
    @Test func anActAt2359OnMarch31stCountsInTheOldYear_andOneAtMidnightOnApril1stInTheNew() throws {
        let scenario = try KPIScenario()
        // 2031-03-31 23:59:59 JST and 2031-04-01 00:00:00 JST.
        try scenario.record(.resident(id: 1), at: "2031-03-31T14:59:59Z")
        try scenario.record(.resident(id: 2), at: "2031-03-31T15:00:00Z")
        let old = try scenario.report(2030)
        let new = try scenario.report(2031)
        #expect(old.indicator("online_users")?.value == 1)
        #expect(new.indicator("online_users")?.value == 1)
        // The monthly trend puts them in March (the old year's last month) and April (the new year's first).
        #expect(old.indicator("online_users")?.monthly?.last == 1)
        #expect(old.indicator("online_users")?.monthly?.first == 0)
        #expect(new.indicator("online_users")?.monthly?.first == 1)
        #expect(old.fiscalYearLabel == "令和12年度")
        #expect(new.months.first == "2031-04")
        #expect(new.months.last == "2032-03")
    }

    @Test func aResidentActiveInTwoYearsCountsOnceInEach_andOnceCumulatively() throws {
        let scenario = try KPIScenario()
        try scenario.record(.resident(id: 1), at: "2029-06-01T00:00:00Z")
        try scenario.record(.resident(id: 1), at: "2030-06-01T00:00:00Z")
        try scenario.record(.resident(id: 2), at: "2030-07-01T00:00:00Z")
        let first = try #require(try scenario.report(2029).indicator("online_users"))
        let second = try #require(try scenario.report(2030).indicator("online_users"))
        #expect(first.value == 1)
        #expect(first.cumulative == 1)
        #expect(second.value == 2)
        #expect(second.cumulative == 2)
    }

    @Test func repeatedEventsByOneResidentCountOnce() throws {
        let scenario = try KPIScenario()
        for day in 1...5 {
            try scenario.record(.resident(id: 7), at: "2030-05-0\(day)T03:00:00Z")
        }
        try scenario.record(.resident(id: 7), "applications", "looked_up", at: "2030-05-06T03:00:00Z")
        let figure = try #require(try scenario.report(2030).indicator("online_users"))
        #expect(figure.value == 1)
        #expect(figure.monthly?[1] == 1)
        #expect(figure.byModule == [Breakdown(key: "applications", label: "オンライン申請", value: 1, counted: true)])
    }

    @Test func aGuestCountsOncePerApplication_andTheReportSaysSo() throws {
        let scenario = try KPIScenario()
        try scenario.record(.guest(record: "application", id: 1), at: "2030-05-01T00:00:00Z")
        try scenario.record(
            .guest(record: "application", id: 1), "applications", "looked_up", at: "2030-05-02T00:00:00Z")
        try scenario.record(.guest(record: "application", id: 2), at: "2030-05-03T00:00:00Z")
        let report = try scenario.report(2030)
        #expect(report.indicator("online_users")?.value == 2)
        #expect(report.guestNote.contains("申請1件ごとに1人"))
    }

    @Test func counterActsAreShownBesideOnlineUse_butNotCounted() throws {
        let scenario = try KPIScenario()
        try scenario.record(.resident(id: 1), channel: .web, at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 2), channel: .line, at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 1), channel: .line, at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 3), channel: .counter, at: "2030-05-01T00:00:00Z")
        try scenario.record(
            .resident(id: 4), "payments", "paid", channel: .web, subject: "credit_card", at: "2030-06-01T00:00:00Z")
        let figure = try #require(try scenario.report(2030).indicator("online_users"))
        #expect(figure.value == 3)
        #expect(
            figure.byChannel == [
                Breakdown(key: "web", label: "ウェブ", value: 2, counted: true),
                Breakdown(key: "counter", label: "窓口（代理入力）", value: 1, counted: false),
                Breakdown(key: "line", label: "LINE", value: 2, counted: true),
            ])
        #expect(figure.byModule?.map(\.key) == ["applications", "payments"])
        #expect(figure.byModule?.map(\.value) == [2, 1])
    }

    @Test func aYearWithNoEvents_showsZeros_andNoRateWithoutAPopulation() throws {
        let scenario = try KPIScenario()
        let report = try scenario.report(2030)
        #expect(report.indicator("online_users")?.value == 0)
        #expect(report.indicator("online_users")?.cumulative == 0)
        #expect(report.indicator("smartphone_classes")?.value == 0)
        #expect(report.indicator("smartphone_classes")?.districtsCovered == 0)
        #expect(report.indicator("smartphone_classes")?.judgement == .offTrack)
        // No residents, nothing entered: the default population is 0, so there is no rate.
        let line = try #require(report.indicator("line_registration_rate"))
        #expect(line.value == nil)
        #expect(line.valueText == "—")
        #expect(line.judgement == .notAvailable)
        #expect(report.indicator("paperless_print_cost")?.value == nil)
        #expect(report.indicator("paperless_print_cost")?.judgement == .notAvailable)
        #expect(report.indicator("class_satisfaction")?.value == nil)
    }

    @Test func aPopulationOf0_givesNoRate_notADivisionByZero() throws {
        let scenario = try KPIScenario()
        try Fixtures.makeResidents(scenario.database, count: 2, at: KPIScenario.instant("2030-05-01T00:00:00Z"))
        let admin = try Fixtures.makeStaff(scenario.database, loginID: "admin", role: .admin)
        try scenario.enter(.population, 0, fiscalYear: 2030, staffID: admin)
        let line = try #require(try scenario.report(2030).indicator("line_registration_rate"))
        #expect(line.value == nil)
        #expect(line.numeratorValue == 2)
        #expect(line.denominatorValue == 0)
        #expect(line.judgement == .notAvailable)
        #expect(line.caveat?.contains("算出できません") == true)
    }

    @Test func theLineRate_dividesActiveLinksAtTheYearsEndByTheEnteredPopulation_orRegisteredResidentsWithANote()
        throws
    {
        let scenario = try KPIScenario()
        // Four residents, three linked in FY2030; one of them unlinks on 2031-04-01 JST, after the year ended.
        let ids = try Fixtures.makeResidents(
            scenario.database, count: 4, at: KPIScenario.instant("2030-05-01T00:00:00Z"), linked: { $0 < 3 })
        try scenario.database.write { connection in
            try connection.run(
                "UPDATE line_links SET active = 0, unlinked_at = ?, unlinked_reason = 'resident' WHERE resident_id = ?",
                KPIScenario.instant("2031-03-31T15:00:00Z"), ids[0])
        }
        let byDefault = try #require(try scenario.report(2030).indicator("line_registration_rate"))
        #expect(byDefault.numeratorValue == 3)
        #expect(byDefault.denominatorValue == 4)
        #expect(byDefault.value == 75)
        #expect(byDefault.caveat?.contains("既定値") == true)
        #expect(try scenario.report(2031).indicator("line_registration_rate")?.numeratorValue == 2)

        let admin = try Fixtures.makeStaff(scenario.database, loginID: "admin", role: .admin)
        try scenario.enter(.population, 10, fiscalYear: 2030, staffID: admin)
        let entered = try #require(try scenario.report(2030).indicator("line_registration_rate"))
        #expect(entered.value == 30)
        #expect(entered.caveat == nil)
        // 2030 is R12: 50%以上 is the target, so 30% is off track.
        #expect(entered.target == 50)
        #expect(entered.judgement == .offTrack)
        #expect(try scenario.report(2030).line.activeLinks == 3)
    }

    @Test func classes_sessionsPerDistrict_attendees_repeatAttendees_andSatisfaction() throws {
        let scenario = try KPIScenario()
        let sessions: [(Int64, String)] = [
            (1, "biratori"), (2, "biratori"), (3, "furenai"), (4, "nukibetsu"), (5, "furenai"), (6, "biratori"),
        ]
        for (id, district) in sessions {
            try scenario.record(
                .guest(record: "class_session", id: id), "classes", "session_held", channel: .counter,
                subject: "smartphone-basics", district: district, at: "2030-0\(id + 3)-10T01:00:00Z")
        }
        // Resident 1 attends twice, resident 2 once, a guest signup once.
        for (person, session) in [
            (UsagePerson.resident(id: 1), 1), (.resident(id: 1), 3), (.resident(id: 2), 3),
            (.guest(record: "class_signup", id: 9), 4),
        ] {
            try scenario.record(
                person, "classes", "attended", channel: .counter, district: sessions[session - 1].1,
                at: "2030-0\(session + 3)-10T02:00:00Z")
        }
        for (index, score) in [5, 4, 2].enumerated() {
            try scenario.record(
                .resident(id: Int64(index + 1)), "classes", "survey_answered", channel: .web,
                subject: "satisfaction-\(score)", at: "2030-07-01T00:00:00Z")
        }
        let report = try scenario.report(2030)
        let classes = try #require(report.indicator("smartphone_classes"))
        #expect(classes.value == 6)
        #expect(classes.districtsCovered == 3)
        #expect(classes.byDistrict?.map(\.value) == [3, 2, 1])
        #expect(classes.byDistrict?.map(\.label) == ["平取", "振内", "貫気別"])
        #expect(classes.judgement == .onTrack)
        #expect(classes.targetR12Text == "年6回以上(3地区)")
        #expect(report.indicator("class_attendees")?.value == 3)
        #expect(report.indicator("class_repeat_attendees")?.value == 1)
        let satisfaction = try #require(report.indicator("class_satisfaction"))
        #expect(satisfaction.numeratorValue == 2)
        #expect(satisfaction.denominatorValue == 3)
        #expect(abs((satisfaction.value ?? 0) - 200.0 / 3) < 1e-9)
        // Class events are not online-system use unless they came in online (the survey on the web).
        #expect(report.indicator("online_users")?.value == 3)
    }

    @Test func theCashlessRatio_isOnlinePaymentsOverAllPayments() throws {
        let scenario = try KPIScenario()
        for (index, channel) in [UsageChannel.web, .web, .web, .counter].enumerated() {
            try scenario.record(
                .guest(record: "payment", id: Int64(index)), "payments", "paid", channel: channel,
                subject: channel == .web ? "credit_card" : "cash", at: "2030-09-01T00:00:00Z")
        }
        #expect(try scenario.value("cashless_ratio", 2030) == 75)
    }

    @Test func thePaperlessEstimate_isOnlinePagesTimesTheUnitCost_besideTheEnteredActual() throws {
        let scenario = try KPIScenario()
        try scenario.record(.resident(id: 1), channel: .web, pages: 3, at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 2), channel: .line, pages: 2, at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 3), channel: .counter, pages: 4, at: "2030-05-01T00:00:00Z")
        let admin = try Fixtures.makeStaff(scenario.database, loginID: "admin", role: .admin)
        try scenario.enter(.printCost, 7_500, fiscalYear: 2030, staffID: admin)
        let figure = try #require(try scenario.report(2030).indicator("paperless_print_cost"))
        #expect(figure.paperPagesSaved == 5)
        #expect(figure.estimatedSavingThousandYen == 5 * scenario.calculator.catalog.paperlessUnitCostYenPerPage / 1000)
        #expect(figure.value == 7_500)
        // 10,000 → 7,000 千円 by FY2030: 7,500 is 2,500 of the 3,000 planned, and above the line.
        #expect(abs((figure.achievementPercent ?? 0) - 250.0 / 3) < 1e-9)
        #expect(figure.judgement == .offTrack)
        try scenario.enter(.printCost, 6_900, fiscalYear: 2030, staffID: admin)
        #expect(try scenario.report(2030).indicator("paperless_print_cost")?.judgement == .onTrack)
        // Clearing the figure takes it back to "not entered".
        try scenario.enter(.printCost, nil, fiscalYear: 2030, staffID: admin)
        #expect(try scenario.value("paperless_print_cost", 2030) == nil)
    }

    @Test func theStraightLine_runsFromTheBaselineToR12_thenToR17() throws {
        let catalog = try KPIModule.loadCatalog(schemasDirectory: RepositoryPaths.schemas)
        let users = try #require(catalog.indicator(id: "online_users"))
        #expect(KPICalculator.expected(users, fiscalYear: 2025) == 0)
        #expect(KPICalculator.expected(users, fiscalYear: 2028) == 300)
        #expect(KPICalculator.expected(users, fiscalYear: 2030) == 500)
        #expect(KPICalculator.expected(users, fiscalYear: 2033) == 680)
        #expect(KPICalculator.expected(users, fiscalYear: 2040) == 800)
        let staff = try #require(catalog.indicator(id: "staff_headcount"))
        #expect(KPICalculator.expected(staff, fiscalYear: 2027) == 171.8)
        #expect(KPICalculator.judge(staff, value: 171, expected: 171.8, districtsCovered: nil) == .onTrack)
        #expect(KPICalculator.judge(staff, value: 172, expected: 171.8, districtsCovered: nil) == .offTrack)
    }

    @Test func purgeNeverChangesACount() throws {
        let scenario = try KPIScenario()
        let residentID = try Fixtures.makeResident(scenario.database, password: nil)
        for person in [Int64?.some(residentID), nil] { try scenario.recordWithdrawnApplication(residentID: person) }
        let before = try scenario.report(2030, now: "2035-01-01T00:00:00Z")
        let purged = try RetentionJob(database: scenario.database).run(now: KPIScenario.instant("2035-01-01T00:00:00Z"))
        #expect(purged.purgedApplicationIDs.count == 2)
        let after = try scenario.report(2030, now: "2035-01-01T00:00:00Z")
        #expect(before.indicator("online_users")?.value == 2)
        #expect(after == before)
    }
}

struct DraftNotSaved: Error {}
