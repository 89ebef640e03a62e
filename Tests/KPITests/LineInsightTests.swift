import Foundation
import Store
import TestSupport
import Testing

@testable import KPI

/// `GET /v2/bot/insight/followers` against the fake LINE, which answers per LINE's spec (insight.yml).
@Suite("KPI: LINE follower statistics")
struct LineInsightTests {
    let fake: FakeLINEAPI
    let scenario: KPIScenario
    let job: LineInsightJob

    init() throws {
        fake = try FakeLINEAPI()
        scenario = try KPIScenario()
        job = LineInsightJob(
            database: scenario.database, apiBase: fake.baseURL,
            authorization: "Bearer \(FakeLINEAPI.Configuration().accessToken)")
    }

    @Test func aReadyDayIsStored_andTheReportShowsFollowersMinusBlocks() throws {
        fake.setFollowerStatistics(.ready(followers: 2_400, targetedReaches: 1_900, blocks: 150), forDate: "20310331")
        let stored = try job.pull(day: "2031-03-31", now: Date())
        #expect(
            stored
                == KPIStore.FollowerDay(
                    day: "2031-03-31", status: "ready", followers: 2_400, targetedReaches: 1_900, blocks: 150))
        #expect(fake.followerDatesAsked == ["20310331"])
        let line = try scenario.report(2030).line
        #expect(line.followersDay == "2031-03-31")
        #expect(line.reachableFollowers == 2_250)
        // A later day belongs to the next year's report, not this one.
        fake.setFollowerStatistics(.ready(followers: 2_500, targetedReaches: 2_000, blocks: 160), forDate: "20310401")
        try job.pull(day: "2031-04-01", now: Date())
        #expect(try scenario.report(2030).line.reachableFollowers == 2_250)
        #expect(try scenario.report(2031, now: "2031-04-02T00:00:00Z").line.reachableFollowers == 2_340)
    }

    @Test func anUnreadyDay_isStoredWithoutCounts_andAskedAgainNextRun_untilReady() throws {
        let now = KPIScenario.instant("2030-12-05T01:15:00Z")  // 10:15 JST
        #expect(try job.daysToPull(now: now) == ["2030-12-04", "2030-12-03", "2030-12-02"])
        fake.setFollowerStatistics(.ready(followers: 10, targetedReaches: 8, blocks: 1), forDate: "20301203")
        fake.setFollowerStatistics(.outOfService, forDate: "20301202")
        for day in try job.daysToPull(now: now) { try job.pull(day: day, now: now) }
        let unready = try scenario.database.read { try KPIStore.fetchFollowerDay("2030-12-04", on: $0) }
        #expect(
            unready
                == KPIStore.FollowerDay(
                    day: "2030-12-04", status: "unready", followers: nil, targetedReaches: nil, blocks: nil))
        #expect(try job.daysToPull(now: now) == ["2030-12-04"])
        fake.setFollowerStatistics(.ready(followers: 11, targetedReaches: 9, blocks: 1), forDate: "20301204")
        try job.pull(day: "2030-12-04", now: now)
        #expect(try job.daysToPull(now: now).isEmpty)
        #expect(try scenario.report(2030, now: "2030-12-05T02:00:00Z").line.reachableFollowers == 10)
    }

    @Test func aWrongToken_isRefused_andStoresNothing() throws {
        let wrong = LineInsightJob(database: scenario.database, apiBase: fake.baseURL, authorization: "Bearer wrong")
        #expect(throws: LineInsightRefused(status: 401)) { try wrong.pull(day: "2030-12-01", now: Date()) }
        #expect(try scenario.database.read { try KPIStore.fetchFollowerDay("2030-12-01", on: $0) } == nil)
    }
}
