import Foundation
import Store

/// The counters the KPI report reads (migration 0018), compiled from the catalog's selectors into one trigger
/// on `usage_events`, so every writer of an event (UsageEvents.record, in the event's own transaction) keeps
/// them, and the report's cost stays the same at 10k or 5M events (bench/kpi).
///
/// Each distinct selector gets an id and only the breakdowns its indicators show: persons per year and channel,
/// and for `min_events` 1 per month, module and district plus the first year (the cumulative count); events
/// and paper pages per year, and per month and district for the `count` method.
public struct KPICounters: Sendable, Equatable {
    /// What one selector is counted by; two indicators with the same selector and threshold share one.
    public struct Compiled: Sendable, Equatable {
        public let id: Int
        public let selector: EventSelector
        public let minEvents: Int
        public var personBreakdowns: Set<Dimension> = []
        public var eventBreakdowns: Set<Dimension> = []
        public var paperPages = false

        /// Canonical JSON, stored in `kpi_selectors.definition` and used to find the selector's counters.
        public var definition: String { KPICounters.definition(selector, minEvents: minEvents) }
    }

    /// `kpi_counters.breakdown`; `first` (first year seen) is not in kpi_seen but in kpi_first_seen.
    public enum Dimension: String, Sendable, CaseIterable, Comparable {
        case year, channel, month, source, district

        public static func < (left: Dimension, right: Dimension) -> Bool {
            allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
        }
    }

    public static let triggerName = "kpi_counts_usage_event"

    public let selectors: [Compiled]

    public init(catalog: IndicatorCatalog) {
        var selectors: [Compiled] = []
        func use(_ selector: EventSelector, minEvents: Int = 1, _ update: (inout Compiled) -> Void) {
            let key = Self.definition(selector, minEvents: minEvents)
            if let index = selectors.firstIndex(where: { $0.definition == key }) {
                update(&selectors[index])
            } else {
                var compiled = Compiled(id: selectors.count + 1, selector: selector, minEvents: minEvents)
                update(&compiled)
                selectors.append(compiled)
            }
        }
        for indicator in catalog.indicators {
            switch indicator.method {
            case .distinctResidents:
                let minEvents = indicator.minEvents ?? 1
                use(indicator.events!, minEvents: minEvents) { compiled in
                    compiled.personBreakdowns.formUnion([.year, .channel])
                    if minEvents == 1 {
                        compiled.personBreakdowns.formUnion([.month, .district])
                        if indicator.events!.source == nil { compiled.personBreakdowns.insert(.source) }
                    }
                }
            case .count:
                use(indicator.events!) { $0.eventBreakdowns.formUnion([.year, .month, .district]) }
            case .ratio:
                for term in [indicator.numerator!, indicator.denominator!] where term.of == .events {
                    use(term.events!) { $0.eventBreakdowns.insert(.year) }
                }
            case .entered:
                break
            }
            if let selector = indicator.paperPagesOf {
                use(selector) { $0.paperPages = true }
            }
        }
        self.selectors = selectors
    }

