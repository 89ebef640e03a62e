import Applications
import Cryptography
import Formats
import Foundation
import ServiceKit
import Store
import TestSupport
import Synchronization
import Testing

@testable import KPI

/// The report reads `kpi_counters` (migration 0019), which KPICounters' catch-up keeps from the usage events
/// above its watermark, off the events' own writes (issue #11 item 8, "Fast at any size"). Whatever order
/// events arrive in, however the catch-ups fall between them (or race, or roll back), the counters must equal
/// a count from scratch over usage_events, through purge, a restart and a change of the catalog.
@Suite("KPI: counters caught up from the usage events")
struct CounterTests {
    /// A usage event as stored, for the recount.
    struct StoredEvent {
        let occurredAt: Date
        let source: String
        let kind: String
        let channel: UsageChannel
        let key: String
        let subjectCode: String?
        let fiscalYear: Int
        let paperPages: Int?
        let districtCode: String?

        var month: String { String(JapanTime.timestamp(occurredAt).prefix(7)) }

        func matches(_ selector: EventSelector, anyChannel: Bool = false) -> Bool {
            (anyChannel || selector.channels.contains(channel)) && (selector.source.map { $0 == source } ?? true)
                && (selector.kinds.map { $0.contains(kind) } ?? true)
                && (selector.subjectCodes.map { codes in subjectCode.map(codes.contains) ?? false } ?? true)
        }
    }

    static func storedEvents(_ scenario: KPIScenario) throws -> [StoredEvent] {
        try scenario.database.read { connection in
            try connection.query("SELECT * FROM usage_events ORDER BY id").map { row in
                StoredEvent(
                    occurredAt: try row.get("occurred_at"), source: try row.get("source"), kind: try row.get("kind"),
                    channel: UsageChannel(rawValue: try row.get("channel"))!, key: try row.get("resident_key"),
                    subjectCode: try row.get("subject_code"), fiscalYear: try row.get("fiscal_year"),
                    paperPages: try row.get("paper_pages"), districtCode: try row.get("district_code"))
            }
        }
    }

