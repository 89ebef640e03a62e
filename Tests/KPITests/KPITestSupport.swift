import Foundation
import Notices
import ServiceKit
import Store
import TestSupport

@testable import KPI

/// Builds known sets of usage events (including those of modules not built yet, which write the kinds
/// COMMON docs list) and reads the report the server would show.
struct KPIScenario {
    let directory = TemporaryDirectory()
    let database: Database
    let calculator: KPICalculator

    init() throws {
        database = try Fixtures.makeDatabase(in: directory, withDistricts: true)
        calculator = KPICalculator(
            catalog: try KPIModule.loadCatalog(schemasDirectory: RepositoryPaths.schemas),
            census: NoticesLINELinkedResidents())
    }

    /// `2031-03-31T14:59:59Z`, i.e. an instant given in UTC.
    static func instant(_ text: String) -> Date { UTCTimestamp.parse(text)! }

    func record(
        _ person: UsagePerson, _ source: String = "applications", _ kind: String = "submitted",
        channel: UsageChannel = .web, subject: String? = nil, pages: Int? = nil, district: String? = nil,
        at time: String
    ) throws {
        let event = UsageEvent(
            source: source, kind: kind, channel: channel, person: person, subjectCode: subject, paperPages: pages,
            districtCode: district)
        try database.write { try UsageEvents.record(event, at: Self.instant(time), on: $0) }
    }

    func enter(_ figure: EnteredFigure, _ value: Int?, fiscalYear: Int, staffID: Int64) throws {
        try database.write {
            try KPIStore.insertFigure(
                figure, value: value, fiscalYear: fiscalYear, staffID: staffID, at: Date(), on: $0)
        }
    }

    /// The report of `fiscalYear` as seen on `now` (by default long after the year ended).
    func report(_ fiscalYear: Int, now: String = "2040-01-01T00:00:00Z") throws -> KPIReport {
        try database.read { try calculator.report(fiscalYear: fiscalYear, now: Self.instant(now), on: $0) }
    }

    func value(_ id: String, _ fiscalYear: Int) throws -> Double? {
        try report(fiscalYear).indicator(id)?.value
    }
}
