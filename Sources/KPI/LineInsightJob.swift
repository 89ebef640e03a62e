import Formats
import Foundation
import HTTPClient
import ServiceKit
import Store

/// Where LINE is and how to authenticate, as Notices configures it (`MADOGUCHI_LINE_API_BASE`,
/// `MADOGUCHI_LINE_CHANNEL_TOKEN_FILE`). App passes Notices' answer in, so the rules (https only, a token
/// file of the right permissions) live in one place.
public protocol LINEAPIAccess {
    static func apiBase(environment: [String: String]) throws -> String
    /// The `Authorization` header's value, `Bearer <token>`.
    static func authorization(environment: [String: String]) throws -> String
}

/// What LINE said about a day that it did not answer with statistics.
public struct LineInsightRefused: Error, CustomStringConvertible, Sendable, Equatable {
    public let status: Int
    public var description: String { "LINE answered \(status) to GET /v2/bot/insight/followers" }
}

/// `GET /v2/bot/insight/followers?date=yyyyMMdd` for a JST day, stored as one `kpi_line_followers` row.
public struct LineInsightJob: Sendable {
    public let database: Database
    public let apiBase: String
    public let authorization: String

    public init(database: Database, apiBase: String, authorization: String) {
        self.database = database
        self.apiBase = apiBase
        self.authorization = authorization
    }

    /// The days a daily run asks for: yesterday and the two days before, unless already stored as final
    /// (`ready` or `out_of_service`), so a day LINE answered `unready` is asked again the next morning.
    public func daysToPull(now: Date) throws -> [String] {
        let today = CalendarDate.today(at: now)
        let candidates = (1...3).map { CalendarDate.adding(days: -$0, to: today) }
        return try database.read { connection in
            try candidates.filter { day in
                guard let stored = try KPIStore.fetchFollowerDay(day, on: connection) else { return true }
                return stored.status == "unready"
            }
        }
    }

    @discardableResult
    public func pull(day: String, now: Date) throws -> KPIStore.FollowerDay {
        let date = day.replacingOccurrences(of: "-", with: "")
        let response = try EasyHandle().perform(
            method: "GET", url: apiBase + "/v2/bot/insight/followers?date=" + date,
            headers: [("Authorization", authorization)], timeoutMilliseconds: 10_000)
        guard response.status == 200 else { throw LineInsightRefused(status: response.status) }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        let status = object["status"] as? String ?? ""
        guard ["ready", "unready", "out_of_service"].contains(status) else {
            throw LineInsightRefused(status: response.status)
        }
        func count(_ key: String) -> Int? { status == "ready" ? (object[key] as? NSNumber)?.intValue : nil }
        let stored = KPIStore.FollowerDay(
            day: day, status: status, followers: count("followers"), targetedReaches: count("targetedReaches"),
            blocks: count("blocks"))
        try database.write { try KPIStore.saveFollowerDay(stored, at: now, on: $0) }
        return stored
    }
}

/// `madoguchi kpi pull-line-insight`: LINE's own follower count (followers, targetedReaches, blocks) per day,
/// beside the residents linked in Madoguchi. madoguchi-kpi-insight.timer runs it every morning.
public enum PullLineInsightCommand<Access: LINEAPIAccess>: Command {
    public static var name: String { "kpi pull-line-insight" }
    public static var summary: String { "Store LINE's follower statistics of recent days (daily timer)." }
    public static var usage: String {
        """
        USAGE: madoguchi kpi pull-line-insight [--date YYYY-MM-DD] [--db PATH]

        Asks LINE (GET /v2/bot/insight/followers) for the followers, targeted reaches and blocks of a JST day
        and stores one row per day. Without --date: yesterday and the two days before, unless already stored;
        a day LINE has not computed yet (status unready) is stored as such and asked again the next run.

        OPTIONS:
          --date YYYY-MM-DD  One day only
          --db PATH          SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --help             Show this help

        ENVIRONMENT:
          MADOGUCHI_LINE_API_BASE            LINE's API (default https://api.line.me)
          MADOGUCHI_LINE_CHANNEL_TOKEN_FILE  File holding the channel access token

        EXIT CODES: 0 stored (ready or unready), 1 LINE refused or could not be reached, 64 usage error
        """
    }
    public static var valuedOptions: Set<String> { ["date", "db"] }

    public static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        var day: String?
        if let text = options.value("date") {
            guard let parsed = CalendarDate.parse(text), parsed == text else {
                throw CommandLineOptions.UsageError(message: "--date must be a day such as 2030-12-31, not '\(text)'")
            }
            day = parsed
        }
        let apiBase = try Access.apiBase(environment: environment)
        let authorization = try Access.authorization(environment: environment)
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "kpi_line_followers", tables: "no KPI tables")
        defer { database.close() }
        let job = LineInsightJob(database: database, apiBase: apiBase, authorization: authorization)
        let now = Date()
        for day in try day.map { [$0] } ?? job.daysToPull(now: now) {
            let stored = try job.pull(day: day, now: now)
            if let followers = stored.followers, let blocks = stored.blocks {
                print("\(day): \(stored.status), followers \(followers), blocks \(blocks)")
            } else {
                print("\(day): \(stored.status)")
            }
        }
        return .success
    }
}