    static func definition(_ selector: EventSelector, minEvents: Int) -> String {
        struct Canonical: Encodable {
            let source: String?
            let kinds: [String]?
            let subjectCodes: [String]?
            let channels: [String]
            let minEvents: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let canonical = Canonical(
            source: selector.source, kinds: selector.kinds?.sorted(), subjectCodes: selector.subjectCodes?.sorted(),
            channels: selector.channels.map(\.rawValue).sorted(), minEvents: minEvents)
        return String(decoding: try! encoder.encode(canonical), as: UTF8.self)
    }

    // MARK: SQL

    /// How an event row is named: `NEW` inside the trigger, `e` when the rebuild reads usage_events.
    struct Row {
        let name: String
        let table: String
        let replay: Bool

        static let trigger = Row(name: "NEW", table: "", replay: false)
        static let rebuild = Row(name: "e", table: "usage_events AS e", replay: true)

        func column(_ name: String) -> String { "\(self.name).\(name)" }
        var month: String { "substr(datetime(\(column("occurred_at")), '+9 hours'), 1, 7)" }
        func from(joining other: String) -> String { table.isEmpty ? "FROM \(other)" : "FROM \(table), \(other)" }
        var fromAlone: String { table.isEmpty ? "" : "FROM \(table)" }
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    static func list(_ values: [String]) -> String { "(" + values.map(literal).joined(separator: ", ") + ")" }

    /// The selector without its channels, and its channels: the channel breakdown counts every channel.
    static func match(_ selector: EventSelector, _ row: Row) -> (base: String, channel: String) {
        var clauses = ["1"]
        if let source = selector.source { clauses.append("\(row.column("source")) = \(literal(source))") }
        if let kinds = selector.kinds { clauses.append("\(row.column("kind")) IN \(list(kinds))") }
        if let codes = selector.subjectCodes { clauses.append("\(row.column("subject_code")) IN \(list(codes))") }
        return (
            clauses.joined(separator: " AND "),
            "\(row.column("channel")) IN \(list(selector.channels.map(\.rawValue)))"
        )
    }

    static func breakdownValue(_ row: Row) -> String {
        """
        CASE b.column1 WHEN 'year' THEN '' WHEN 'channel' THEN \(row.column("channel")) \
        WHEN 'month' THEN \(row.month) WHEN 'source' THEN \(row.column("source")) \
        ELSE \(row.column("district_code")) END
        """
    }

    static func values(_ breakdowns: Set<Dimension>) -> String {
        "(VALUES " + breakdowns.sorted().map { "('\($0.rawValue)')" }.joined(separator: ", ") + ") AS b"
    }

    /// The breakdown's own condition: channel counts any channel of the selector's kinds; the rest only the
    /// selector's channels; district only events that have one.
    static func breakdownCondition(_ match: (base: String, channel: String), _ row: Row) -> String {
        """
        \(match.base) AND (b.column1 = 'channel' OR \(match.channel)) \
        AND (b.column1 <> 'district' OR coalesce(\(row.column("district_code")), '') <> '')
        """
    }

    /// The statements that count one event (`row` = NEW) or replay every event (`row` = e).
    func statements(_ row: Row) -> [String] {
        var statements: [String] = []
        for compiled in selectors {
            let match = Self.match(compiled.selector, row)
            let id = compiled.id
            if !compiled.personBreakdowns.isEmpty {
                let seenColumns = "(selector, fiscal_year, breakdown, value, resident_key, events)"
                let select = """
                    SELECT \(id), \(row.column("fiscal_year")), b.column1, \(Self.breakdownValue(row)), \
                    \(row.column("resident_key")), \(row.replay && compiled.minEvents > 1 ? "count(*)" : "1")
                    \(row.from(joining: Self.values(compiled.personBreakdowns)))
                    WHERE \(Self.breakdownCondition(match, row))\(row.replay ? " GROUP BY 1, 2, 3, 4, 5" : "")
                    """
                if compiled.minEvents == 1 {
                    statements.append("INSERT OR IGNORE INTO kpi_seen \(seenColumns)\n\(select)")
                } else {
                    statements.append(
                        "INSERT INTO kpi_seen \(seenColumns)\n\(select)\n"
                            + "ON CONFLICT DO UPDATE SET events = events + excluded.events")
                }
                if compiled.minEvents == 1 {
                    statements.append(
                        """
                        INSERT INTO kpi_first_seen (selector, resident_key, fiscal_year)
                        SELECT \(id), \(row.column("resident_key")), \
                        \(row.replay ? "min(\(row.column("fiscal_year")))" : row.column("fiscal_year"))
                        \(row.fromAlone)
                        WHERE \(match.base) AND \(match.channel)\(row.replay ? " GROUP BY 1, 2" : "")
                        ON CONFLICT DO UPDATE SET fiscal_year = excluded.fiscal_year
                        WHERE excluded.fiscal_year < kpi_first_seen.fiscal_year
                        """)
                }
            }
            var eventBreakdowns = compiled.eventBreakdowns
            if compiled.paperPages { eventBreakdowns.insert(.year) }
            if !eventBreakdowns.isEmpty {
                let pages = "coalesce(\(row.column("paper_pages")), 0)"
                statements.append(
                    """
                    INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, events, paper_pages)
                    SELECT \(id), \(row.column("fiscal_year")), b.column1, \(Self.breakdownValue(row)), \
                    \(row.replay ? "count(*), sum(\(pages))" : "1, \(pages)")
                    \(row.from(joining: Self.values(eventBreakdowns)))
                    WHERE \(match.base) AND \(match.channel) \
                    AND (b.column1 <> 'district' OR coalesce(\(row.column("district_code")), '') <> '')\
                    \(row.replay ? " GROUP BY 1, 2, 3, 4" : "")
                    ON CONFLICT DO UPDATE SET events = events + excluded.events,
                        paper_pages = paper_pages + excluded.paper_pages
                    """)
            }
        }
        return statements
    }

    /// The trigger that keeps the counters; nil when no indicator counts events.
    public var triggerSQL: String? {
        let body = statements(.trigger)
        guard !body.isEmpty else { return nil }
        return "CREATE TRIGGER \(Self.triggerName) AFTER INSERT ON usage_events\nBEGIN\n"
            + body.map { $0 + ";\n" }.joined() + "END"
    }

    /// What `install` found and did.
    public enum Installation: Sendable, Equatable {
        /// The stored trigger is this catalog's: the counters are current.
        case current
        /// Counted again from every usage event, in this many seconds.
        case rebuilt(seconds: Double)
        /// Maintenance off (`MADOGUCHI_BENCH_KPI_COUNTERS=off`, bench/kpi-write only): trigger dropped.
        case off
    }

    /// Makes the stored counters this catalog's: if the trigger (and the text stored with it) is not this
    /// catalog's, counts every usage event again and installs the trigger, in one write transaction. With
    /// `maintained` false (benchmarks only) it drops the trigger and forgets the definition, so the next start
    /// with maintenance on rebuilds.
    @discardableResult
    public func install(on connection: Connection, maintained: Bool = true, at time: Date = Date()) throws
        -> Installation
    {
        guard maintained else {
            try connection.execute("DROP TRIGGER IF EXISTS \(Self.triggerName)")
            try connection.run("DELETE FROM kpi_counter_definition")
            return .off
        }
        let wanted = triggerSQL ?? ""
        let stored =
            try connection.scalar(
                "SELECT trigger_sql FROM kpi_counter_definition WHERE id = 1", as: String?.self) ?? nil
        let installed =
            try connection.scalar(
                "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?", Self.triggerName,
                as: String?.self) ?? nil
        if stored == wanted, installed == triggerSQL { return .current }
        let start = Date()
        try rebuild(on: connection)
        try connection.run(
            """
            INSERT INTO kpi_counter_definition (id, trigger_sql, rebuilt_at) VALUES (1, ?, ?)
            ON CONFLICT DO UPDATE SET trigger_sql = excluded.trigger_sql, rebuilt_at = excluded.rebuilt_at
            """, wanted, time)
        return .rebuilt(seconds: Date().timeIntervalSince(start))
    }

    /// Every counter from scratch: the same statements the trigger runs, over every stored event.
    func rebuild(on connection: Connection) throws {
        try connection.execute(
            """
            DROP TRIGGER IF EXISTS \(Self.triggerName);
            DELETE FROM kpi_seen; DELETE FROM kpi_first_seen; DELETE FROM kpi_counters; DELETE FROM kpi_selectors;
            """)
        for compiled in selectors {
            try connection.run(
                "INSERT INTO kpi_selectors (id, definition, min_events) VALUES (?, ?, ?)", compiled.id,
                compiled.definition, compiled.minEvents)
        }
        for statement in statements(.rebuild) { try connection.run(statement) }
        if let triggerSQL { try connection.execute(triggerSQL) }
    }
}
