import Formats
import Foundation
import ServiceKit
import Store

/// `madoguchi kpi --fy 2030 [--format table|json|csv]`: the report of one fiscal year, for the 進行管理
/// meeting's papers or a spreadsheet, without a running server.
public enum KPIReportCommand<Census: ConstructibleLINELinkedResidents>: Command {
    public static var name: String { "kpi" }
    public static var summary: String { "Print the KPI report (めざすべき目標値) of a fiscal year." }
    public static var usage: String {
        """
        USAGE: madoguchi kpi [--fy YEAR] [--format table|json|csv] [--db PATH] [--schemas DIR]

        Counts the indicators of Schemas/kpi/indicators.json for the fiscal year (April to March, JST) from the
        usage events, the entered figures and the LINE links, as /staff/kpi shows them.

        OPTIONS:
          --fy YEAR        The fiscal year by the year its April falls in: 2030 is 令和12年度 (default: this one)
          --format FORMAT  table (default), json (the API's answer) or csv (UTF-8 with BOM, for Excel)
          \(CommonOptions.databaseOptionsHelp)
          --help           Show this help
        """
    }
    public static var valuedOptions: Set<String> { ["fy", "format", "db", "schemas"] }

    public static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let now = Date()
        let year: Int
        do {
            year = try KPIModule.fiscalYear(options.value("fy"), now: now)
        } catch {
            throw CommandLineOptions.UsageError(message: "--fy must be a four-digit year such as 2030")
        }
        let format = options.value("format") ?? "table"
        guard ["table", "json", "csv"].contains(format) else {
            throw CommandLineOptions.UsageError(message: "--format must be table, json or csv, not '\(format)'")
        }
        let catalog = try KPIModule.loadCatalog(schemasDirectory: CommonOptions.schemasDirectory(options, environment))
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "kpi_entered_figures", tables: "no KPI tables")
        defer { database.close() }
        let calculator = KPICalculator(catalog: catalog, census: Census())
        let report = try database.read { try calculator.report(fiscalYear: year, now: now, on: $0) }
        switch format {
        case "json":
            FileHandle.standardOutput.write(try report.jsonData())
            FileHandle.standardOutput.write(Data("\n".utf8))
        case "csv":
            FileHandle.standardOutput.write(KPIExport.csv(report, encoding: .utf8BOM))
        default:
            print(KPIExport.table(report))
        }
        return .success
    }
}
