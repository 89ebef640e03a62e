import Foundation
import Security
import ServiceKit
import Store

/// Every SQL statement of the KPI module but the counters' (KPICounters compiles them from the catalog). It
/// reads `kpi_counters` (migration 0019: one row per selector, fiscal year, breakdown and value, caught up
/// from the usage events before every read, so the report's cost follows neither the number of events nor of
/// persons) and owns `kpi_entered_figures` and `kpi_line_followers`; residents and LINE
/// links it reaches only through Identity's API and the `LINELinkedResidents` Notices implements.
public enum KPIStore {
    // MARK: Counters

    /// What a counter row holds: distinct persons (reaching the selector's min_events), events, paper pages.
    enum Measure: String {
        case persons, events
        case paperPages = "paper_pages"
    }

    /// One counter of a selector in a fiscal year (0 when nothing was counted).
    static func counter(
        _ measure: Measure, _ selector: EventSelector, minEvents: Int = 1, fiscalYear: Int,
        _ breakdown: KPICounters.Dimension = .year, value: String = "", on connection: Connection
    ) throws -> Int {
        try connection.queryFirst(
            """
            SELECT c.\(measure.rawValue) FROM kpi_counters AS c JOIN kpi_selectors AS s ON s.id = c.selector
            WHERE s.definition = ? AND c.fiscal_year = ? AND c.breakdown = ? AND c.value = ?
            """, KPICounters.definition(selector, minEvents: minEvents), fiscalYear, breakdown.rawValue, value
        )?.get(0, as: Int.self) ?? 0
    }

