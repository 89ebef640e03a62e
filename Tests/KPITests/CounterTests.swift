import Applications
import Cryptography
import Formats
import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@testable import KPI

/// The report reads `kpi_counters` (migration 0018), which the trigger KPICounters compiles from the catalog
/// keeps in each event's transaction (issue #11 item 8, "Fast at any size"). Whatever order events arrive in,
/// the counters must equal a count from scratch over usage_events, through purge and a change of the catalog.
@Suite("KPI: counters kept by the usage-event trigger")
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

    /// Every row of the counters' tables, to compare the trigger's work with a rebuild's.
    static func counterRows(_ scenario: KPIScenario) throws -> [String] {
        try scenario.database.read { connection in
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
    static func rebuild(_ scenario: KPIScenario) throws -> KPICounters.Installation {
        try scenario.database.write { try $0.run("DELETE FROM kpi_counter_definition") }
        return try scenario.install(scenario.calculator.catalog)
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
    static func recordRandomEvents(_ scenario: KPIScenario, count: Int, seed: UInt64) throws {
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
        try scenario.database.write { [events] connection in
            for (event, time) in events { try UsageEvents.record(event, at: time, on: connection) }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func afterRandomEventSets_everyFigureEqualsARecount_andTheCountersEqualARebuild(seed: UInt64) throws {
        let scenario = try KPIScenario()
        try Self.recordRandomEvents(scenario, count: 400, seed: seed)
        for year in 2028...2032 { try Self.expectRecount(scenario, fiscalYear: year) }
        let kept = try Self.counterRows(scenario)
        #expect(!kept.isEmpty)
        guard case .rebuilt = try Self.rebuild(scenario) else { Issue.record("not rebuilt"); return }
        #expect(try Self.counterRows(scenario) == kept)
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
        #expect(try scenario.install(scenario.calculator.catalog) == .current)

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
        guard case .rebuilt = try changedScenario.install(catalog) else { Issue.record("not rebuilt"); return }
        #expect(try changedScenario.install(catalog) == .current)
        for year in 2029...2031 { try Self.expectRecount(changedScenario, fiscalYear: year) }
        #expect(try changedScenario.report(2030).indicator("certificate_requesters") != nil)

        // Back to the original file: counted again, and the same as before.
        guard case .rebuilt = try scenario.install(scenario.calculator.catalog) else {
            Issue.record("not rebuilt")
            return
        }
        for year in 2029...2031 { try Self.expectRecount(scenario, fiscalYear: year) }
    }

    @Test func purge_leavesEveryCounterAsARebuildCountsIt_andAUsageEventCannotBeDeleted() throws {
        let scenario = try KPIScenario()
        try scenario.recordWithdrawnApplication(
            residentID: try Fixtures.makeResident(scenario.database, password: nil))
        try Self.recordRandomEvents(scenario, count: 100, seed: 11)
        let before = try Self.counterRows(scenario)
        let purged = try RetentionJob(database: scenario.database).run(now: KPIScenario.instant("2035-01-01T00:00:00Z"))
        #expect(purged.purgedApplicationIDs.count == 1)
        #expect(try Self.counterRows(scenario) == before)
        #expect(try Self.rebuild(scenario) != .current)
        #expect(try Self.counterRows(scenario) == before)
        #expect(throws: SQLiteError.self) {
            try scenario.database.write { try $0.run("DELETE FROM usage_events") }
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

    @Test func withMaintenanceOff_eventsAreNotCounted_untilTheNextStartCountsThemAll() throws {
        let scenario = try KPIScenario()
        #expect(try scenario.install(scenario.calculator.catalog, maintained: false) == .off)
        try scenario.record(.resident(id: 1), at: "2030-05-01T00:00:00Z")
        #expect(try scenario.value("online_users", 2030) == 0)
        guard case .rebuilt = try scenario.install(scenario.calculator.catalog) else {
            Issue.record("not rebuilt")
            return
        }
        #expect(try scenario.value("online_users", 2030) == 1)
        try scenario.record(.resident(id: 2), at: "2030-05-01T00:00:00Z")
        #expect(try scenario.value("online_users", 2030) == 2)
    }
}
