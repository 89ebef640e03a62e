import Foundation
import Store

/// The counters the KPI report reads (migration 0019), compiled from the catalog's selectors into set-based
/// statements over a range of usage_events ids and triggers on the counters' own tables, so the report's cost
/// stays the same at 10k or 5M events (bench/kpi). They are kept off the write path: UsageEvents.record only
/// inserts the event, and `catchUp` counts the events above the watermark afterwards (session 19's triggers on
/// usage_events cost 614,000 instructions per first act inside the resident's write).
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
    /// Every selector's statements over an id range, in the order a catch-up runs them.
    public private(set) var catchUpStatements: [String] = []
    public private(set) var triggerSQL: [String] = []
    /// What kpi_counter_definition stores: the triggers' and the statements' text, so that the next catch-up
    /// after a change of indicators.json sees it and counts everything again. Built once: every catch-up step
    /// compares it.
    public private(set) var definitionText = ""

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
        catchUpStatements = selectors.flatMap { eventStatements($0) }
        triggerSQL = triggers.map(\.sql)
        definitionText = (triggerSQL + catchUpStatements).joined(separator: ";\n")
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

    /// How an event row is named: `e`, a usage event whose id is in the range the statement is given. NOT
    /// INDEXED leaves SQLite only the rowid range to find them by: with an index on (fiscal_year, …) it could
    /// otherwise pick one that reads every event of a module, and a catch-up of 100 events would cost all of them.
    struct Row {
        static let events = Row()

        func column(_ name: String) -> String { "e.\(name)" }
        var month: String { "substr(datetime(\(column("occurred_at")), '+9 hours'), 1, 7)" }
        var from: String { "\nFROM usage_events AS e NOT INDEXED" }
        /// Bound to (after, through): the events `after < id <= through`.
        var range: String { "e.id > ? AND e.id <= ?" }
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

    /// The selector's statements over the usage events of an id range (two arguments: after, through), one
    /// GROUP BY (or DISTINCT) each. With the triggers installed they add the range to the counters (a catch-up:
    /// kpi_counts_act fires only for an act INSERT OR IGNORE really inserted, so only a first goes on); the
    /// rebuild runs them over every event with the triggers dropped.
    func eventStatements(_ compiled: Compiled, _ row: Row = .events) -> [String] {
        let match = Self.match(compiled.selector, row)
        let id = compiled.id
        let filter = { (condition: String) in "\(row.range) AND \(match.base) AND \(condition)" }
        var statements: [String] = []
        if compiled.minEvents == 1, !compiled.personBreakdowns.isEmpty {
            // One row per act that could tell something new; only a new one goes on to kpi_seen (kpi_counts_act).
            statements.append(
                """
                INSERT OR IGNORE INTO kpi_acts
                    (selector, fiscal_year, month, channel, source, district_code, resident_key, counted)
                SELECT DISTINCT \(id), \(row.column("fiscal_year")), \(row.month), \
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
                    \(row.column("resident_key")), count(*)\(row.from)
                    WHERE \(filter(Self.condition(dimension, match, row))) GROUP BY 1, 2, 3, 4, 5
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
                count(*), sum(\(pages))\(row.from)
                WHERE \(filter(Self.condition(dimension, match, row))) GROUP BY 1, 2, 3, 4
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
    /// insert), while a statement whose WHERE is false costs a few instructions. None is on usage_events: they
    /// fire inside a catch-up only, per new act or person, never per event written.
    public var triggers: [(name: String, sql: String)] {
        var result = Self.counterTriggers
        let acts = selectors.flatMap(actStatements)
        if !acts.isEmpty {
            let name = "\(Self.triggerPrefix)act"
            result.append((name, Self.trigger(name, on: "kpi_acts", acts)))
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

    // MARK: Keeping them

    /// Events counted per catch-up transaction. The writer is single: a catch-up holds every other write back
    /// while it runs, so a long backlog (after a restore, or the bench's seeding) is taken in bounded steps.
    public static let batchSize = 50_000

    /// What `install` found and did.
    public enum Installation: Sendable, Equatable {
        /// The stored statements and triggers are this catalog's: the counters are current to the watermark.
        case current
        /// Counted again from every usage event, in this many seconds, and the watermark moved to the last.
        case rebuilt(seconds: Double)
    }

    /// What a catch-up did: whether it counted everything again, the events it added above the watermark, and
    /// in how many write transactions.
    public struct CatchUp: Sendable, Equatable {
        public var rebuilt = false
        public var events = 0
        public var transactions = 0
    }

    /// The watermark's row is missing (a database migrated but never caught up) or moved under a catch-up.
    struct WatermarkMoved: Error {}

    /// Makes the stored counters this catalog's, in the caller's write transaction: if the stored text or the
    /// installed triggers are not this catalog's, counts every usage event again and sets the watermark to
    /// the last event. `force` counts everything again even when they are.
    @discardableResult
    public func install(on connection: Connection, at time: Date = Date(), force: Bool = false) throws
        -> Installation
    {
        if !force, try isCurrent(on: connection) { return .current }
        let start = Date()
        let through = try Self.lastEventID(on: connection)
        try rebuild(through: through, on: connection)
        try connection.run(
            """
            INSERT INTO kpi_counter_definition (id, definition_sql, rebuilt_at, counted_through, caught_up_at)
            VALUES (1, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET definition_sql = excluded.definition_sql, rebuilt_at = excluded.rebuilt_at,
                counted_through = excluded.counted_through, caught_up_at = excluded.caught_up_at
            """, definitionText, time, through, time)
        return .rebuilt(seconds: Date().timeIntervalSince(start))
    }

    func isCurrent(on connection: Connection) throws -> Bool {
        let stored =
            try connection.scalar(
                "SELECT definition_sql FROM kpi_counter_definition WHERE id = 1", as: String?.self) ?? nil
        guard stored == definitionText else { return false }
        return try Self.installedTriggers(on: connection).map(\.sql) == triggerSQL
    }

    /// The last usage event's id, 0 with none: the last entry of the rowid b-tree, not a scan.
    static func lastEventID(on connection: Connection) throws -> Int64 {
        try connection.scalar("SELECT coalesce(max(id), 0) FROM usage_events", as: Int64.self) ?? 0
    }

    /// The last usage event counted, nil before the first catch-up.
    public static func watermark(on connection: Connection) throws -> Int64? {
        try connection.scalar("SELECT counted_through FROM kpi_counter_definition WHERE id = 1", as: Int64.self)
    }

    /// True when a catch-up has something to do: the catalog changed, or events were written since the last.
    /// Two lookups on a read connection, so a read that finds the counters current never queues a write.
    public func isBehind(on connection: Connection) throws -> Bool {
        guard try isCurrent(on: connection), let through = try Self.watermark(on: connection) else { return true }
        return try Self.lastEventID(on: connection) > through
    }

    /// The next at most `limit` events above the watermark: how many, and the id of the last. NOT INDEXED, as
    /// in the statements: the rowid range only.
    static let nextRangeSQL = """
        SELECT count(*) AS n, max(id) AS through
        FROM (SELECT id FROM usage_events NOT INDEXED WHERE id > ? ORDER BY id LIMIT ?)
        """

    /// One step of a catch-up, in the caller's write transaction: installs (counting everything again after a
    /// catalog change), then counts at most `limit` events above the watermark and moves the watermark to the
    /// last of them, in the same transaction, so a rollback undoes both and nothing is ever counted twice.
    /// Fewer than `limit` events means the counters are current as of this transaction.
    public func catchUpStep(limit: Int = Self.batchSize, on connection: Connection, at time: Date = Date()) throws
        -> (installation: Installation, events: Int)
    {
        let installation = try install(on: connection, at: time)
        guard let after = try Self.watermark(on: connection) else { throw WatermarkMoved() }
        // A backlog larger than everything counted so far (the first catch-up over a restored or seeded
        // database) is cheaper counted from scratch, by GROUP BY with the triggers dropped: 100k events took
        // 6.2 s so against 17.3 s in 50,000-event steps (release build, bench/kpi's events). Still O(new
        // events): all of them are at most twice the new ones.
        if installation == .current, try Self.lastEventID(on: connection) - after > max(after, Int64(limit)) {
            return (try install(on: connection, at: time, force: true), 0)
        }
        let next = try connection.queryFirst(Self.nextRangeSQL, after, limit)
        let events = try next?.get("n", as: Int.self) ?? 0
        guard events > 0, let through = try next?.get("through", as: Int64?.self) else { return (installation, 0) }
        for statement in catchUpStatements { try connection.run(statement, after, through) }
        // Conditional on the watermark this step started from. Inside one write transaction nobody can move it
        // in between (a second process's catch-up waits for the write lock, then starts from the new one); the
        // condition keeps a step that ever ran outside one from counting a range twice.
        let moved = try connection.run(
            "UPDATE kpi_counter_definition SET counted_through = ?, caught_up_at = ? WHERE id = 1 AND counted_through = ?",
            through, time, after)
        guard moved == 1 else { throw WatermarkMoved() }
        return (installation, events)
    }

    /// Catches up in as many write transactions as it takes, `batchSize` events each, through the blocking
    /// `Database.write` (CLI, tests, offloaded routes; never an HTTP polling thread).
    @discardableResult
    public func catchUp(_ database: Database, batchSize: Int = Self.batchSize, at time: Date = Date()) throws
        -> CatchUp
    {
        var result = CatchUp()
        while true {
            let step = try database.write { [self] in try catchUpStep(limit: batchSize, on: $0, at: time) }
            result.add(step)
            if step.events < batchSize { return result }
        }
    }

    /// The same, only when a read finds the counters behind: what every KPI read does first, so a report is
    /// exact to the last committed event and a report with nothing new to count queues no write.
    @discardableResult
    public func catchUpIfBehind(_ database: Database, at time: Date = Date()) throws -> CatchUp {
        guard try database.read({ try isBehind(on: $0) }) else { return CatchUp() }
        return try catchUp(database, at: time)
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

    /// Every counter from scratch, through event `through`, by GROUP BY with every trigger dropped (row by row
    /// through the triggers, 100k events took 170 s on the loaded bench host): the distinct acts, the seen rows
    /// and first years from them, then the counters from those; CounterTests prove a catch-up, step by step,
    /// ends where a rebuild does.
    func rebuild(through: Int64, on connection: Connection) throws {
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
            for statement in eventStatements(compiled) { try connection.run(statement, Int64(0), through) }
            for statement in bulkStatements(compiled) { try connection.run(statement) }
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

extension KPICounters.CatchUp {
    mutating func add(_ step: (installation: KPICounters.Installation, events: Int)) {
        transactions += 1
        events += step.events
        if case .rebuilt = step.installation { rebuilt = true }
    }
}
