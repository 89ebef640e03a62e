import Foundation
import Security
import ServiceKit
import Store

/// Every SQL statement of the KPI module. It reads `kpi_usage_summary` (which UsageEvents keeps beside each
/// usage event, migration 0017: one row per person, dimension and month, so the report's cost follows the
/// number of persons rather than of events) and
/// owns `kpi_entered_figures` and `kpi_line_followers`; residents and LINE links it reaches only through
/// Identity's API and the `LINELinkedResidents` Notices implements.
public enum KPIStore {
    // MARK: Usage events

    /// `fiscal_year = ? AND …` for a selector; the lists become `IN` lists of bound values.
    static func whereClause(_ selector: EventSelector, fiscalYears: ClosedRange<Int>, channels: [UsageChannel]? = nil)
        -> (String, [any SQLBindable])
    {
        var clauses: [String] = []
        var arguments: [any SQLBindable] = []
        if fiscalYears.lowerBound == fiscalYears.upperBound {
            clauses.append("fiscal_year = ?")
            arguments.append(fiscalYears.lowerBound)
        } else {
            clauses.append("fiscal_year BETWEEN ? AND ?")
            arguments.append(fiscalYears.lowerBound)
            arguments.append(fiscalYears.upperBound)
        }
        func list(_ column: String, _ values: [String]) {
            clauses.append("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))")
            arguments.append(contentsOf: values as [any SQLBindable])
        }
        list("channel", (channels ?? selector.channels).map(\.rawValue))
        if let source = selector.source {
            clauses.append("source = ?")
            arguments.append(source)
        }
        if let kinds = selector.kinds { list("kind", kinds) }
        if let codes = selector.subjectCodes { list("subject_code", codes) }
        return (clauses.joined(separator: " AND "), arguments)
    }

    /// Distinct persons with at least `minEvents` matching events in the years.
    static func countPersons(
        _ selector: EventSelector, fiscalYears: ClosedRange<Int>, minEvents: Int = 1,
        channels: [UsageChannel]? = nil, on connection: Connection
    ) throws -> Int {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYears, channels: channels)
        let sql =
            minEvents <= 1
            ? "SELECT count(DISTINCT resident_key) FROM kpi_usage_summary WHERE \(clause)"
            : """
            SELECT count(*) FROM (SELECT resident_key FROM kpi_usage_summary WHERE \(clause)
                                  GROUP BY resident_key HAVING sum(events) >= \(minEvents))
            """
        return try integer(sql, arguments, on: connection)
    }

    static func countEvents(_ selector: EventSelector, fiscalYear: Int, on connection: Connection) throws -> Int {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYear...fiscalYear)
        return try integer(
            "SELECT coalesce(sum(events), 0) FROM kpi_usage_summary WHERE \(clause)", arguments, on: connection)
    }

    static func sumPaperPages(_ selector: EventSelector, fiscalYear: Int, on connection: Connection) throws -> Int {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYear...fiscalYear)
        return try integer(
            "SELECT coalesce(sum(paper_pages), 0) FROM kpi_usage_summary WHERE \(clause)", arguments, on: connection)
    }

    /// Distinct persons per source module.
    static func countPersonsBySource(_ selector: EventSelector, fiscalYear: Int, on connection: Connection) throws
        -> [String: Int]
    {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYear...fiscalYear)
        return try grouped(
            """
            SELECT source AS key, count(DISTINCT resident_key) AS n FROM kpi_usage_summary WHERE \(clause)
            GROUP BY source
            """,
            arguments, on: connection)
    }

    /// Per JST month (`YYYY-MM`): distinct persons (`distinct`) or events.
    static func countByMonth(
        _ selector: EventSelector, fiscalYear: Int, distinct: Bool, on connection: Connection
    ) throws -> [String: Int] {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYear...fiscalYear)
        let measure = distinct ? "count(DISTINCT resident_key)" : "sum(events)"
        return try grouped(
            """
            SELECT month AS key, \(measure) AS n FROM kpi_usage_summary WHERE \(clause) GROUP BY month
            """, arguments, on: connection)
    }

    /// Per district code; events without a district are left out.
    static func countByDistrict(
        _ selector: EventSelector, fiscalYear: Int, distinct: Bool, on connection: Connection
    ) throws -> [String: Int] {
        let (clause, arguments) = whereClause(selector, fiscalYears: fiscalYear...fiscalYear)
        let measure = distinct ? "count(DISTINCT resident_key)" : "sum(events)"
        return try grouped(
            """
            SELECT district_code AS key, \(measure) AS n FROM kpi_usage_summary
            WHERE \(clause) AND district_code <> '' GROUP BY district_code
            """, arguments, on: connection)
    }

    /// The first fiscal year with any usage event, the start of the cumulative count.
    static func fetchFirstFiscalYear(on connection: Connection) throws -> Int? {
        try connection.scalar("SELECT min(fiscal_year) FROM kpi_usage_summary", as: Int?.self) ?? nil
    }

    private static func integer(_ sql: String, _ arguments: [any SQLBindable], on connection: Connection) throws
        -> Int
    {
        try connection.queryFirst(sql, arguments: arguments)?.get(0, as: Int?.self) ?? 0
    }

    private static func grouped(_ sql: String, _ arguments: [any SQLBindable], on connection: Connection) throws
        -> [String: Int]
    {
        var result: [String: Int] = [:]
        for row in try connection.query(sql, arguments: arguments) {
            result[try row.get("key")] = try row.get("n")
        }
        return result
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
