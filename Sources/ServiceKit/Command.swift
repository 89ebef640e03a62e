import Foundation
import HTTP
import Store

/// Exit codes, as in swift-argument-parser and sysexits.h.
public enum ExitCode: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 64
    /// EX_TEMPFAIL: work remains for the next run (e.g. `notices send` stopped at its time limit).
    case temporaryFailure = 75
}

/// A `madoguchi` subcommand. The core's commands live in the executable; a module lists its own in
/// `ServiceModule.commands`, and App hands the executable the whole list.
public protocol Command {
    static var name: String { get }
    static var summary: String { get }
    static var usage: String { get }
    static var valuedOptions: Set<String> { get }
    static var booleanOptions: Set<String> { get }
    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode
}

extension Command {
    public static var booleanOptions: Set<String> { [] }
}

/// Options every database command shares, with their environment fallbacks.
public enum CommonOptions {
    public static let defaultDatabase = "var/madoguchi.sqlite"

    /// The `--db` and `--schemas` lines of a command's help, for the commands that take both.
    public static let databaseOptionsHelp = """
        --db PATH       SQLite database file (env MADOGUCHI_DB; default \(defaultDatabase))
          --schemas DIR   Folder holding migrations/ (env MADOGUCHI_SCHEMAS; default ./Schemas)
        """

    public static func databasePath(_ options: CommandLineOptions, _ environment: [String: String]) -> String {
        options.value("db") ?? environment["MADOGUCHI_DB"] ?? defaultDatabase
    }

    public static func schemasDirectory(_ options: CommandLineOptions, _ environment: [String: String]) -> URL {
        if let path = options.value("schemas") ?? environment["MADOGUCHI_SCHEMAS"] {
            return URL(fileURLWithPath: path)
        }
        return SchemaLocator.defaultDirectory()
    }

    public static func logLevel(_ options: CommandLineOptions, _ environment: [String: String]) throws -> Logger.Level {
        let name = options.value("log-level") ?? environment["MADOGUCHI_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(name: name) else {
            throw CommandLineOptions.UsageError(
                message: "log level must be debug, info, warning or error, not '\(name)'")
        }
        return level
    }

    /// Opens the database and applies pending migrations, so the first admin can be created on a fresh
    /// install before the server has ever started.
    public static func openMigratedDatabase(_ options: CommandLineOptions, _ environment: [String: String]) throws
        -> Database
    {
        let path = CommonOptions.databasePath(options, environment)
        try CommonOptions.ensureParentDirectory(of: path)
        let database = try Database(path: path)
        do {
            try Migrator(
                directory: CommonOptions.schemasDirectory(options, environment).appendingPathComponent("migrations")
            ).migrate(database)
        } catch {
            database.close()
            throw error
        }
        return database
    }

    /// Opens an existing database that already has `table`; never creates an empty file where the operator
    /// mistyped a path, and never migrates (the server's unit does that: two processes migrating at once could
    /// trip over each other). `tables` names what is missing in the error, e.g. "no audit log".
    public static func openExistingDatabase(
        _ options: CommandLineOptions, _ environment: [String: String], requiring table: String, tables: String
    ) throws -> Database {
        let path = databasePath(options, environment)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "no database at \(path); run madoguchi migrate first")
        }
        let database = try Database(path: path)
        let migrated = try database.read { connection in
            try connection.queryFirst("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", table)
        }
        guard migrated != nil else {
            database.close()
            throw CommandFailure(message: "the database at \(path) has \(tables) yet; run madoguchi migrate first")
        }
        return database
    }

    /// `--dev` or `MADOGUCHI_DEV=1`: plain-HTTP loopback development, never production.
    public static func isDevelopmentMode(_ options: CommandLineOptions, _ environment: [String: String]) -> Bool {
        options.has("dev") || ["1", "true", "yes", "on"].contains(environment["MADOGUCHI_DEV"]?.lowercased() ?? "")
    }

    /// Creates the database's folder (e.g. `var/`) on first use.
    public static func ensureParentDirectory(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
}

/// A setting the command cannot run without, e.g. `serve` with no payment provider outside development: one
/// line on stderr naming what to set, and exit 64 like a usage error, without the usage text after it (the
/// command line was fine; the configuration was not).
public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// A failure worth one clear line on stderr and exit code 1.
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
