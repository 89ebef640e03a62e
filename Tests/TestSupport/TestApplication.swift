import App
import Foundation
import HTTPClient
import Store

/// The wired application on a temp database, an ephemeral loopback port and a manual clock, with password
/// hashing cut to 1,000 iterations so tests can log in often. Stopped when the value goes away.
public final class TestApplication: @unchecked Sendable {
    public let directory = TemporaryDirectory()
    public let clock: ManualTimeSource
    public let application: Madoguchi

    public init(
        developmentMode: Bool = false, passwordIterations: Int = 1_000, clock: ManualTimeSource = ManualTimeSource(),
        configure: (inout AppConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = AppConfiguration(
            databasePath: directory.path("app.sqlite"), host: "127.0.0.1", port: 0,
            schemasDirectory: RepositoryPaths.schemas, workerThreads: 4)
        configuration.developmentMode = developmentMode
        configuration.passwordIterations = passwordIterations
        configure(&configuration)
        self.clock = clock
        application = try Madoguchi(configuration: configuration, logger: .disabled, timeSource: clock)
        try application.start()
    }

    deinit {
        application.shutdown()
    }

    public var database: Database { application.database }
    public var baseURL: String { "http://127.0.0.1:\(application.server.port)" }

    /// A new browser with an empty cookie jar.
    public func browser() -> Browser { Browser(baseURL: baseURL) }

    /// One request without cookies, on a fresh connection.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) throws
        -> EasyHandle.Response
    {
        try EasyHandle().perform(method: method, url: baseURL + path, headers: headers, body: body)
    }
}
