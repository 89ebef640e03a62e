import Foundation
import HTTP
import Security
import ServiceKit
import Store
import Web

/// Identity as a service module: the account, login, マイページ, staff and audit pages, the `staff` and `token`
/// commands and the demo accounts. Unlike the other modules it is also infrastructure: App creates its
/// `Authentication` first and hands it to every module, and マイページ and the staff dashboard show the
/// sections and tiles of the modules it hosts.
public final class IdentityModule: ServiceModule {
    public static let name = "identity"
    public static var commands: [any Command.Type] {
        [
            StaffAddCommand.self, StaffDisableCommand.self, StaffListCommand.self, TokenCreateCommand.self,
            TokenListCommand.self, TokenRevokeCommand.self,
        ]
    }

    public let authentication: Authentication
    public let login: PasswordLogin
    /// Every password derivation of the server goes through it; `/metrics` reports its refusals.
    public let keyDerivation: KeyDerivationPool
    /// Rendered マイページ bodies; `/metrics` reports its hits and misses.
    public let myPageCache: MyPageCache
    let services: IdentityServices

    /// `hosted`: the other modules, whose マイページ sections and dashboard tiles Identity's pages show.
    public init(
        authentication: Authentication, database: Database, settings: IdentitySettings,
        hosting hosted: [any ServiceModule] = [], logger: Logger = .disabled
    ) {
        let hasher = settings.passwordHasher
        let keyDerivation = KeyDerivationPool(limits: settings.keyDerivation)
        let login = PasswordLogin(
            authentication: authentication, database: database, hasher: hasher, keyDerivation: keyDerivation)
        self.authentication = authentication
        self.login = login
        self.keyDerivation = keyDerivation
        let myPageCache = MyPageCache()
        self.myPageCache = myPageCache
        self.services = IdentityServices(
            database: database, authentication: authentication, login: login,
            hasher: BoundedPasswordHasher(hasher: hasher, pool: keyDerivation),
            myPageSections: hosted.flatMap(\.myPageSections), dashboardTiles: hosted.flatMap(\.dashboardTiles),
            myPageCache: myPageCache, logger: logger)
    }

    public func register(in routes: inout Routes) {
        routes.register(ResidentAccountRoutes(services: services))
        routes.register(ResidentAPIRoutes(services: services))
        routes.register(StaffRoutes(services: services))
        routes.register(StaffAdminRoutes(services: services))
        routes.register(StaffResidentRoutes(services: services))
        routes.register(AuditViewerRoutes(services: services))
    }

    /// The districts, a demo admin and clerk, and the demo resident, each with a fresh password printed once.
    public func seedDemoData(_ demo: inout DemoDataContext) throws -> [String] {
        let result = try IdentityDemoData.seed(database: demo.database, hasher: services.hasher.hasher, at: demo.now)
        demo.residentID = result.residentID
        demo.clerkID = result.clerkID
        var lines = ["districts added: \(result.districtsAdded)"]
        for (label, path, account) in [
            ("staff admin", "/staff/login", result.admin), ("staff clerk", "/staff/login", result.clerk),
            ("resident   ", "/login      ", result.resident),
        ] {
            lines.append(
                "\(label)   \(path)  login: \(account.loginID)  password: \(account.password)"
                    + (account.created ? "" : "  (existing account, new password)"))
        }
        return lines
    }
}

/// What every Identity route collection needs.
struct IdentityServices: Sendable {
    let database: Database
    let authentication: Authentication
    let login: PasswordLogin
    let hasher: BoundedPasswordHasher
    let myPageSections: [any MyPageSection]
    let dashboardTiles: [any StaffDashboardTile]
    let myPageCache: MyPageCache
    let logger: Logger

    func now() -> Date { authentication.now() }

    /// One module's block of マイページ or the dashboard. A module that fails shows `unavailable` in its place and
    /// is logged as `failure`, with its title under `titleField` and the request id, never personal data: one
    /// failing module must not take the whole page down with it.
    func renderModuleBlock(
        _ title: String, failure: String, titleField: String, unavailable: String, request: Request,
        _ render: () throws -> [Node]
    ) -> (String, [Node]) {
        do {
            return (title, try render())
        } catch {
            logger.error(failure, [titleField: .string(title), "request_id": .string(request.requestID)])
            return (title, [el("p", .class("hint")) { unavailable }])
        }
    }

    func fetchDistricts() throws -> [District] {
        try database.read { try ResidentStore.fetchDistricts(on: $0) }
    }
}
