import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// The plan's 第5章 めざすべき目標値 (and 第3章's LINE and homepage figures) as a service module: indicators
/// defined as data in `Schemas/kpi/indicators.json`, counted from usage events per fiscal year.
public struct KPIModule: ServiceModule {
    public static let name = "kpi"

    public let database: Database
    public let calculator: KPICalculator
    let authentication: Authentication

    /// Loads `Schemas/kpi/indicators.json`; a bad definition stops start-up with an `IndicatorDefinitionError`
    /// naming the file and field.
    public init(
        database: Database, schemasDirectory: URL, authentication: Authentication, census: any LineLinkCensus
    ) throws {
        self.database = database
        self.calculator = KPICalculator(
            catalog: try Self.loadCatalog(schemasDirectory: schemasDirectory), census: census)
        self.authentication = authentication
    }

    public static func loadCatalog(schemasDirectory: URL) throws -> IndicatorCatalog {
        try IndicatorCatalog.load(directory: schemasDirectory.appendingPathComponent("kpi"))
    }

    /// One fiscal year's report, read from one snapshot.
    public func report(fiscalYear: Int, now: Date) throws -> KPIReport {
        try database.read { try calculator.report(fiscalYear: fiscalYear, now: now, on: $0) }
    }

    public func register(in routes: inout Routes) {}
}
