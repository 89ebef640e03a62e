import App
import Foundation
import HTTP
import ServiceKit
import Store

enum ServeCommand: Command {
    static let name = "serve"
    static let summary = "Migrate the database and serve HTTP until SIGTERM or SIGINT."
    static let usage = """
        USAGE: madoguchi serve [--db PATH] [--listen HOST:PORT] [--schemas DIR] [--log-level LEVEL]
                               [--threads N] [--town FILE] [--public-url URL] [--no-group-commit]
                               [--bench-routes] [--dev] [--payments-sandbox]

        OPTIONS:
          --db PATH            SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --listen HOST:PORT   Address to listen on; port 0 picks a free one (env MADOGUCHI_LISTEN; default 127.0.0.1:8080)
          --schemas DIR        Folder holding migrations/ (env MADOGUCHI_SCHEMAS; default ./Schemas)
          --log-level LEVEL    debug, info, warning or error (env MADOGUCHI_LOG_LEVEL; default info)
          --threads N          HTTP polling threads (env MADOGUCHI_THREADS; default one per core). Handlers that
                               block, such as durable writes, run on a separate pool of 64 threads
          --town FILE          The town profile shown on every page: name, phone numbers, hours, address
                               (env MADOGUCHI_TOWN_FILE; default town.json in the schemas folder, example values)
          --public-url URL     This site's address as residents reach it, e.g. https://madoguchi.town.example.jp:
                               flyer QR codes, LINE notice links and the payment provider's return point there
                               (env MADOGUCHI_PUBLIC_BASE_URL; default the listen address, for --dev)
          --no-group-commit    One transaction per write; for benchmarks (env MADOGUCHI_GROUP_COMMIT=off)
          --bench-routes       Mount /bench/rows for bench/run; never in production. With it, env
                               MADOGUCHI_BENCH_KPI_CATCH_UP=off stops the background KPI catch-up (bench/kpi-write)
          --dev                Plain-HTTP development on loopback: the session cookie is `madoguchi` without
                               Secure instead of `__Host-madoguchi` (env MADOGUCHI_DEV=1); never in production
          --payments-sandbox   Take payments through the sandbox checkout, where no money moves, although not in
                               --dev (env MADOGUCHI_PAYMENT_SANDBOX=1); for test installs and benchmarks only.
                               Without it, --dev or MADOGUCHI_PAYMENT_API_BASE, serve refuses to start
          --help               Show this help

        ENVIRONMENT (no option):
          MADOGUCHI_KPI_CATCH_UP_SECONDS  How often the KPI counters catch up with new usage events in the
                               background (default 60); every KPI read also catches up first
        """
    static let valuedOptions: Set<String> = ["db", "listen", "schemas", "log-level", "threads", "town", "public-url"]
    static let booleanOptions: Set<String> = ["no-group-commit", "bench-routes", "dev", "payments-sandbox"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let listenText = options.value("listen") ?? environment["MADOGUCHI_LISTEN"] ?? "127.0.0.1:8080"
        guard let listen = AppConfiguration.parseListen(listenText) else {
            throw CommandLineOptions.UsageError(message: "--listen must be HOST:PORT, not '\(listenText)'")
        }
        var configuration = AppConfiguration(
            databasePath: CommonOptions.databasePath(options, environment), host: listen.host, port: listen.port,
            schemasDirectory: CommonOptions.schemasDirectory(options, environment),
            logLevel: try CommonOptions.logLevel(options, environment))
        if let threadsText = options.value("threads") ?? environment["MADOGUCHI_THREADS"], !threadsText.isEmpty {
            guard let threads = Int(threadsText), (1...1024).contains(threads) else {
                throw CommandLineOptions.UsageError(message: "--threads must be a number from 1 to 1024")
            }
            configuration.workerThreads = threads
        }
        configuration.groupCommit =
            !options.has("no-group-commit") && environment["MADOGUCHI_GROUP_COMMIT"]?.lowercased() != "off"
        configuration.benchRoutes = options.has("bench-routes")
        if let seconds = environment["MADOGUCHI_KPI_CATCH_UP_SECONDS"].flatMap(TimeInterval.init), seconds > 0 {
            configuration.kpiCatchUpInterval = seconds
        }
        // bench/kpi-write's "off" side only, and only beside the bench routes: never a production switch.
        if configuration.benchRoutes && environment["MADOGUCHI_BENCH_KPI_CATCH_UP"]?.lowercased() == "off" {
            configuration.kpiCatchUpInterval = nil
        }
        if let town = options.value("town") ?? environment["MADOGUCHI_TOWN_FILE"], !town.isEmpty {
            configuration.townProfileFile = URL(fileURLWithPath: town)
        }
        if let text = options.value("public-url") ?? environment[AppConfiguration.publicBaseURLVariable],
            !text.isEmpty
        {
            guard let url = AppConfiguration.parsePublicBaseURL(text) else {
                throw CommandLineOptions.UsageError(
                    message:
                        "--public-url (or MADOGUCHI_PUBLIC_BASE_URL) must be an http:// or https:// address such as https://madoguchi.town.example.jp, not '\(text)'"
                )
            }
            configuration.publicBaseURL = url
        }
        try configuration.readSecretFiles(environment: environment)
        configuration.developmentMode = CommonOptions.isDevelopmentMode(options, environment)
        configuration.paymentsSandboxOptIn =
            options.has("payments-sandbox")
            || ["1", "true", "yes", "on"].contains(
                environment[AppConfiguration.paymentsSandboxVariable]?.lowercased() ?? "")
        try configuration.refuseUnbackedPayments()
        try CommonOptions.ensureParentDirectory(of: configuration.databasePath)

        ProcessMemory.configureAllocator()
        // Block the stop signals before any thread starts, so every thread inherits the mask and the main
        // thread alone receives them through sigwait: no async-signal-safety concerns.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let madoguchi = try Madoguchi(configuration: configuration)
        if configuration.developmentMode {
            madoguchi.logger.warning(
                "development mode: session cookie without Secure; never use this in production",
                ["cookie": .string(configuration.identitySettings.sessionCookieName)])
        }
        try madoguchi.start()
        print(
            "madoguchi listening on http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(madoguchi.server.port)"
        )
        fflush(nil)  // tests and systemd read this line while the process keeps running

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        madoguchi.logger.info("stopping", ["signal": .int(Int(received))])
        madoguchi.shutdown()
        return .success
    }
}

