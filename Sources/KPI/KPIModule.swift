import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// The plan's 第5章 めざすべき目標値 (and 第3章's LINE and homepage figures) as a service module: indicators
/// defined as data in `Schemas/kpi/indicators.json`, counted from usage events per fiscal year; the staff
/// dashboard, the printable 進行管理表, the CSV, the JSON API and the entered figures.
public struct KPIModule: ServiceModule {
    public static let name = "kpi"

    /// The commands need Notices' `LINELinkedResidents` and LINE configuration: App lists them with those, because a
    /// module's static `commands` cannot know what App wires.
    public static func commands<Census: ConstructibleLINELinkedResidents, Access: LINEAPIAccess>(
        census: Census.Type, lineAccess: Access.Type
    ) -> [any Command.Type] {
        [KPIReportCommand<Census>.self, KPIRefreshCommand.self, PullLineInsightCommand<Access>.self]
    }

    public let database: Database
    public let calculator: KPICalculator
    public let counters: KPICounters
    public let workflow: KPIWorkflow
    let authentication: Authentication
    let catchUpJob: KPICatchUpJob?

    /// Loads `Schemas/kpi/indicators.json`; a bad definition stops start-up with an `IndicatorDefinitionError`
    /// naming the file and field. Then catches the counters up (`KPICounters.catchUp`): after a change to the
    /// file every counter is counted again from the usage events, and events written while the server was down
    /// are counted, before the server listens. `catchUpInterval` is how often `serve` catches up in the
    /// background (nil: never, bench/kpi-write's "off" side; reads still catch up first).
    public init(
        database: Database, schemasDirectory: URL, authentication: Authentication, census: any LINELinkedResidents,
        catchUpInterval: TimeInterval? = KPICatchUpJob.defaultInterval, logger: Logger = .disabled
    ) throws {
        self.database = database
        let catalog = try Self.loadCatalog(schemasDirectory: schemasDirectory)
        self.calculator = KPICalculator(catalog: catalog, census: census)
        let counters = KPICounters(catalog: catalog)
        self.counters = counters
        try counters.catchUp(database)
        self.workflow = KPIWorkflow(database: database)
        self.authentication = authentication
        self.catchUpJob = catchUpInterval.map {
            KPICatchUpJob(database: database, counters: counters, interval: $0, logger: logger)
        }
    }

    public var workers: [any BackgroundWorker] { catchUpJob.map { [$0] } ?? [] }

    public static func loadCatalog(schemasDirectory: URL) throws -> IndicatorCatalog {
        try IndicatorCatalog.load(directory: schemasDirectory.appendingPathComponent("kpi"))
    }

    public var dashboardTiles: [any StaffDashboardTile] { [KPIDashboardTile()] }

    public func register(in routes: inout Routes) {
        routes.register(KPIRoutes(module: self, authentication: authentication))
        routes.register(KPIAPIRoutes(module: self, authentication: authentication))
    }

    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        try KPIDemoData.seed(database: database, demo: demo)
    }

    /// One fiscal year's report, read from one snapshot after catching the counters up to the last
    /// committed event.
    public func report(fiscalYear: Int, now: Date) throws -> KPIReport {
        try counters.catchUpIfBehind(database)
        return try database.read { try calculator.report(fiscalYear: fiscalYear, now: now, on: $0) }
    }

    /// The report for `?fy=` (this fiscal year when absent) and the years the selector offers, after catching
    /// the counters up (a write only when events came in since the last catch-up: the routes are offloaded).
    func reportAndYears(_ fiscalYearText: String?, now: Date) throws -> (KPIReport, [Int]) {
        let year = try Self.fiscalYear(fiscalYearText, now: now)
        try counters.catchUpIfBehind(database)
        return try database.read { connection in
            (
                try calculator.report(fiscalYear: year, now: now, on: connection),
                try Self.years(including: year, now: now, on: connection)
            )
        }
    }

    func years(including year: Int, now: Date) throws -> [Int] {
        try database.read { try Self.years(including: year, now: now, on: $0) }
    }

    /// From the first year with events (at least last year) to this year, and the asked-for year if outside.
    static func years(including year: Int, now: Date, on connection: Connection) throws -> [Int] {
        let current = FiscalYear(containing: now).startYear
        let first = min(try KPIStore.fetchFirstFiscalYear(on: connection) ?? current, current - 1, year)
        return Array(first...max(current, year)).reversed()
    }

    /// `2030` → 2030; nil → this fiscal year; anything else is refused.
    static func fiscalYear(_ text: String?, now: Date) throws -> Int {
        guard let text, !text.isEmpty else { return FiscalYear(containing: now).startYear }
        guard text.count == 4, text.allSatisfy(\.isASCII), let year = Int(text), (2000...2999).contains(year) else {
            throw KPIRequestRefused.invalidFiscalYear
        }
        return year
    }
}

/// A census that the CLI can build without a server: Notices' reads `line_links` on the connection it is given.
public protocol ConstructibleLINELinkedResidents: LINELinkedResidents {
    init()
}
