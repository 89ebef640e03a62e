import App
import Foundation
import ServiceKit

/// `demo-data --dev`: every module seeds its own demo data, in module order (Madoguchi.seedDemoData).
enum DemoDataCommand: Command {
    static let name = "demo-data"
    static let summary = "Development only: create demo districts, a demo admin, a demo clerk and a demo resident."
    static let usage = """
        USAGE: madoguchi demo-data --dev [--db PATH] [--schemas DIR]

        Creates the districts 平取, 振内 and 貫気別, the staff admin 'admin', the 建設水道課 clerk 'clerk' and
        the resident 'hanako@example.jp' with four applications, each account with a new random password
        printed here. Safe to run again: nothing is created twice, and every account gets a fresh password. Refuses to run outside development mode,
        because it prints working passwords.

        OPTIONS:
          --dev           Development mode (or env MADOGUCHI_DEV=1); required
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["db", "schemas"]
    static let booleanOptions: Set<String> = ["dev"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard CommonOptions.isDevelopmentMode(options, environment) else {
            throw CommandFailure(
                message:
                    "demo-data runs only in development mode (--dev or MADOGUCHI_DEV=1): it prints working passwords")
        }
        var configuration = AppConfiguration(
            databasePath: CommonOptions.databasePath(options, environment),
            schemasDirectory: CommonOptions.schemasDirectory(options, environment))
        configuration.developmentMode = true
        try CommonOptions.ensureParentDirectory(of: configuration.databasePath)
        print("demo data (development only):")
        for line in try Madoguchi.seedDemoData(configuration: configuration) { print("  " + line) }
        return .success
    }
}
