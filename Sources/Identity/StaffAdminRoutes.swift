import Foundation
import HTTP
import Security
import Store
import Web

/// Staff account management, for admins only.
struct StaffAdminRoutes: RouteCollection {
    let services: IdentityServices

    func register(in routes: inout Routes) {
        let auth = services.authentication
        routes.get("/staff/admin/staff", auth.staff(minimum: .admin, showStaffList))
        routes.post("/staff/admin/staff", auth.staff(minimum: .admin, createStaff))
        routes.post("/staff/admin/staff/:id/disable", auth.staff(minimum: .admin, disableStaff))
    }

    // MARK: Handlers

    func showStaffList(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let members = try services.database.read { try StaffStore.fetchAllStaff(on: $0) }
        let notice: String? =
            switch request.query("done") {
            case "created": "職員アカウントを追加しました。"
            case "disabled": "職員アカウントを無効にしました。"
            default: nil
            }
        return StaffPages.staffAdmin(staff: staff, members: members, values: [:], errors: FormErrors(), notice: notice)
            .response()
    }

    func createStaff(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let validated = StaffRules.validate(
            loginID: form["login_id"] ?? "", displayName: form["display_name"] ?? "", role: form["role"] ?? "",
            department: form["department"] ?? "", password: form["password"] ?? "")
        var errors = validated.1
        if let member = validated.0 {
            let passwordHash = try services.hasher.hash(form["password"] ?? "")
            let now = services.now()
            do {
                try services.database.write { connection in
                    let id = try StaffStore.insertStaff(member, passwordHash: passwordHash, at: now, on: connection)
                    try AuditLog.append(
                        AuditEvent(
                            staff.auditActor, "staff.create", subjectType: "staff", subjectID: id, request: request),
                        at: now, on: connection)
                }
                return .redirect(to: "/staff/admin/staff?done=created")
            } catch StaffStore.RegistrationConflict.loginIDTaken {
                errors.add("login_id", "このログインIDはすでに使われています。")
            }
        }
        let members = try services.database.read { try StaffStore.fetchAllStaff(on: $0) }
        var values: [String: String] = [:]
        for name in ["login_id", "display_name", "role", "department"] { values[name] = form[name] }
        return StaffPages.staffAdmin(staff: staff, members: members, values: values, errors: errors, notice: nil)
            .response(status: 422)
    }

    func disableStaff(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw HTTPError.notFound }
        // An admin who disabled themselves could lock the town out of its own staff pages.
        guard id != staff.id else {
            throw HTTPError.badRequest("ご自身のアカウントは無効にできません。", code: "cannot_disable_self")
        }
        let now = services.now()
        let event = AuditEvent(staff.auditActor, "staff.disable", subjectType: "staff", subjectID: id, request: request)
        let disabled = try services.database.write { connection -> Bool in
            guard try StaffStore.disableStaff(id: id, at: now, on: connection) else { return false }
            try SessionStore.deleteSessions(of: .staff(id: id), on: connection)
            try AuditLog.append(event, at: now, on: connection)
            return true
        }
        guard disabled else { throw HTTPError.notFound }
        return .redirect(to: "/staff/admin/staff?done=disabled")
    }
}
