import Applications
import Certificates
import Classes
import Foundation
import HTTP
import Identity
import KPI
import Notices
import Payments
import ServiceKit
import Store
import Web

/// The clock Identity reads, re-exported so code that starts the server can pass one in.
public typealias TimeSource = Identity.TimeSource

/// The whole service, wired: opens and migrates the database, builds the service modules, registers their
/// routes beside the system routes, and owns the server's and the modules' workers' lifecycle.
///
/// Adding a module means adding its type to `moduleTypes` and one line to `makeModules` (docs/modules.md).
public final class Madoguchi: Sendable {
    /// Every service module, in the order マイページ, the dashboard, the CLI help and demo-data list them.
    public static let moduleTypes: [any ServiceModule.Type] = [
        IdentityModule.self, ApplicationsModule.self, NoticesModule.self,
        PaymentsModule.self, CertificatesModule.self, KPIModule.self, ClassesModule.self,
    ]

    /// Every module's `madoguchi` subcommands, for the executable.
    public static var moduleCommands: [any Command.Type] {
        moduleTypes.flatMap { $0.commands }
            + KPIModule.commands(census: NoticesLINELinkedResidents.self, lineAccess: NoticesLINEAPIAccess.self)
    }

    public let configuration: AppConfiguration
    public let database: Database
    public let server: Server
    public let logger: Logger
    /// Accounts, sessions and roles; every other module wraps its handlers with `identity.authentication`.
    public let identity: IdentityModule
    public let modules: [any ServiceModule]
    /// Every registered route, for the meta-test that keeps `Schemas/openapi.yaml` complete.
    public let routes: [(method: String, pattern: String)]

    public init(
        configuration: AppConfiguration, logger: Logger? = nil, timeSource: any TimeSource = SystemTimeSource()
    ) throws {
        self.configuration = configuration
        let logger = logger ?? Logger(minimumLevel: configuration.logLevel)
        self.logger = logger
        let town = try configuration.loadTownProfile()
        if town.example {
            logger.warning("the town profile holds example values; set MADOGUCHI_TOWN_FILE to the town's own")
        }
        TownProfile.current = town
        if configuration.publicBaseURL == nil && !configuration.developmentMode {
            logger.warning(
                "no public address: flyers and LINE notices link to the listen address; set MADOGUCHI_PUBLIC_BASE_URL")
        }
        let database = try Self.openMigratedDatabase(configuration, logger: logger)
        self.database = database
        let readiness = Readiness()
        do {
            (identity, modules) = try Self.makeModules(
                database: database, configuration: configuration, timeSource: timeSource, logger: logger,
                publicBaseURL: Self.publicBaseURL(configuration, readiness: readiness))
        } catch {
            database.close()
            throw error
        }

        var serverConfiguration = Server.Configuration()
        serverConfiguration.host = configuration.host
        serverConfiguration.port = configuration.port
        serverConfiguration.workerThreads = configuration.workerThreads

        let metrics = HTTPMetrics()
        var routes = Routes()
        routes.register(
            SystemRoutes(
                database: database, metrics: metrics, readiness: readiness, keyDerivation: identity.keyDerivation,
                myPageCache: identity.myPageCache))
        routes.register(WebPages.stylesheetRoutes)
        routes.register(HomeRoutes(authentication: identity.authentication))
        for module in modules { routes.register(module) }
        if configuration.benchRoutes {
            try BenchRoutes.prepare(database)
            routes.register(BenchRoutes(database: database))
        }
        self.routes = routes.routes.map { (method: $0.method, pattern: $0.pattern) }
        self.server = Server(
            configuration: serverConfiguration, routes: routes, logger: logger, metrics: metrics,
            errorRenderer: WebPages.errorRenderer)
        readiness.server = server
    }

    /// Identity first, because every other module takes its `Authentication`; then the modules it hosts.
    static func makeModules(
        database: Database, configuration: AppConfiguration, timeSource: any TimeSource, logger: Logger,
        publicBaseURL: @escaping @Sendable () -> String
    ) throws -> (IdentityModule, [any ServiceModule]) {
        let authentication = try Authentication(
            database: database, settings: configuration.identitySettings, timeSource: timeSource)
        // Payments is built first: the charging modules take it as their `FeeCollector`, and it takes their
        // handlers (which need nothing from it) as `feeSubjects`.
        let payments = try PaymentsModule(
            database: database, schemasDirectory: configuration.schemasDirectory, authentication: authentication,
            feeSubjects: [CertificateFeeHandler()] + configuration.additionalFeeSubjects,
            hostedProvider: configuration.paymentProvider, logger: logger)
        // Notices owns the LINE links; KPI counts them and Classes chooses LINE or a phone call by them.
        let lineLinkedResidents = NoticesLINELinkedResidents()
        let hosted: [any ServiceModule] = [
            try ApplicationsModule(
                database: database, schemasDirectory: configuration.schemasDirectory, authentication: authentication),
            NoticesModule(
                database: database, authentication: authentication,
                lineChannelSecret: configuration.lineChannelSecret, logger: logger),
            payments,
            try CertificatesModule(
                database: database, schemasDirectory: configuration.schemasDirectory, authentication: authentication,
                fees: payments),
            try KPIModule(
                database: database, schemasDirectory: configuration.schemasDirectory, authentication: authentication,
                census: lineLinkedResidents, catchUpInterval: configuration.kpiCatchUpInterval, logger: logger),
            try ClassesModule(
                database: database, schemasDirectory: configuration.schemasDirectory, authentication: authentication,
                lineLinks: lineLinkedResidents, publicBaseURL: publicBaseURL, logger: logger),
        ]
        let identity = IdentityModule(
            authentication: authentication, database: database, settings: configuration.identitySettings,
            hosting: hosted, logger: logger)
        let modules = [identity] + hosted
        assert(modules.map { type(of: $0).name } == moduleTypes.map { $0.name }, "moduleTypes and makeModules differ")
        return (identity, modules)
    }

