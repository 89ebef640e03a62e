import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// Online applications (行政手続きのオンライン化) as a service module: the resident pages, the JSON API, the staff
/// queue, "申請の状況" on マイページ, the queue tile, `madoguchi purge` and the demo resident's applications.
public struct ApplicationsModule: ServiceModule {
    public static let name = "applications"
    public static var commands: [any Command.Type] { [PurgeCommand.self] }

    public let workflow: ApplicationWorkflow
    let authentication: Authentication
    let published: PublishedCatalog

    /// Loads `Schemas/procedures`; a bad definition stops start-up with a `CatalogError` naming file and field.
    public init(database: Database, schemasDirectory: URL, authentication: Authentication) throws {
        self.workflow = ApplicationWorkflow(
            database: database, catalog: try Self.loadCatalog(schemasDirectory: schemasDirectory),
            throttle: authentication.settings.throttle)
        self.authentication = authentication
        self.published = try PublishedCatalog(workflow.catalog)
    }

    public static func loadCatalog(schemasDirectory: URL) throws -> ProcedureCatalog {
        try ProcedureCatalog.load(directory: schemasDirectory.appendingPathComponent("procedures"))
    }

    public var myPageSections: [any MyPageSection] { [ApplicationsMyPageSection(catalog: workflow.catalog)] }
    public var dashboardTiles: [any StaffDashboardTile] { [ApplicationsDashboardTile()] }

    public func register(in routes: inout Routes) {
        routes.register(ApplicationRoutes(workflow: workflow, authentication: authentication, published: published))
        routes.register(ApplicationAPIRoutes(workflow: workflow, authentication: authentication, published: published))
        routes.register(StaffQueueRoutes(workflow: workflow, authentication: authentication))
        routes.register(StaffQueueAPIRoutes(workflow: workflow, authentication: authentication))
    }

    /// A few applications in different states for the demo resident, handled by the demo clerk.
    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        guard let residentID = demo.residentID, let clerkID = demo.clerkID else { return [] }
        let added = try ApplicationsDemoData.seed(
            database: workflow.database, catalog: workflow.catalog, residentID: residentID, staffID: clerkID,
            at: demo.now)
        return ["applications added for the demo resident: \(added)"]
    }
}
