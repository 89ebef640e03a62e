import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// Certificate requests (証明書交付請求) as a service module: the resident request pages and API, the staff queue
/// with leases, the service calendar, "証明書の請求" on マイページ and the queue tile.
public struct CertificatesModule: ServiceModule {
    public static let name = "certificates"

    public let workflow: CertificateWorkflow
    public let tickets: TicketWorkflow
    let authentication: Authentication

    /// Loads `Schemas/certificates/*.json` and `Schemas/certificate_service.json`; a bad file stops start-up
    /// with a `CertificateDefinitionError` naming file and field. `fees` nil (no payments module wired) offers
    /// only 窓口で支払い.
    public init(
        database: Database, schemasDirectory: URL, authentication: Authentication, fees: (any FeeCollector)?,
        leaseSeconds: TimeInterval = CertificateRules.defaultLeaseSeconds
    ) throws {
        let catalog = try CertificateCatalog.load(directory: schemasDirectory.appendingPathComponent("certificates"))
        let service = try CertificateService.load(
            file: schemasDirectory.appendingPathComponent("certificate_service.json"), types: catalog)
        self.workflow = CertificateWorkflow(
            database: database, catalog: catalog, service: service, fees: fees, leaseSeconds: leaseSeconds)
        self.tickets = TicketWorkflow(database: database, service: service, now: { authentication.now() })
        self.authentication = authentication
    }

    public var myPageSections: [any MyPageSection] { [CertificatesMyPageSection(catalog: workflow.catalog)] }
    public var dashboardTiles: [any StaffDashboardTile] { [CertificatesDashboardTile()] }

    /// Requests of the demo resident in every state, handled by the demo clerk, and a board with people waiting.
    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        guard let residentID = demo.residentID, let clerkID = demo.clerkID else { return [] }
        return try CertificatesDemoData.seed(
            workflow: workflow, tickets: tickets, residentID: residentID, clerkID: clerkID, at: demo.now)
    }

    public func register(in routes: inout Routes) {
        routes.register(CertificateRoutes(workflow: workflow, authentication: authentication))
        routes.register(CertificateAPIRoutes(workflow: workflow, authentication: authentication))
        routes.register(StaffCertificateRoutes(workflow: workflow, authentication: authentication))
        routes.register(StaffCertificateAPIRoutes(workflow: workflow, authentication: authentication))
        routes.register(CounterRequestRoutes(workflow: workflow, authentication: authentication))
        routes.register(
            TicketRoutes(tickets: tickets, authentication: authentication, qrCode: Self.followQRCode))
        routes.register(StaffTicketRoutes(tickets: tickets, authentication: authentication))
        routes.register(TicketAPIRoutes(tickets: tickets, authentication: authentication))
        routes.register(DailyReportRoutes(workflow: workflow, authentication: authentication))
    }
}

extension CertificatesModule {
    /// The printed ticket's QR code: the follow page's URL, 30 mm square so a phone reads it from the paper.
    @Sendable static func followQRCode(_ url: String) -> Node? {
        (try? QRCode(text: url))?.svgNode(title: "番号札の順番を確かめるページ（QR コード）", size: .millimetres(30))
    }
}

extension Request {
    var auditOrigin: AuditOrigin { AuditOrigin(clientAddress: clientAddress, requestID: requestID) }

    func idParameter() throws -> Int64 {
        guard let id = Int64(parameter("id")), id > 0 else { throw CertificateStepRefused.notFound }
        return id
    }
}