    /// Where links that leave the building point: the configured public address, else the listen address once
    /// the server knows its port.
    static func publicBaseURL(_ configuration: AppConfiguration, readiness: Readiness?) -> @Sendable () -> String {
        if let configured = configuration.publicBaseURL { return { configured } }
        return { configuration.listenURL(port: readiness?.server?.port) }
    }

    static func openMigratedDatabase(_ configuration: AppConfiguration, logger: Logger) throws -> Database {
        let database = try Database(
            path: configuration.databasePath, configuration: configuration.databaseConfiguration)
        do {
            let applied = try Migrator(directory: configuration.schemasDirectory.appendingPathComponent("migrations"))
                .migrate(database)
            if !applied.isEmpty {
                logger.info("migrated", ["versions": .string(applied.map(String.init).joined(separator: ","))])
            }
        } catch {
            database.close()
            throw error
        }
        return database
    }

    /// `migrate`'s second half: the KPI counters made consistent with the migrated schema and the indicators
    /// file (every event counted again after a change, then the events above the watermark), so a database
    /// migrated by hand serves a first report with nothing to count. The KPI module is the one whose stored
    /// state is derived from the data and a definition file rather than from the migrations alone. Nil when the
    /// migrations have no KPI counters (a schemas folder of another project's, as in the CLI tests).
    public static func catchUpDerivedState(database: Database, schemasDirectory: URL) throws -> String? {
        let hasCounters = try database.read { connection in
            try connection.queryFirst(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'kpi_counter_definition'") != nil
        }
        guard hasCounters else { return nil }
        let catalog = try KPIModule.loadCatalog(schemasDirectory: schemasDirectory)
        let done = try KPICounters(catalog: catalog).catchUp(database)
        return done.rebuilt ? "KPI counters rebuilt" : "KPI counters: \(done.events) new events counted"
    }

    /// `demo-data --dev`: every module's demo data, in module order, without starting a server. Returns the
    /// lines to print.
    public static func seedDemoData(configuration: AppConfiguration, at now: Date = Date()) throws -> [String] {
        let database = try openMigratedDatabase(configuration, logger: .disabled)
        defer { database.close() }
        let (_, modules) = try makeModules(
            database: database, configuration: configuration, timeSource: SystemTimeSource(), logger: .disabled,
            publicBaseURL: publicBaseURL(configuration, readiness: nil))
        var demo = DemoDataContext(database: database, now: now)
        return try modules.flatMap { try $0.seedDemoData(&demo) }
    }

    var workers: [any BackgroundWorker] { modules.flatMap(\.workers) }

    public func start() throws {
        try server.start()
        for worker in workers { worker.start() }
    }

    /// Graceful stop: drain HTTP, let the workers finish what they accepted (the webhook events already
    /// stored), then finish queued writes and close the database.
    public func shutdown() {
        server.shutdown()
        for worker in workers { worker.stop() }
        database.close()
    }
}

/// Lets `/readyz` see the server it belongs to, which is created after the routes.
final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private weak var _server: Server?
    var server: Server? {
        get { lock.withLock { _server } }
        set { lock.withLock { _server = newValue } }
    }
}

extension SQLiteError: LogSafeError {
    public var logDescription: String { description }
}

extension MigrationError: LogSafeError {
    public var logDescription: String { description }
}

/// The `madoguchi kpi` command builds its census without a server.
extension NoticesLINELinkedResidents: ConstructibleLINELinkedResidents {}

/// The KPI's LINE insight pull reaches LINE as `notices send` does: the same base URL and token file rules.
enum NoticesLINEAPIAccess: LINEAPIAccess {
    static func apiBase(environment: [String: String]) throws -> String {
        try NoticesCommandSupport.apiBase(environment)
    }

    static func authorization(environment: [String: String]) throws -> String {
        try LINECredentialFile.accessToken(environment: environment).authorizationValue
    }
}