    /// Every counted field of every indicator, counted here from the stored events, the way the issue defines
    /// them, with no counters.
    static func expectRecount(
        _ scenario: KPIScenario, fiscalYear: Int, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws
    {
        let events = try storedEvents(scenario)
        let report = try scenario.report(fiscalYear)
        func persons(_ selected: [StoredEvent], minEvents: Int = 1) -> Int {
            Dictionary(grouping: selected, by: \.key).values.filter { $0.count >= minEvents }.count
        }
        func grouped(_ selected: [StoredEvent], by key: (StoredEvent) -> String?, distinct: Bool) -> [String: Int] {
            Dictionary(grouping: selected.filter { key($0) != nil }, by: { key($0)! })
                .mapValues { distinct ? Set($0.map(\.key)).count : $0.count }
        }
        let months = KPICalculator.months(of: fiscalYear)
        for indicator in scenario.calculator.catalog.indicators {
            let figure = try #require(report.indicator(indicator.id), sourceLocation: sourceLocation)
            let inYear = events.filter { $0.fiscalYear == fiscalYear }
            let district: (StoredEvent) -> String? = { ($0.districtCode ?? "").isEmpty ? nil : $0.districtCode }
            switch indicator.method {
            case .distinctResidents:
                let selector = indicator.events!
                let minEvents = indicator.minEvents ?? 1
                let selected = inYear.filter { $0.matches(selector) }
                #expect(figure.value == Double(persons(selected, minEvents: minEvents)), sourceLocation: sourceLocation)
                #expect(
                    figure.byChannel?.map(\.value)
                        == UsageChannel.allCases.map { channel in
                            persons(
                                inYear.filter { $0.channel == channel && $0.matches(selector, anyChannel: true) },
                                minEvents: minEvents)
                        }, "\(indicator.id) by channel", sourceLocation: sourceLocation)
                guard minEvents == 1 else { continue }
                let monthly = grouped(selected, by: \.month, distinct: true)
                #expect(figure.monthly == months.map { monthly[$0] ?? 0 }, sourceLocation: sourceLocation)
                #expect(
                    figure.cumulative
                        == persons(events.filter { $0.fiscalYear <= fiscalYear && $0.matches(selector) }),
                    "\(indicator.id) cumulative", sourceLocation: sourceLocation)
                if selector.source == nil {
                    let modules = grouped(selected, by: \.source, distinct: true)
                    #expect(
                        figure.byModule?.map(\.key) == modules.keys.sorted()
                            && figure.byModule?.map(\.value) == modules.keys.sorted().map { modules[$0]! },
                        "\(indicator.id) by module", sourceLocation: sourceLocation)
                }
                let districts = grouped(selected, by: district, distinct: true)
                #expect(
                    (figure.byDistrict ?? []).filter { $0.value > 0 }.map(\.key).sorted() == districts.keys.sorted(),
                    sourceLocation: sourceLocation)
                for row in figure.byDistrict ?? [] {
                    #expect(row.value == districts[row.key] ?? 0, sourceLocation: sourceLocation)
                }
            case .count:
                let selected = inYear.filter { $0.matches(indicator.events!) }
                #expect(figure.value == Double(selected.count), sourceLocation: sourceLocation)
                let monthly = grouped(selected, by: \.month, distinct: false)
                #expect(figure.monthly == months.map { monthly[$0] ?? 0 }, sourceLocation: sourceLocation)
                let districts = grouped(selected, by: district, distinct: false)
                #expect(figure.districtsCovered == districts.count, sourceLocation: sourceLocation)
                for row in figure.byDistrict ?? [] {
                    #expect(row.value == districts[row.key] ?? 0, sourceLocation: sourceLocation)
                }
            case .ratio:
                for (term, value) in [
                    (indicator.numerator!, figure.numeratorValue), (indicator.denominator!, figure.denominatorValue),
                ] where term.of == .events {
                    #expect(value == inYear.filter { $0.matches(term.events!) }.count, sourceLocation: sourceLocation)
                }
            case .entered:
                if let selector = indicator.paperPagesOf {
                    #expect(
                        figure.paperPagesSaved
                            == inYear.filter { $0.matches(selector) }.reduce(0) { $0 + ($1.paperPages ?? 0) },
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Every row of the counters' tables, to compare the catch-ups' work with a rebuild's.
    static func counterRows(_ scenario: KPIScenario) throws -> [String] { try counterRows(scenario.database) }

    static func counterRows(_ database: Database) throws -> [String] {
        try database.read { connection in
            try [
                "SELECT 'c|' || selector || '|' || fiscal_year || '|' || breakdown || '|' || value || '|' || persons "
                    + "|| '|' || events || '|' || paper_pages AS row FROM kpi_counters",
                "SELECT 's|' || selector || '|' || fiscal_year || '|' || breakdown || '|' || value || '|' "
                    + "|| resident_key || '|' || events AS row FROM kpi_seen",
                "SELECT 'f|' || selector || '|' || resident_key || '|' || fiscal_year AS row FROM kpi_first_seen",
                "SELECT 'a|' || selector || '|' || fiscal_year || '|' || month || '|' || channel || '|' || source "
                    + "|| '|' || district_code || '|' || resident_key || '|' || counted AS row FROM kpi_acts",
            ].flatMap { sql in try connection.query(sql + " ORDER BY row").map { try $0.get("row", as: String.self) } }
        }
    }

    /// Counts every event again, as after a change of the catalog, and returns what that did.
    static func rebuild(_ scenario: KPIScenario) throws -> KPICounters.CatchUp {
        try scenario.database.write { try $0.run("DELETE FROM kpi_counter_definition") }
        return try scenario.catchUp()
    }

    /// A fixed-seed generator (SplitMix64), so a failing set can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Events over FY2029–FY2031 in random order (so a person's later year often comes first), from every
    /// module's kinds the catalog counts, on the fiscal-year edges too.
    static func recordRandomEvents(_ scenario: KPIScenario, count: Int, seed: UInt64, writes: Int = 1) throws {
        var random = SeededGenerator(state: seed)
        let kinds: [(String, String, [String?])] = [
            ("applications", "submitted", [nil, "road-light-report"]), ("applications", "looked_up", [nil]),
            ("payments", "paid", ["credit_card", "cash"]), ("certificates", "requested", ["juminhyo"]),
            ("classes", "session_held", ["smartphone-basics"]), ("classes", "attended", [nil]),
            ("classes", "survey_answered", (1...5).map { "satisfaction-\($0)" }), ("notices", "line_linked", [nil]),
        ]
        let edges = ["2030-03-31T14:59:59Z", "2030-03-31T15:00:00Z", "2031-03-31T14:59:59Z", "2031-03-31T15:00:00Z"]
        let first = KPIScenario.instant("2029-04-01T00:00:00Z").timeIntervalSince1970
        let last = KPIScenario.instant("2032-03-31T00:00:00Z").timeIntervalSince1970
        var events: [(UsageEvent, Date)] = []
        for _ in 0..<count {
            let (source, kind, subjects) = kinds.randomElement(using: &random)!
            let person: UsagePerson =
                Int.random(in: 0..<8, using: &random) == 0
                ? .guest(record: "application", id: Int64.random(in: 1...5, using: &random))
                : .resident(id: Int64.random(in: 1...12, using: &random))
            let time =
                Int.random(in: 0..<6, using: &random) == 0
                ? KPIScenario.instant(edges.randomElement(using: &random)!)
                : Date(timeIntervalSince1970: Double(Int.random(in: Int(first)...Int(last), using: &random)))
            let event = UsageEvent(
                source: source, kind: kind, channel: UsageChannel.allCases.randomElement(using: &random)!,
                person: person, subjectCode: subjects.randomElement(using: &random)!,
                paperPages: [nil, 0, 2, 3].randomElement(using: &random)!,
                districtCode: [nil, "biratori", "furenai", "nukibetsu"].randomElement(using: &random)!)
            events.append((event, time))
        }
        let perWrite = (events.count + writes - 1) / max(writes, 1)
        for first in stride(from: 0, to: events.count, by: max(perWrite, 1)) {
            let slice = Array(events[first..<min(first + perWrite, events.count)])
            try scenario.database.write { connection in
                for (event, time) in slice { try UsageEvents.record(event, at: time, on: connection) }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func afterRandomEventSets_everyFigureEqualsARecount_andTheCountersEqualARebuild(seed: UInt64) throws {
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 400, seed: seed)
        for year in 2028...2032 { try Self.expectRecount(scenario, fiscalYear: year) }
        let kept = try Self.counterRows(scenario)
        #expect(!kept.isEmpty)
        #expect(try Self.rebuild(scenario).rebuilt)
        #expect(try Self.counterRows(scenario) == kept)
    }

    /// The same events counted in uneven steps (catch-ups of 37 events between writes of about 30, so steps
    /// end inside a write's events and a person's acts fall on both sides) end where one rebuild does.
    @Test(arguments: [UInt64(4), 5])
    func incrementalCatchUps_inSmallSteps_equalAFullRebuild(seed: UInt64) throws {
        let scenario = try KPIScenario()
        // Counted from scratch first (a backlog above everything counted is rebuilt): the rounds are then
        // smaller than what is counted, so each is caught up step by step.
        try Self.recordRandomEvents(scenario, count: 200, seed: seed)
        #expect(try scenario.catchUp(batchSize: 37).rebuilt)
        var steps = 0
        for round in 0..<8 {
            try Self.recordRandomEvents(scenario, count: 50 + round * 7, seed: seed &* 31 &+ UInt64(round), writes: 2)
            let done = try scenario.catchUp(batchSize: 37)
            #expect(!done.rebuilt)
            steps += done.transactions
        }
        #expect(steps > 8, "some catch-ups took more than one step")
        let incremental = try Self.counterRows(scenario)
        #expect(try Self.rebuild(scenario).rebuilt)
        #expect(try Self.counterRows(scenario) == incremental)
        for year in 2029...2031 { try Self.expectRecount(scenario, fiscalYear: year) }
    }

    @Test func theWatermarkSurvivesARestart_andEventsAfterItAreCountedOnce() throws {
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 120, seed: 21)
        try scenario.catchUp()
        let rows = try Self.counterRows(scenario)
        let path = scenario.database.path
        scenario.database.close()

        let reopened = try Database(path: path)
        defer { reopened.close() }
        #expect(try reopened.read { try KPICounters.watermark(on: $0) } == 120)
        #expect(try reopened.read { try scenario.counters.isBehind(on: $0) } == false)
        #expect(try scenario.counters.catchUpIfBehind(reopened) == KPICounters.CatchUp())
        #expect(try scenario.counters.catchUp(reopened) == KPICounters.CatchUp(events: 0, transactions: 1))
        #expect(try reopened.read { try KPICounters.watermark(on: $0) } == 120)

        #expect(try Self.counterRows(reopened) == rows)

        let event = UsageEvent(source: "applications", kind: "submitted", channel: .web, person: .resident(id: 99))
        try reopened.write { try UsageEvents.record(event, at: KPIScenario.instant("2030-05-01T00:00:00Z"), on: $0) }
        #expect(try reopened.read { try scenario.counters.isBehind(on: $0) })
        #expect(try scenario.counters.catchUp(reopened).events == 1)
        #expect(try scenario.counters.catchUp(reopened).events == 0)
        let caughtUp = try Self.counterRows(reopened)
        #expect(caughtUp != rows)
        try reopened.write { try $0.run("DELETE FROM kpi_counter_definition") }
        #expect(try scenario.counters.catchUp(reopened).rebuilt)
        #expect(try Self.counterRows(reopened) == caughtUp)
    }

    @Test func aCatchUpThatRollsBack_leavesCountersAndWatermarkAsTheyWere_andTheNextCountsItsEvents() throws {
        struct Interrupted: Error {}
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 80, seed: 31)
        try scenario.catchUp()
        let before = try Self.counterRows(scenario)
        try Self.recordRandomEvents(scenario, count: 60, seed: 32)
        let counters = scenario.counters
        #expect(throws: Interrupted.self) {
            try scenario.database.write { connection in
                let step = try counters.catchUpStep(on: connection)
                #expect(step.events == 60)
                #expect(try KPICounters.watermark(on: connection) == 140)
                throw Interrupted()
            }
        }
        #expect(try scenario.database.read { try KPICounters.watermark(on: $0) } == 80)
        #expect(try Self.counterRows(scenario) == before)
        #expect(try scenario.catchUp().events == 60)
        let caughtUp = try Self.counterRows(scenario)
        #expect(try Self.rebuild(scenario).rebuilt)
        #expect(try Self.counterRows(scenario) == caughtUp)
    }

