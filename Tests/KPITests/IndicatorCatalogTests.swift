import Foundation
import TestSupport
import Testing

@testable import KPI

@Suite("KPI: indicators.json is checked at start-up")
struct IndicatorCatalogTests {
    @Test func theShippedFileLoads_withThePlansTargets() throws {
        let catalog = try KPIModule.loadCatalog(schemasDirectory: RepositoryPaths.schemas)
        let users = try #require(catalog.indicator(id: "online_users"))
        #expect(users.targetR12 == 500)
        #expect(users.targetR17 == 800)
        #expect(catalog.indicator(id: "staff_headcount")?.baseline == 173)
        #expect(catalog.indicator(id: "line_registration_rate")?.targetR17 == 60)
        #expect(catalog.indicator(id: "homepage_access")?.targetR12 == 680_000)
        #expect(catalog.indicator(id: "paperless_print_cost")?.targetR17 == 5_000)
        #expect(catalog.indicator(id: "smartphone_classes")?.targetDistricts == 3)
    }

    func loadError(_ json: String) throws -> IndicatorDefinitionError? {
        let directory = TemporaryDirectory()
        let file = directory.url.appendingPathComponent("indicators.json")
        try Data(json.utf8).write(to: file)
        do {
            _ = try IndicatorCatalog.load(file: file)
            return nil
        } catch let error as IndicatorDefinitionError {
            return error
        }
    }

    static func file(_ indicator: String) -> String {
        #"{"paperless_unit_cost_yen_per_page": 10, "indicators": ["# + indicator + "]}"
    }

    static let counted =
        #"{"id": "users", "label": "利用人数", "unit": "人", "direction": "higher", "baseline_fiscal_year": 2025, "method": "distinct_residents", "#

    @Test func aBadFile_namesTheFileAndTheField() throws {
        #expect(try loadError(Self.file(Self.counted + #""events": {"channels": ["web"]}}"#)) == nil)
        let noChannel = try #require(try loadError(Self.file(Self.counted + #""events": {"channels": []}}"#)))
        #expect(noChannel.file == "indicators.json")
        #expect(noChannel.path == "indicators[0].events.channels")
        #expect(noChannel.description.contains("indicators.json, field indicators[0].events.channels"))
        let unknownChannel = try #require(try loadError(Self.file(Self.counted + #""events": {"channels": ["fax"]}}"#)))
        #expect(unknownChannel.path == "indicators[0].events.channels[0]")
        let noEvents = try #require(try loadError(Self.file(Self.counted.dropLast(2) + "}")))
        #expect(noEvents.path == "indicators[0].events")
        let badKind = try #require(
            try loadError(Self.file(Self.counted + #""events": {"channels": ["web"], "kinds": ["Paid!"]}}"#)))
        #expect(badKind.path == "indicators[0].events.kinds[0]")
        let ratio =
            #"{"id": "r", "label": "率", "unit": "%", "direction": "higher", "baseline_fiscal_year": 2025, "method": "ratio", "numerator": {"of": "active_line_links"}}"#
        #expect(try loadError(Self.file(ratio))?.path == "indicators[0].denominator")
        let entered =
            #"{"id": "e", "label": "額", "unit": "千円", "direction": "lower", "baseline_fiscal_year": 2025, "method": "entered", "figure": "toner"}"#
        #expect(try loadError(Self.file(entered))?.path == "indicators[0].figure")
        let twice = Self.counted + #""events": {"channels": ["web"]}}"#
        #expect(try loadError(Self.file(twice + ", " + twice))?.path == "indicators[1].id")
        #expect(try loadError("{")?.path == "")
        #expect(
            try loadError(#"{"paperless_unit_cost_yen_per_page": 0, "indicators": []}"#)?.path
                == "paperless_unit_cost_yen_per_page")
    }

    @Test func theServerRefusesToStartWithABadFile() throws {
        let directory = TemporaryDirectory()
        let schemas = directory.url.appendingPathComponent("Schemas")
        try FileManager.default.createDirectory(
            at: schemas.appendingPathComponent("kpi"), withIntermediateDirectories: true)
        try Data(Self.file(Self.counted + #""events": {"channels": ["web"]}, "min_events": 0}"#).utf8)
            .write(to: schemas.appendingPathComponent("kpi/indicators.json"))
        #expect(throws: IndicatorDefinitionError.self) {
            _ = try KPIModule.loadCatalog(schemasDirectory: schemas)
        }
    }
}
