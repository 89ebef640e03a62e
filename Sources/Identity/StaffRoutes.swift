import Foundation
import HTTP
import Store
import Web

/// Staff sign-in, sign-out and the dashboard shell at `/staff/`.
struct StaffRoutes: RouteCollection {
    let services: IdentityServices

    /// What a staff JSON client needs after signing in through the console: who it is, and the CSRF token its
    /// state-changing calls must send as `X-CSRF-Token`.
    struct StaffSessionBody: Encodable {
        let id: Int64
        let loginID: String
        let displayName: String
        let role: String
        let department: String
        let csrfToken: String

        enum CodingKeys: String, CodingKey {
            case id, role, department
            case loginID = "login_id"
            case displayName = "display_name"
            case csrfToken = "csrf_token"
        }
    }

    func register(in routes: inout Routes) {
        let auth = services.authentication
        routes.get("/api/v1/staff/session", auth.staff(showSession))
        routes.get("/staff/login", auth.guest(showLoginForm))
        routes.post("/staff/login", auth.guest(logIn))
        routes.post("/staff/logout", auth.staff(logOut))
        routes.get("/staff/", auth.staff(showDashboard))
    }

    // MARK: Handlers

    func showSession(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try .json(
            StaffSessionBody(
                id: staff.id, loginID: staff.member.loginID, displayName: staff.displayName, role: staff.role.rawValue,
                department: staff.department.rawValue, csrfToken: staff.csrfToken))
    }

    func showLoginForm(_ request: Request, _ form: GuestForm) throws -> Response {
        if try services.authentication.currentStaff(request) != nil { return .redirect(to: "/staff/") }
        return StaffPages.login(loginID: "", errors: FormErrors(), csrfToken: form.csrfToken).response()
    }

    func logIn(_ request: Request, _ guest: GuestForm) throws -> Response {
        let form = try request.form()
        let loginID = form["login_id"] ?? ""
        switch try services.login.logIn(.staff, loginID: loginID, password: form["password"] ?? "", request: request) {
        case .succeeded(_, _, let setCookie, let deviceCookie):
            return .redirect(to: "/staff/", settingCookie: setCookie, knownDevice: deviceCookie)
        case .rejected:
            return StaffPages.login(
                loginID: loginID, errors: IdentityPages.formErrors(PasswordLogin.rejectionMessage, field: "login_id"),
                csrfToken: guest.csrfToken
            ).response(status: 401)
        case .throttled(let until):
            var response = StaffPages.login(
                loginID: loginID, errors: IdentityPages.formErrors(PasswordLogin.throttledMessage, field: "login_id"),
                csrfToken: guest.csrfToken
            ).response(status: 429)
            response.headers.append(("Retry-After", String(services.login.retryAfterSeconds(until))))
            return response
        }
    }

    func logOut(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let clearCookie = try services.authentication.endSession(staff.session, request: request)
        return .redirect(to: "/staff/login", settingCookie: clearCookie)
    }

    func showDashboard(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let tiles = services.dashboardTiles.filter { staff.role >= $0.minimumRole }
        let rendered = try services.database.read { [services] connection in
            tiles.map { tile in
                services.renderModuleBlock(
                    tile.title, failure: "dashboard tile failed", titleField: "tile", unavailable: "ただいま表示できません。",
                    request: request
                ) { try tile.render(staff: staff.viewer, connection: connection) }
            }
        }
        return StaffPages.dashboard(staff: staff, tiles: rendered).response()
    }
}
