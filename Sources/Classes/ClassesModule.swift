import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// スマホ教室 (デジタルデバイド対策: 高齢者向けスマートフォン教室 with デジタル活用支援員, at least 6 a year across the
/// three districts) as a service module: the public listing and signup, the staff console, reminders,
/// attendance, the survey, outcome attribution, its JSON API and demo data.
public struct ClassesModule: ServiceModule {
    public static let name = "classes"

    public let workflow: ClassWorkflow
    let authentication: Authentication
    /// Stored, not made per call: App starts and stops the same worker.
    let reminderJob: ClassReminderJob
    /// The site's configured public address, for the flyer's QR code and the LINE notice's link: never the
    /// request's Host, which anyone can set.
    let publicBaseURL: @Sendable () -> String

    /// Loads `Schemas/classes`; a bad definition stops start-up naming file and field.
    public init(
        database: Database, schemasDirectory: URL, authentication: Authentication, lineLinks: any LINELinkedResidents,
        publicBaseURL: @escaping @Sendable () -> String, logger: Logger = .disabled
    ) throws {
        let workflow = ClassWorkflow(
            database: database, catalog: try Self.loadCatalog(schemasDirectory: schemasDirectory), lineLinks: lineLinks)
        self.workflow = workflow
        self.authentication = authentication
        self.publicBaseURL = publicBaseURL
        self.reminderJob = ClassReminderJob(workflow: workflow, clock: { authentication.now() }, logger: logger)
    }

    public var workers: [any BackgroundWorker] { [reminderJob] }

    public static func loadCatalog(schemasDirectory: URL) throws -> ClassCatalog {
        try ClassCatalog.load(directory: schemasDirectory.appendingPathComponent("classes"))
    }

    public var myPageSections: [any MyPageSection] { [ClassesMyPageSection(catalog: workflow.catalog)] }
    public var dashboardTiles: [any StaffDashboardTile] { [ClassesDashboardTile()] }

    public func register(in routes: inout Routes) {
        routes.register(ClassRoutes(workflow: workflow, authentication: authentication, publicBaseURL: publicBaseURL))
        routes.register(
            StaffClassRoutes(workflow: workflow, authentication: authentication, publicBaseURL: publicBaseURL))
        routes.register(ClassAPIRoutes(workflow: workflow, authentication: authentication))
    }

    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        guard let clerkID = demo.clerkID else { return [] }
        let added = try ClassesDemoData.seed(
            workflow: workflow, staffID: clerkID, residentID: demo.residentID, at: demo.now)
        return ["class sessions added: \(added)"]
    }
}
