import Foundation
import Store

/// The counters the KPI report reads (migration 0018), compiled from the catalog's selectors into triggers on
/// `usage_events` and `kpi_acts`, so every writer of an event (UsageEvents.record, in the event's own
/// transaction) keeps them, and the report's cost stays the same at 10k or 5M events (bench/kpi).
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

    static let triggerPrefix = "kpi_counts_"

    /// How an event row is named: `NEW` inside a trigger, `e` when the rebuild reads usage_events.
    struct Row {
        let name: String
        let replay: Bool

        static let trigger = Row(name: "NEW", replay: false)
        static let rebuild = Row(name: "e", replay: true)

        func column(_ name: String) -> String { "\(self.name).\(name)" }
        var month: String { "substr(datetime(\(column("occurred_at")), '+9 hours'), 1, 7)" }
        var from: String { replay ? "\nFROM usage_events AS e" : "" }
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    static func list(_ values: [String]) -> String { "(" + values.map(literal).joined(separator: ", ") + ")" }

    /// The selector without its channels (the channel breakdown counts every channel), and its channels.
    static func match(_ selector: EventSelector, _ row: Row) -> (base: String, channel: String) {
        var clauses: [String] = []
        if let source = selector.source { clauses.append("\(row.column("source")) = \(literal(source))") }
        if let kinds = selector.kinds { clauses.append("\(row.column("kind")) IN \(list(kinds))") }
        if let codes = selector.subjectCodes { clauses.append("\(row.column("subject_code")) IN \(list(codes))") }
        return (
            clauses.isEmpty ? "1" : clauses.joined(separator: " AND "),
            "\(row.column("channel")) IN \(list(selector.channels.map(\.rawValue)))"
        )
    }

    static func value(_ dimension: Dimension, _ row: Row) -> String {
        switch dimension {
        case .year: "''"
        case .channel: row.column("channel")
        case .month: row.month
        case .source: row.column("source")
        case .district: row.column("district_code")
        }
    }

    /// Which events of the selector a breakdown counts: channel any channel, the rest the selector's
    /// channels, district only events that have one.
    static func condition(_ dimension: Dimension, _ match: (base: String, channel: String), _ row: Row) -> String {
        switch dimension {
        case .channel: "1"
        case .district: "\(match.channel) AND coalesce(\(row.column("district_code")), '') <> ''"
        default: match.channel
        }
    }

    /// Statements on usage_events: inside `kpi_counts_usage_event` (`row` = NEW) or over every stored event
    /// for the rebuild (`row` = e, grouped).
    func eventStatements(_ compiled: Compiled, _ row: Row) -> [String] {
        let match = Self.match(compiled.selector, row)
        let id = compiled.id
        let filter = { (condition: String) in "\(match.base) AND \(condition)" }
        var statements: [String] = []
        if compiled.minEvents == 1, !compiled.personBreakdowns.isEmpty {
            // One row per act that could tell something new; only a new one goes on to kpi_seen (kpi_counts_act).
            statements.append(
                """
                INSERT OR IGNORE INTO kpi_acts
                    (selector, fiscal_year, month, channel, source, district_code, resident_key, counted)
                SELECT \(row.replay ? "DISTINCT " : "")\(id), \(row.column("fiscal_year")), \(row.month), \
                \(row.column("channel")), \(row.column("source")), coalesce(\(row.column("district_code")), ''), \
                \(row.column("resident_key")), \(match.channel)\(row.from)
                WHERE \(filter("1"))
                """)
        } else if !compiled.personBreakdowns.isEmpty {
            for dimension in compiled.personBreakdowns.sorted() {
                statements.append(
                    """
                    INSERT INTO kpi_seen (selector, fiscal_year, breakdown, value, resident_key, events)
                    SELECT \(id), \(row.column("fiscal_year")), '\(dimension.rawValue)', \(Self.value(dimension, row)), \
                    \(row.column("resident_key")), \(row.replay ? "count(*)" : "1")\(row.from)
                    WHERE \(filter(Self.condition(dimension, match, row)))\(row.replay ? " GROUP BY 1, 2, 3, 4, 5" : "")
                    ON CONFLICT DO UPDATE SET events = events + excluded.events
                    """)
            }
        }
        var eventBreakdowns = compiled.eventBreakdowns
        if compiled.paperPages { eventBreakdowns.insert(.year) }
        let pages = "coalesce(\(row.column("paper_pages")), 0)"
        for dimension in eventBreakdowns.sorted() {
            statements.append(
                """
                INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, events, paper_pages)
                SELECT \(id), \(row.column("fiscal_year")), '\(dimension.rawValue)', \(Self.value(dimension, row)), \
                \(row.replay ? "count(*), sum(\(pages))" : "1, \(pages)")\(row.from)
                WHERE \(filter(Self.condition(dimension, match, row)))\(row.replay ? " GROUP BY 1, 2, 3, 4" : "")
                ON CONFLICT DO UPDATE SET events = events + excluded.events,
                    paper_pages = paper_pages + excluded.paper_pages
                """)
        }
        return statements
    }

    /// A new act of a person turns into the breakdowns it may be the first of (in `kpi_counts_act`).
    func actStatements(_ compiled: Compiled) -> [String] {
        guard compiled.minEvents == 1, !compiled.personBreakdowns.isEmpty else { return [] }
        let selected = "NEW.selector = \(compiled.id)"
        var statements: [String] = []
        for dimension in compiled.personBreakdowns.sorted() {
            let value =
                switch dimension {
                case .year: "''"
                case .channel: "NEW.channel"
                case .month: "NEW.month"
                case .source: "NEW.source"
                case .district: "NEW.district_code"
                }
            let condition =
                switch dimension {
                case .channel: selected
                case .district: "\(selected) AND NEW.counted AND NEW.district_code <> ''"
                default: "\(selected) AND NEW.counted"
                }
            statements.append(
                """
                INSERT OR IGNORE INTO kpi_seen (selector, fiscal_year, breakdown, value, resident_key, events)
                SELECT NEW.selector, NEW.fiscal_year, '\(dimension.rawValue)', \(value), NEW.resident_key, 1 WHERE \(condition)
                """)
        }
        statements.append(
            """
            INSERT INTO kpi_first_seen (selector, resident_key, fiscal_year)
            SELECT NEW.selector, NEW.resident_key, NEW.fiscal_year WHERE \(selected) AND NEW.counted
            ON CONFLICT DO UPDATE SET fiscal_year = excluded.fiscal_year
            WHERE excluded.fiscal_year < kpi_first_seen.fiscal_year
            """)
        return statements
    }

    /// The counters' own triggers: a new kpi_seen row (or a person reaching min_events) is +1 person, a new
    /// first year +1 in that year, a first year moving back −1 in the old one.
    static let counterTriggers: [(name: String, sql: String)] = [
        (
            "kpi_counts_first",
            """
            CREATE TRIGGER kpi_counts_first AFTER INSERT ON kpi_first_seen
            BEGIN
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            VALUES (NEW.selector, NEW.fiscal_year, 'first', '', 1) ON CONFLICT DO UPDATE SET persons = persons + 1;
            END
            """
        ),
        (
            "kpi_counts_first_moved",
            """
            CREATE TRIGGER kpi_counts_first_moved AFTER UPDATE OF fiscal_year ON kpi_first_seen
            BEGIN
            UPDATE kpi_counters SET persons = persons - 1
            WHERE selector = OLD.selector AND fiscal_year = OLD.fiscal_year AND breakdown = 'first' AND value = '';
            DELETE FROM kpi_counters
            WHERE selector = OLD.selector AND fiscal_year = OLD.fiscal_year AND breakdown = 'first' AND value = ''
                AND persons = 0;
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            VALUES (NEW.selector, NEW.fiscal_year, 'first', '', 1) ON CONFLICT DO UPDATE SET persons = persons + 1;
            END
            """
        ),
        (
            "kpi_counts_repeat",
            """
            CREATE TRIGGER kpi_counts_repeat AFTER UPDATE OF events ON kpi_seen
            WHEN OLD.events < (SELECT min_events FROM kpi_selectors WHERE id = NEW.selector)
                AND NEW.events >= (SELECT min_events FROM kpi_selectors WHERE id = NEW.selector)
            BEGIN
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            VALUES (NEW.selector, NEW.fiscal_year, NEW.breakdown, NEW.value, 1)
            ON CONFLICT DO UPDATE SET persons = persons + 1;
            END
            """
        ),
        (
            "kpi_counts_seen",
            """
            CREATE TRIGGER kpi_counts_seen AFTER INSERT ON kpi_seen
            WHEN NEW.events >= (SELECT min_events FROM kpi_selectors WHERE id = NEW.selector)
            BEGIN
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            VALUES (NEW.selector, NEW.fiscal_year, NEW.breakdown, NEW.value, 1)
            ON CONFLICT DO UPDATE SET persons = persons + 1;
            END
            """
        ),
    ]

    /// One trigger per table, each selector's statements guarded by its WHERE: every fired trigger is a
    /// sub-program SQLite sets up per row (on the bench host an empty trigger cost a quarter of the bare
    /// insert), while a statement whose WHERE is false costs a few instructions.
    public var triggers: [(name: String, sql: String)] {
        var result = Self.counterTriggers
        let acts = selectors.flatMap(actStatements)
        if !acts.isEmpty {
            let name = "\(Self.triggerPrefix)act"
            result.append((name, Self.trigger(name, on: "kpi_acts", acts)))
        }
        let events = selectors.flatMap { eventStatements($0, .trigger) }
        if !events.isEmpty {
            let name = "\(Self.triggerPrefix)usage_event"
            result.append((name, Self.trigger(name, on: "usage_events", events)))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The rebuild's bulk form of kpi_counts_act and kpi_counts_seen/first: kpi_seen and kpi_first_seen from
    /// the acts just inserted, then the persons counters from them, each one GROUP BY.
    func bulkStatements(_ compiled: Compiled) -> [String] {
        guard compiled.minEvents == 1, !compiled.personBreakdowns.isEmpty else { return [] }
        let id = compiled.id
        var statements: [String] = []
        for dimension in compiled.personBreakdowns.sorted() {
            let value =
                switch dimension {
                case .year: "''"
                case .channel: "channel"
                case .month: "month"
                case .source: "source"
                case .district: "district_code"
                }
            let condition =
                switch dimension {
                case .channel: "1"
                case .district: "counted AND district_code <> ''"
                default: "counted"
                }
            statements.append(
                """
                INSERT INTO kpi_seen (selector, fiscal_year, breakdown, value, resident_key, events)
                SELECT selector, fiscal_year, '\(dimension.rawValue)', \(value), resident_key, 1 FROM kpi_acts
                WHERE selector = \(id) AND \(condition) GROUP BY 1, 2, 3, 4, 5
                """)
        }
        statements.append(
            """
            INSERT INTO kpi_first_seen (selector, resident_key, fiscal_year)
            SELECT selector, resident_key, min(fiscal_year) FROM kpi_acts WHERE selector = \(id) AND counted
            GROUP BY 1, 2
            """)
        return statements
    }

    static func trigger(_ name: String, on table: String, _ statements: [String]) -> String {
        "CREATE TRIGGER \(name) AFTER INSERT ON \(table)\nBEGIN\n" + statements.map { $0 + ";\n" }.joined() + "END"
    }

    /// What kpi_counter_definition stores: the triggers' text, so a changed catalog is seen at start-up.
    public var definitionText: String { triggers.map(\.sql).joined(separator: ";\n") }

    /// What `install` found and did.
    public enum Installation: Sendable, Equatable {
        /// The stored triggers are this catalog's: the counters are current.
        case current
        /// Counted again from every usage event, in this many seconds.
        case rebuilt(seconds: Double)
        /// Maintenance off (`MADOGUCHI_BENCH_KPI_COUNTERS=off`, bench/kpi-write only): triggers dropped.
        case off
    }

    /// Makes the stored counters this catalog's: if the triggers (and the text stored with them) are not this
    /// catalog's, counts every usage event again and installs the triggers, in one write transaction. With
    /// `maintained` false (benchmarks only) it drops the triggers and forgets the definition, so the next start
    /// with maintenance on rebuilds.
    @discardableResult
    public func install(on connection: Connection, maintained: Bool = true, at time: Date = Date()) throws
        -> Installation
    {
        guard maintained else {
            try Self.dropTriggers(on: connection)
            try connection.run("DELETE FROM kpi_counter_definition")
            return .off
        }
        let wanted = definitionText
        let stored =
            try connection.scalar(
                "SELECT trigger_sql FROM kpi_counter_definition WHERE id = 1", as: String?.self) ?? nil
        if stored == wanted, try Self.installedTriggers(on: connection).map(\.sql) == triggers.map(\.sql) {
            return .current
        }
        let start = Date()
        try rebuild(on: connection)
        try connection.run(
            """
            INSERT INTO kpi_counter_definition (id, trigger_sql, rebuilt_at) VALUES (1, ?, ?)
            ON CONFLICT DO UPDATE SET trigger_sql = excluded.trigger_sql, rebuilt_at = excluded.rebuilt_at
            """, wanted, time)
        return .rebuilt(seconds: Date().timeIntervalSince(start))
    }

    static func installedTriggers(on connection: Connection) throws -> [(name: String, sql: String)] {
        try connection.query(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name GLOB ? ORDER BY name",
            triggerPrefix + "*"
        ).map { (name: try $0.get("name"), sql: try $0.get("sql")) }
    }

    static func dropTriggers(on connection: Connection) throws {
        for trigger in try installedTriggers(on: connection) {
            try connection.execute("DROP TRIGGER \(trigger.name)")
        }
    }

    /// Every counter from scratch, by GROUP BY with every trigger dropped (row by row through the triggers,
    /// 100k events took 170 s on the loaded bench host): the distinct acts, the seen rows and first years
    /// from them, then the counters from those; CounterTests prove it equals what the triggers keep.
    func rebuild(on connection: Connection) throws {
        try Self.dropTriggers(on: connection)
        try connection.execute(
            """
            DELETE FROM kpi_acts; DELETE FROM kpi_seen; DELETE FROM kpi_first_seen; DELETE FROM kpi_counters;
            DELETE FROM kpi_selectors;
            """)
        for compiled in selectors {
            try connection.run(
                "INSERT INTO kpi_selectors (id, definition, min_events) VALUES (?, ?, ?)", compiled.id,
                compiled.definition, compiled.minEvents)
        }
        for compiled in selectors {
            for statement in eventStatements(compiled, .rebuild) + bulkStatements(compiled) {
                try connection.run(statement)
            }
        }
        try connection.execute(
            """
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            SELECT s.selector, s.fiscal_year, s.breakdown, s.value, count(*) FROM kpi_seen AS s
            JOIN kpi_selectors AS d ON d.id = s.selector WHERE s.events >= d.min_events GROUP BY 1, 2, 3, 4
            ON CONFLICT DO UPDATE SET persons = excluded.persons;
            INSERT INTO kpi_counters (selector, fiscal_year, breakdown, value, persons)
            SELECT selector, fiscal_year, 'first', '', count(*) FROM kpi_first_seen GROUP BY 1, 2
            ON CONFLICT DO UPDATE SET persons = excluded.persons;
            """)
        for trigger in triggers { try connection.execute(trigger.sql) }
    }
}