enum MigrateCommand: Command {
    static let name = "migrate"
    static let summary = "Apply pending migrations from Schemas/migrations and exit."
    static let usage = """
        USAGE: madoguchi migrate [--db PATH] [--schemas DIR]

        OPTIONS:
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let path = CommonOptions.databasePath(options, environment)
        try CommonOptions.ensureParentDirectory(of: path)
        let database = try Database(path: path)
        defer { database.close() }
        let schemas = CommonOptions.schemasDirectory(options, environment)
        let migrator = try Migrator(directory: schemas.appendingPathComponent("migrations"))
        let applied = try migrator.migrate(database)
        print(
            applied.isEmpty
                ? "up to date at version \(migrator.migrations.last?.version ?? 0)"
                : "applied \(applied.map(String.init).joined(separator: ", "))")
        // The KPI counters derive from the data and indicators.json, not from migrations alone: made current here
        // too, so the first report after a migration by hand has nothing to count.
        if let caughtUp = try Madoguchi.catchUpDerivedState(database: database, schemasDirectory: schemas) {
            print(caughtUp)
        }
        return .success
    }
}

enum BackupCommand: Command {
    static let name = "backup"
    static let summary = "Copy the live database to a new file while the server keeps running."
    static let usage = """
        USAGE: madoguchi backup --to FILE [--db PATH]

        Writes a consistent copy with SQLite's online backup API, checks it with PRAGMA integrity_check,
        and only then moves it into place. FILE must not exist yet.

        OPTIONS:
          --to FILE   Where to write the backup (required)
          --db PATH   SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --help      Show this help
        """
    static let valuedOptions: Set<String> = ["to", "db"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let destination = options.value("to") else {
            throw CommandLineOptions.UsageError(message: "backup needs --to FILE")
        }
        let path = CommonOptions.databasePath(options, environment)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "no database at \(path)")
        }
        let database = try Database(path: path)
        defer { database.close() }
        try CommonOptions.ensureParentDirectory(of: destination)
        try database.backup(to: destination)
        print("backed up \(path) to \(destination)")
        return .success
    }
}

enum RestoreCommand: Command {
    static let name = "restore"
    static let summary = "Replace the database with a backup file."
    static let usage = """
        USAGE: madoguchi restore --from FILE [--db PATH] [--force]

        Checks the backup's integrity, then copies it over the database. Refuses to overwrite an existing
        database unless --force is given: stop the server first.

        OPTIONS:
          --from FILE   The backup to restore (required)
          --db PATH     SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --force       Overwrite an existing database
          --help        Show this help
        """
    static let valuedOptions: Set<String> = ["from", "db"]
    static let booleanOptions: Set<String> = ["force"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let source = options.value("from") else {
            throw CommandLineOptions.UsageError(message: "restore needs --from FILE")
        }
        guard FileManager.default.fileExists(atPath: source) else {
            throw CommandFailure(message: "no backup at \(source)")
        }
        let path = CommonOptions.databasePath(options, environment)
        try CommonOptions.ensureParentDirectory(of: path)
        try Database.restore(from: source, to: path, force: options.has("force"))
        print("restored \(path) from \(source)")
        return .success
    }
}

enum VersionCommand: Command {
    static let name = "version"
    static let summary = "Print the version."
    static let usage = "USAGE: madoguchi version"
    static let valuedOptions: Set<String> = []
    static let version = "0.1.0"

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        print("madoguchi \(version)")
        return .success
    }
}
