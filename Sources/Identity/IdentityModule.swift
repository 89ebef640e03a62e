import Foundation
import HTTP
import Security
import Store

/// Identity, wired: authentication for other modules, and the account, login, staff and audit pages.
/// App creates one, registers it as a route collection and hands `authentication` to every module.
public final class IdentityModule: RouteCollection, Sendable {
    public let authentication: Authentication
    public let login: PasswordLogin
    let services: IdentityServices

    public init(
        database: Database, settings: IdentitySettings, timeSource: any TimeSource = SystemTimeSource(),
        myPageSections: [any MyPageSection] = [], dashboardTiles: [any StaffDashboardTile] = [],
        logger: Logger = .disabled
    ) throws {
        let authentication = try Authentication(database: database, settings: settings, timeSource: timeSource)
        let hasher = settings.passwordHasher
        let login = PasswordLogin(authentication: authentication, database: database, hasher: hasher)
        self.authentication = authentication
        self.login = login
        self.services = IdentityServices(
            database: database, authentication: authentication, login: login, hasher: hasher,
            myPageSections: myPageSections, dashboardTiles: dashboardTiles, logger: logger)
    }

    public func register(in routes: inout Routes) {
        routes.register(ResidentAccountRoutes(services: services))
        routes.register(ResidentAPIRoutes(services: services))
        routes.register(StaffRoutes(services: services))
        routes.register(StaffAdminRoutes(services: services))
        routes.register(StaffResidentRoutes(services: services))
        routes.register(AuditViewerRoutes(services: services))
    }
}

/// What every Identity route collection needs.
struct IdentityServices: Sendable {
    let database: Database
    let authentication: Authentication
    let login: PasswordLogin
    let hasher: PasswordHasher
    let myPageSections: [any MyPageSection]
    let dashboardTiles: [any StaffDashboardTile]
    let logger: Logger

    func now() -> Date { authentication.now() }

    func fetchDistricts() throws -> [District] {
        try database.read { try ResidentStore.fetchDistricts(on: $0) }
    }
}
