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
            options, environment, requiring: "kpi_counter_definition", tables: "no KPI counters")
        defer { database.close() }
        // Exact to the last committed event: counts what came in since the last catch-up (all of it again only
        // when the definitions changed since the server, or a command, last counted).
        try KPICounters(catalog: catalog).catchUpIfBehind(database)
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

/// `madoguchi kpi refresh`: catches the KPI counters up to the last usage event (every event again after a
/// change of indicators.json), as the server does every minute; for a host where the server is down, after a
/// restore, or to take a long backlog before the first report of the day.
public enum KPIRefreshCommand: Command {
    public static var name: String { "kpi refresh" }
    public static var summary: String { "Count the usage events written since the KPI counters last caught up." }
    public static var usage: String {
        """
        USAGE: madoguchi kpi refresh [--db PATH] [--schemas DIR]

        Counts every usage event above the counters' watermark into the KPI counters, \(KPICounters.batchSize) per
        write transaction, and moves the watermark; after a change of Schemas/kpi/indicators.json, counts every
        event again. Safe beside a running server and another refresh: each step is one write transaction that
        starts from the watermark the last one left.

        OPTIONS:
          \(CommonOptions.databaseOptionsHelp)
          --help           Show this help
        """
    }
    public static var valuedOptions: Set<String> { ["db", "schemas"] }

    public static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let catalog = try KPIModule.loadCatalog(schemasDirectory: CommonOptions.schemasDirectory(options, environment))
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "kpi_counter_definition", tables: "no KPI counters")
        defer { database.close() }
        let start = Date()
        let done = try KPICounters(catalog: catalog).catchUp(database)
        let through = try database.read { try KPICounters.watermark(on: $0) } ?? 0
        print(
            "\(done.rebuilt ? "rebuilt every counter; " : "")counted \(done.events) new events in "
                + "\(done.transactions) transactions (\(String(format: "%.2f", Date().timeIntervalSince(start))) s); "
                + "counted through event \(through)")
        return .success
    }
}
