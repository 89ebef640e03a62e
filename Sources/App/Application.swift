import Applications
import Foundation
import HTTP
import Identity
import Notices
import Store
import Web

/// The clock Identity reads, re-exported so code that starts an `Application` can pass one in.
public typealias TimeSource = Identity.TimeSource

/// Wires the modules together: opens and migrates the database, registers every module's routes,
/// and owns the server's lifecycle.
public final class Application: Sendable {
    public let configuration: AppConfiguration
    public let database: Database
    public let server: Server
    public let logger: Logger
    /// Accounts, sessions and roles; other modules wrap their handlers with `identity.authentication`.
    public let identity: IdentityModule
    /// Every registered route, for the meta-test that keeps `Schemas/openapi.yaml` complete.
    public let routes: [(method: String, pattern: String)]
    /// Handles stored LINE webhook events after their 200 went out; nil when no channel secret is configured.
    let webhookProcessor: WebhookEventProcessor?

    public init(
        configuration: AppConfiguration, logger: Logger? = nil, timeSource: any TimeSource = SystemTimeSource()
    ) throws {
        self.configuration = configuration
        let logger = logger ?? Logger(minimumLevel: configuration.logLevel)
        self.logger = logger
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
        self.database = database

        var serverConfiguration = Server.Configuration()
        serverConfiguration.host = configuration.host
        serverConfiguration.port = configuration.port
        serverConfiguration.workerThreads = configuration.workerThreads

        let identity: IdentityModule
        let procedureCatalog: ProcedureCatalog
        do {
            // Online applications: a bad Schemas/procedures/*.json stops start-up here, naming file and field.
            procedureCatalog = try ApplicationsModule.loadCatalog(schemasDirectory: configuration.schemasDirectory)
            // Modules add their マイページ sections and dashboard tiles here as they arrive.
            identity = try IdentityModule(
                database: database, settings: configuration.identitySettings, timeSource: timeSource,
                myPageSections: [
                    ApplicationsModule.myPageSection(catalog: procedureCatalog), NoticesModule.myPageSection,
                ],
                dashboardTiles: [ApplicationsModule.dashboardTile, NoticesModule.dashboardTile], logger: logger)
        } catch {
            database.close()
            throw error
        }
        self.identity = identity

        let metrics = HTTPMetrics()
        let readiness = Readiness()
        var routes = Routes()
        routes.register(SystemRoutes(database: database, metrics: metrics, readiness: readiness))
        routes.register(WebPages.stylesheetRoutes)
        routes.register(HomeRoutes(authentication: identity.authentication))
        routes.register(identity)
        routes.register(
            ApplicationsModule(database: database, catalog: procedureCatalog, authentication: identity.authentication))
        routes.register(NoticesModule(database: database, authentication: identity.authentication))
        if let channelSecret = configuration.lineChannelSecret {
            let notices = NoticeStore(database: database)
            let processor = WebhookEventProcessor(store: notices, logger: logger, clock: { timeSource.now() })
            routes.register(NoticeWebhookRoutes(channelSecret: channelSecret, store: notices, processor: processor))
            webhookProcessor = processor
        } else {
            // Without the secret no signature can be checked, so the webhook is not mounted at all.
            logger.warning(
                "LINE webhook not mounted", ["reason": .string("\(LINECredentialFile.secretVariable) not set")])
            webhookProcessor = nil
        }
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

    public func start() throws {
        try server.start()
        webhookProcessor?.start()
    }

    /// Graceful stop: drain HTTP, handle the webhook events already stored, then finish queued writes and close
    /// the database.
    public func shutdown() {
        server.shutdown()
        webhookProcessor?.stop()
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