    /// Two "processes" (two Database objects on one file, each with its own writer connection) catch up in a
    /// loop while a third writes events in small transactions: every event is counted exactly once, because each
    /// step reads the watermark and moves it inside one write transaction.
    @Test func catchUpsRacingFromTwoProcesses_whileEventsAreWritten_countEveryEventOnce() throws {
        let scenario = try KPIScenario()
        let path = scenario.database.path
        let other = try Database(path: path)
        defer { other.close() }
        let counters = scenario.counters
        let writing = DispatchSemaphore(value: 0)
        let errors = Mutex<[String]>([])
        let group = DispatchGroup()
        for database in [scenario.database, other] {
            DispatchQueue.global().async(group: group) {
                var finished = false
                while !finished {
                    finished = writing.wait(timeout: .now()) == .success
                    do { try counters.catchUp(database, batchSize: 7) } catch { errors.withLock { $0.append("\(error)") } }
                }
                writing.signal()
            }
        }
        try Self.recordRandomEvents(scenario, count: 300, seed: 41, writes: 60)
        writing.signal()
        group.wait()
        #expect(errors.withLock { $0 }.isEmpty)
        try scenario.catchUp()
        #expect(try scenario.database.read { try KPICounters.watermark(on: $0) } == 300)
        let raced = try Self.counterRows(scenario)
        #expect(try Self.rebuild(scenario).rebuilt)
        #expect(try Self.counterRows(scenario) == raced)
        for year in 2029...2031 { try Self.expectRecount(scenario, fiscalYear: year) }
    }

