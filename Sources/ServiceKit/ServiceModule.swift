import Foundation
import HTTP
import Store

/// One service the town offers online (applications, notices, certificates, payments, classes, and the
/// accounts themselves), as App sees it. App builds a list of modules and loops over it: it registers each
/// module's routes, gathers their マイページ sections and dashboard tiles, starts and stops their background
/// workers, offers their CLI commands and seeds their demo data. It never reaches into a module's parts.
///
/// Modules never import each other. They meet in shared tables through the shared writers (`UsageEvents`,
/// `ResidentMessages`) and through small protocols that App wires. `docs/modules.md` is the guide.
public protocol ServiceModule: RouteCollection, Sendable {
    /// The module's name in shared tables (`usage_events.source`, `resident_messages.source`) and in logs:
    /// lowercase ASCII, at most 32 characters, e.g. `applications`.
    static var name: String { get }

    /// Blocks of マイページ, in the order they appear.
    var myPageSections: [any MyPageSection] { get }

    /// Tiles on the staff dashboard (`/staff/`).
    var dashboardTiles: [any StaffDashboardTile] { get }

    /// Work that runs beside the HTTP server in the `serve` process (e.g. handling stored webhook events).
    /// Started after the server listens, stopped after it has drained.
    var workers: [any BackgroundWorker] { get }

    /// The module's `madoguchi` subcommands (`notices send`, `purge`…). Static: a command runs without a server.
    static var commands: [any Command.Type] { get }

    /// Development data for `make run` (`madoguchi demo-data --dev`). Runs after the modules before it in App's
    /// list, so it may use what they left in `demo` (Identity fills in the demo resident and clerk). Safe to run again:
    /// nothing is created twice. Returns lines to print, e.g. "applications added: 4".
    func seedDemoData(_ demo: inout DemoDataContext) throws -> [String]
}

extension ServiceModule {
    public var myPageSections: [any MyPageSection] { [] }
    public var dashboardTiles: [any StaffDashboardTile] { [] }
    public var workers: [any BackgroundWorker] { [] }
    public static var commands: [any Command.Type] { [] }
    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] { [] }
}

/// Something a module runs in the background of `serve`. `stop()` returns only when the work already accepted
/// is done, so a clean shutdown loses nothing.
public protocol BackgroundWorker: Sendable {
    func start()
    func stop()
}

/// What `demo-data` gives each module's seed: the database, the time, and the demo accounts that Identity seeds
/// first, so the other modules can give the demo resident something to look at. (A module's definitions, such
/// as the procedure catalog, it already loaded in its `init`.)
public struct DemoDataContext: Sendable {
    public let database: Database
    public let now: Date
    /// Filled by Identity's seed, which runs first; nil only if Identity is not in the list.
    public var residentID: Int64?
    public var clerkID: Int64?

    public init(database: Database, now: Date, residentID: Int64? = nil, clerkID: Int64? = nil) {
        self.database = database
        self.now = now
        self.residentID = residentID
        self.clerkID = clerkID
    }
}
