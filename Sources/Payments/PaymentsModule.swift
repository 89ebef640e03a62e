import Foundation
import HTTP
import Identity
import ServiceKit
import Store

/// Cashless fee records (公共料金キャッシュレス決済) as a service module: payments in integer yen with their
/// state history, the pay pages and the provider's hosted checkout (the sandbox on loopback unless a provider
/// is configured), and the `FeeCollector` the charging modules call inside their own writes. App passes each
/// charging module's `FeeSubjectHandler` in `feeSubjects`; Payments calls it in the write that changes a fee.
public struct PaymentsModule: ServiceModule, FeeCollector {
    public static let name = "payments"

    public let workflow: PaymentWorkflow
    let authentication: Authentication
    /// Set when the sandbox is the provider: its checkout pages are mounted.
    let sandbox: SandboxProvider?
    let job: PaymentsJob

    /// Loads `Schemas/payments/purposes.json`; a bad file stops start-up naming the file and field. Without
    /// `hostedProvider` the sandbox checkout on this server is the provider.
    public init(
        database: Database, schemasDirectory: URL, authentication: Authentication,
        feeSubjects: [any FeeSubjectHandler], hostedProvider: HostedProviderSettings? = nil,
        logger: Logger = .disabled
    ) throws {
        let purposes = try PurposeCatalog.load(
            file: schemasDirectory.appendingPathComponent("payments").appendingPathComponent("purposes.json"))
        let provider: any PaymentProvider
        if let hostedProvider {
            provider = HostedCheckoutProvider(settings: hostedProvider)
            sandbox = nil
        } else {
            let sandbox = SandboxProvider(database: database, now: { authentication.now() })
            if !authentication.settings.developmentMode {
                logger.warning(
                    "payments use the sandbox checkout",
                    ["reason": .string("\(HostedProviderSettings.apiBaseVariable) not set")])
            }
            provider = sandbox
            self.sandbox = sandbox
        }
        self.workflow = PaymentWorkflow(
            database: database, purposes: purposes, provider: provider, feeSubjects: feeSubjects, logger: logger)
        self.authentication = authentication
        self.job = PaymentsJob(workflow: workflow, clock: { authentication.now() }, logger: logger)
    }

    public var workers: [any BackgroundWorker] { [job] }
    public var myPageSections: [any MyPageSection] { [PaymentsMyPageSection()] }
    public var dashboardTiles: [any StaffDashboardTile] {
        [PaymentsDashboardTile(now: { [authentication] in authentication.now() })]
    }

    /// The hosted provider's settings, when it is the provider.
    var hostedSettings: HostedProviderSettings? { (workflow.provider as? HostedCheckoutProvider)?.settings }

    public func register(in routes: inout Routes) {
        routes.register(PaymentRoutes(workflow: workflow, authentication: authentication))
        routes.register(PaymentAPIRoutes(workflow: workflow, authentication: authentication))
        routes.register(StaffPaymentAPIRoutes(workflow: workflow, authentication: authentication))
        routes.register(StaffPaymentRoutes(workflow: workflow, authentication: authentication))
        routes.register(DayCloseRoutes(workflow: workflow, authentication: authentication))
        routes.register(ReconciliationRoutes(workflow: workflow, authentication: authentication))
        if let sandbox { routes.register(SandboxCheckoutRoutes(sandbox: sandbox, authentication: authentication)) }
        if let signing = workflow.provider as? any WebhookSigningProvider {
            routes.register(
                PaymentWebhookRoutes(
                    provider: signing, workflow: workflow, job: job, now: { [authentication] in authentication.now() }))
        }
    }

    /// A paid fee with its receipt and one still to pay, for the demo resident.
    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        guard let residentID = demo.residentID else { return [] }
        let added = try PaymentsDemoData.seed(workflow: workflow, residentID: residentID, at: demo.now)
        return ["payments added for the demo resident: \(added)"]
    }

    // MARK: FeeCollector

    public func requestFee(_ request: FeeRequest, at time: Date, on connection: Connection) throws -> FeeCharge {
        try workflow.charge(for: try workflow.requestFee(request, at: time, on: connection), on: connection)
    }

    public func fees(for subject: FeeSubject, on connection: Connection) throws -> [FeeCharge] {
        try PaymentStore.fetchPayments(subject: subject, on: connection).map {
            try workflow.charge(for: $0, on: connection)
        }
    }

    public func cancelOrRefundFees(
        for subject: FeeSubject, reason: String, staffID: Int64, at time: Date, on connection: Connection
    ) throws {
        try workflow.cancelOrRefundFees(for: subject, reason: reason, staffID: staffID, at: time, on: connection)
    }
}