    /// The catch-up's cost follows the new events, not all of them: every statement it runs finds its events
    /// by the rowid range above the watermark, which EXPLAIN QUERY PLAN shows as a SEARCH on the primary key;
    /// a SCAN of usage_events (or an index search by module or year) would read every stored event.
    @Test func everyCatchUpStatement_readsUsageEventsByIdRangeOnly() throws {
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 200, seed: 51)
        try scenario.database.write { try $0.execute("ANALYZE") }
        let statements = [KPICounters.nextRangeSQL] + scenario.counters.catchUpStatements
        #expect(statements.count > 5)
        let plans = try scenario.database.read { connection in
            try statements.map { sql in
                try connection.query("EXPLAIN QUERY PLAN " + sql, Int64(150), Int64(200)).map {
                    try $0.get("detail", as: String.self)
                }
            }
        }
        for (sql, plan) in zip(statements, plans) {
            let onEvents = plan.filter { $0.contains("usage_events") || $0.hasPrefix("SCAN e") || $0.hasPrefix("SEARCH e") }
            #expect(!onEvents.isEmpty, "\(sql)")
            // The range's next-batch query has only its lower bound (and a LIMIT); the statements have both.
            let range = sql == KPICounters.nextRangeSQL ? "(rowid>?)" : "(rowid>? AND rowid<?)"
            for line in onEvents {
                #expect(line.hasPrefix("SEARCH") && line.contains("INTEGER PRIMARY KEY \(range)"), "\(line) in \(sql)")
            }
        }
        // With nothing new, a read finds the counters current and no write is queued at all.
        try scenario.catchUp()
        let writes = scenario.database.writerStatistics.writes
        #expect(try scenario.counters.catchUpIfBehind(scenario.database) == KPICounters.CatchUp())
        #expect(scenario.database.writerStatistics.writes == writes)
    }

    @Test func anEarlierYearRecordedLater_movesThePersonsFirstYear_soTheCumulativeCountStaysDistinct() throws {
        let scenario = try KPIScenario()
        try scenario.record(.resident(id: 1), at: "2031-05-01T00:00:00Z")
        try scenario.record(.resident(id: 1), at: "2030-05-01T00:00:00Z")
        try scenario.record(.resident(id: 2), at: "2031-06-01T00:00:00Z")
        #expect(try scenario.report(2030).indicator("online_users")?.cumulative == 1)
        #expect(try scenario.report(2031).indicator("online_users")?.cumulative == 2)
        #expect(try scenario.report(2031).indicator("online_users")?.value == 2)
    }

    @Test func installingTheSameCatalogAgain_keepsTheCounters_andAChangedOneCountsEveryEventAgain() throws {
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 150, seed: 7)
        try scenario.catchUp()
        #expect(try scenario.catchUp() == KPICounters.CatchUp(events: 0, transactions: 1))

        // The same file with web-only online users and a new indicator over events already stored.
        let original = try String(
            contentsOf: RepositoryPaths.schemas.appendingPathComponent("kpi/indicators.json"), encoding: .utf8)
        let changed = original.replacingOccurrences(
            of: #""events": { "channels": ["web", "line"] },"#, with: #""events": { "channels": ["web"] },"#
        ).replacingOccurrences(
            of: #""indicators": ["#,
            with: #"""
                "indicators": [
                    {
                      "id": "certificate_requesters", "label": "証明書を請求した人数", "unit": "人",
                      "direction": "higher", "baseline_fiscal_year": 2025, "method": "distinct_residents",
                      "events": { "source": "certificates", "kinds": ["requested"], "channels": ["web", "line"] }
                    },
                """#)
        #expect(changed != original)
        let file = scenario.directory.url.appendingPathComponent("indicators.json")
        try changed.write(to: file, atomically: true, encoding: .utf8)
        let catalog = try IndicatorCatalog.load(file: file)
        let changedScenario = KPIScenario(sharing: scenario, catalog: catalog)
        #expect(try changedScenario.catchUp().rebuilt)
        #expect(try changedScenario.catchUp() == KPICounters.CatchUp(events: 0, transactions: 1))
        for year in 2029...2031 { try Self.expectRecount(changedScenario, fiscalYear: year) }
        #expect(try changedScenario.report(2030).indicator("certificate_requesters") != nil)

        // Back to the original file: counted again, and the same as before.
        #expect(try scenario.catchUp().rebuilt)
        for year in 2029...2031 { try Self.expectRecount(scenario, fiscalYear: year) }
    }

    @Test func purge_leavesEveryCounterAsARebuildCountsIt_andAUsageEventCannotBeDeleted() throws {
        let scenario = try KPIScenario()
        try scenario.recordWithdrawnApplication(
            residentID: try Fixtures.makeResident(scenario.database, password: nil))
        try Self.recordRandomEvents(scenario, count: 100, seed: 11)
        try scenario.catchUp()
        let before = try Self.counterRows(scenario)
        let purged = try RetentionJob(database: scenario.database).run(now: KPIScenario.instant("2035-01-01T00:00:00Z"))
        #expect(purged.purgedApplicationIDs.count == 1)
        #expect(try scenario.catchUp().events == 0)
        #expect(try Self.counterRows(scenario) == before)
        #expect(try Self.rebuild(scenario).rebuilt)
        #expect(try Self.counterRows(scenario) == before)
        #expect(throws: SQLiteError.self) {
            try scenario.database.write { try $0.run("DELETE FROM usage_events") }
        }
        #expect(throws: SQLiteError.self) {
            try scenario.database.write { try $0.run("UPDATE usage_events SET fiscal_year = 2031") }
        }
        try Self.expectRecount(scenario, fiscalYear: 2030)
    }

    @Test func anEventWhoseWriteRollsBack_leavesNoCounterBehind() throws {
        struct Refused: Error {}
        let scenario = try KPIScenario()
        let event = UsageEvent(source: "applications", kind: "submitted", channel: .web, person: .resident(id: 1))
        #expect(throws: Refused.self) {
            try scenario.database.write { connection in
                try UsageEvents.record(event, at: KPIScenario.instant("2030-05-01T00:00:00Z"), on: connection)
                throw Refused()
            }
        }
        #expect(try Self.counterRows(scenario).isEmpty)
        #expect(try scenario.value("online_users", 2030) == 0)
    }
}
