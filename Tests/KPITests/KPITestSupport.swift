import Applications
import Cryptography
import Foundation
import Notices
import ServiceKit
import Store
import TestSupport
import Testing

@testable import KPI

/// Builds known sets of usage events (including those of modules not built yet, which write the kinds
/// COMMON docs list) and reads the report the server would show.
struct KPIScenario {
    let directory: TemporaryDirectory
    let database: Database
    let calculator: KPICalculator
    let counters: KPICounters

    /// The catalog's counters caught up, as KPIModule does at start-up.
    init(catalog: IndicatorCatalog? = nil) throws {
        directory = TemporaryDirectory()
        database = try Fixtures.makeDatabase(in: directory, withDistricts: true)
        let catalog = try catalog ?? KPIModule.loadCatalog(schemasDirectory: RepositoryPaths.schemas)
        calculator = KPICalculator(catalog: catalog, census: NoticesLINELinkedResidents())
        counters = KPICounters(catalog: catalog)
        try catchUp()
    }

    /// The same database read with another catalog (nothing is counted until a catch-up or a report).
    init(sharing other: KPIScenario, catalog: IndicatorCatalog) {
        directory = other.directory
        database = other.database
        calculator = KPICalculator(catalog: catalog, census: NoticesLINELinkedResidents())
        counters = KPICounters(catalog: catalog)
    }

    @discardableResult
    func catchUp(batchSize: Int = KPICounters.batchSize) throws -> KPICounters.CatchUp {
        try counters.catchUp(database, batchSize: batchSize)
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

    /// A resident's (or, with nil, a guest's) withdrawn application submitted on 2030-05-01 with its usage
    /// event, so that RetentionJob purges it in 2035: what purge must leave every count alone through.
    func recordWithdrawnApplication(residentID: Int64?) throws {
        let procedure = try #require(
            try ApplicationsModule.loadCatalog(schemasDirectory: RepositoryPaths.schemas)
                .procedure(code: "road-light-report"))
        let submittedAt = Self.instant("2030-05-01T00:00:00Z")
        try database.write { connection in
            guard
                case .saved(let id) = try ApplicationStore.saveDraft(
                    NewApplication(
                        procedure: procedure, residentID: residentID, channel: .web,
                        answers: ["location": .text("本町")], submissionToken: SecureRandom.token()),
                    at: submittedAt, on: connection)
            else { throw DraftNotSaved() }
            _ = try ApplicationStore.submitDraft(id: id, guestSecretHash: nil, at: submittedAt, on: connection)
            _ = try ApplicationStore.updateStatus(
                id: id, from: .received, to: .withdrawn, at: submittedAt, on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: ApplicationsModule.name, kind: "submitted", channel: .web,
                    person: residentID.map { .resident(id: $0) } ?? .guest(record: "application", id: id),
                    paperPages: 2),
                at: submittedAt, on: connection)
        }
    }

    func enter(_ figure: EnteredFigure, _ value: Int?, fiscalYear: Int, staffID: Int64) throws {
        try database.write {
            try KPIStore.insertFigure(
                figure, value: value, fiscalYear: fiscalYear, staffID: staffID, at: Date(), on: $0)
        }
    }

    /// The report of `fiscalYear` as seen on `now` (by default long after the year ended), caught up first as
    /// every KPI read is.
    func report(_ fiscalYear: Int, now: String = "2040-01-01T00:00:00Z") throws -> KPIReport {
        try counters.catchUpIfBehind(database)
        return try database.read { try calculator.report(fiscalYear: fiscalYear, now: Self.instant(now), on: $0) }
    }

    func value(_ id: String, _ fiscalYear: Int) throws -> Double? {
        try report(fiscalYear).indicator(id)?.value
    }
}