    /// A breakdown's non-zero counters by value (channel, `YYYY-MM`, module, district code).
    static func counters(
        _ measure: Measure, _ selector: EventSelector, minEvents: Int = 1, fiscalYear: Int,
        _ breakdown: KPICounters.Dimension, on connection: Connection
    ) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try connection.query(
            """
            SELECT c.value AS key, c.\(measure.rawValue) AS n
            FROM kpi_counters AS c JOIN kpi_selectors AS s ON s.id = c.selector
            WHERE s.definition = ? AND c.fiscal_year = ? AND c.breakdown = ? AND c.\(measure.rawValue) > 0
            """, KPICounters.definition(selector, minEvents: minEvents), fiscalYear, breakdown.rawValue)
        {
            result[try row.get("key")] = try row.get("n")
        }
        return result
    }

    /// Distinct persons from the first fiscal year through `fiscalYear`: each counted in the year first seen.
    static func cumulativePersons(_ selector: EventSelector, through fiscalYear: Int, on connection: Connection)
        throws -> Int
    {
        try connection.queryFirst(
            """
            SELECT coalesce(sum(c.persons), 0) FROM kpi_counters AS c JOIN kpi_selectors AS s ON s.id = c.selector
            WHERE s.definition = ? AND c.breakdown = 'first' AND c.fiscal_year <= ?
            """, KPICounters.definition(selector, minEvents: 1), fiscalYear
        )?.get(0, as: Int.self) ?? 0
    }

    /// The first fiscal year with any usage event, the start of the cumulative count (the min of an index).
    static func fetchFirstFiscalYear(on connection: Connection) throws -> Int? {
        try connection.scalar("SELECT min(fiscal_year) FROM usage_events", as: Int?.self) ?? nil
    }

    // MARK: Entered figures

    /// One stored value of an entered figure: the current one is the newest.
    public struct FigureEntry: Sendable, Equatable, Codable {
        public let id: Int64
        public let fiscalYear: Int
        public let figure: EnteredFigure
        public let value: Int?
        public let previousValue: Int?
        public let enteredAt: Date
        public let enteredByStaffID: Int64
    }

    /// The current value of each figure entered for the year (a cleared figure is absent).
    static func fetchCurrentFigures(fiscalYear: Int, on connection: Connection) throws -> [EnteredFigure: Int] {
        var result: [EnteredFigure: Int] = [:]
        for entry in try fetchFigureHistory(fiscalYear: fiscalYear, on: connection).reversed() {
            result[entry.figure] = entry.value
        }
        return result.compactMapValues { $0 }
    }

    /// Every value ever entered for the year, newest first.
    static func fetchFigureHistory(fiscalYear: Int, on connection: Connection) throws -> [FigureEntry] {
        try connection.query(
            """
            SELECT id, fiscal_year, figure, value, previous_value, entered_at, entered_by_staff_id
            FROM kpi_entered_figures WHERE fiscal_year = ? ORDER BY id DESC
            """, fiscalYear
        ).map { row in
            guard let figure = EnteredFigure(rawValue: try row.get("figure")) else {
                throw RowDecodingError(column: "figure", reason: "unknown figure")
            }
            return FigureEntry(
                id: try row.get("id"), fiscalYear: try row.get("fiscal_year"), figure: figure,
                value: try row.get("value"), previousValue: try row.get("previous_value"),
                enteredAt: try row.get("entered_at"),
                enteredByStaffID: try row.get("entered_by_staff_id"))
        }
    }

    /// Appends a new value beside the one it replaces; returns the row's id, or nil when the value is the
    /// current one already (nothing changed, nothing to audit).
    @discardableResult
    static func insertFigure(
        _ figure: EnteredFigure, value: Int?, fiscalYear: Int, staffID: Int64, at time: Date, on connection: Connection
    ) throws -> Int64? {
        let current = try connection.queryFirst(
            "SELECT value FROM kpi_entered_figures WHERE fiscal_year = ? AND figure = ? ORDER BY id DESC LIMIT 1",
            fiscalYear, figure.rawValue)
        let previous = try current?.get("value", as: Int?.self)
        guard current == nil ? value != nil : previous != value else { return nil }
        try connection.run(
            """
            INSERT INTO kpi_entered_figures
                (fiscal_year, figure, value, previous_value, entered_at, entered_by_staff_id)
            VALUES (?, ?, ?, ?, ?, ?)
            """, fiscalYear, figure.rawValue, value, previous, time, staffID)
        return connection.lastInsertRowID
    }

    // MARK: LINE followers

    public struct FollowerDay: Sendable, Equatable, Codable {
        public let day: String
        public let status: String
        public let followers: Int?
        public let targetedReaches: Int?
        public let blocks: Int?
    }

    static func saveFollowerDay(_ day: FollowerDay, at time: Date, on connection: Connection) throws {
        try connection.run(
            """
            INSERT INTO kpi_line_followers (day, status, followers, targeted_reaches, blocks, fetched_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (day) DO UPDATE SET status = excluded.status, followers = excluded.followers,
                targeted_reaches = excluded.targeted_reaches, blocks = excluded.blocks, fetched_at = excluded.fetched_at
            """, day.day, day.status, day.followers, day.targetedReaches, day.blocks, time)
    }

    /// The newest ready day on or before `day`.
    static func fetchLatestReadyFollowerDay(onOrBefore day: String, on connection: Connection) throws -> FollowerDay? {
        try connection.queryFirst(
            """
            SELECT day, status, followers, targeted_reaches, blocks FROM kpi_line_followers
            WHERE day <= ? AND status = 'ready' ORDER BY day DESC LIMIT 1
            """, day
        ).map(decodeFollowerDay)
    }

    static func fetchFollowerDay(_ day: String, on connection: Connection) throws -> FollowerDay? {
        try connection.queryFirst(
            "SELECT day, status, followers, targeted_reaches, blocks FROM kpi_line_followers WHERE day = ?", day
        ).map(decodeFollowerDay)
    }

    private static func decodeFollowerDay(_ row: Row) throws -> FollowerDay {
        FollowerDay(
            day: try row.get("day"), status: try row.get("status"), followers: try row.get("followers"),
            targetedReaches: try row.get("targeted_reaches"), blocks: try row.get("blocks"))
    }
}
