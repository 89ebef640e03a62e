import Foundation
import HTTP
import Security
import ServiceKit
import Store
import Web

/// Staff work on residents' accounts: search, counter registration, the record page and reset codes.
///
/// Every look at personal data writes an audit row in the same transaction as the read, so a record
/// cannot be shown without its trace: `resident.search` (with the ids of the residents listed),
/// `resident.read`, `resident.create`, `resident.reset_code.issue`.
struct StaffResidentRoutes: RouteCollection {
    let services: IdentityServices

    /// Search results are capped: a clerk looking for one person never needs more, and a list of everyone
    /// is exactly what an insider browsing the neighbours would want.
    static let searchLimit = 50

    func register(in routes: inout Routes) {
        let auth = services.authentication
        routes.get("/staff/residents", auth.staff(showSearchForm))
        // POST, not GET: a name typed into a GET search would end up in URLs, browser history and logs.
        routes.post("/staff/residents/search", auth.staff(searchResidents))
        routes.get("/staff/residents/new", auth.staff(showCounterRegistrationForm))
        routes.post("/staff/residents/new", auth.staff(registerAtCounter))
        routes.auditedGet("/staff/residents/:id", auth.staff(showResidentRecord))
        routes.post("/staff/residents/:id/reset-code", auth.staff(issueResetCode))
    }

    // MARK: Handlers

    func showSearchForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        StaffPages.residentSearch(
            staff: staff, query: "", results: nil, districts: try services.fetchDistricts(), errors: FormErrors(),
            limit: Self.searchLimit
        ).response()
    }

    func searchResidents(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let query = (form["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let districts = try services.fetchDistricts()
        guard !query.isEmpty else {
            let errors = IdentityPages.formErrors("氏名・フリガナ・ログインIDのいずれかを入力してください。", field: "q")
            return StaffPages.residentSearch(
                staff: staff, query: query, results: nil, districts: districts, errors: errors,
                limit: Self.searchLimit
            ).response(status: 422)
        }
        let now = services.now()
        let loginID = ResidentRules.normalizeLoginID(query)
        let results = try services.database.write { connection in
            let results = try ResidentStore.searchResidents(
                nameContaining: query, loginID: loginID, limit: Self.searchLimit, on: connection)
            // The query itself is personal data and stays out of the log; the ids shown are recorded.
            try AuditLog.append(
                AuditEvent(
                    actor: staff.auditActor, action: "resident.search", subjectType: "resident",
                    subjectID: results.isEmpty ? nil : results.map { String($0.id) }.joined(separator: ","),
                    clientAddress: request.clientAddress, requestID: request.requestID),
                at: now, on: connection)
            return results
        }
        return StaffPages.residentSearch(
            staff: staff, query: query, results: results, districts: districts, errors: FormErrors(),
            limit: Self.searchLimit
        ).response()
    }

    func showCounterRegistrationForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        StaffPages.counterRegistration(
            staff: staff, values: [:], errors: FormErrors(), districts: try services.fetchDistricts()
        ).response()
    }

    func showResidentRecord(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw HTTPError.notFound }
        let now = services.now()
        let event = AuditEvent(
            staff.auditActor, "resident.read", subjectType: "resident", subjectID: id, request: request)
        let loaded = try services.database.auditedRead(event, at: now) { connection -> (Resident, [District])? in
            guard let resident = try ResidentStore.fetchResident(id: id, on: connection) else { return nil }
            return (resident, try ResidentStore.fetchDistricts(on: connection))
        }
        guard let (resident, districts) = loaded else { throw HTTPError.notFound }
        let notice =
            request.query("done") == "created" ? "登録しました。続けて再設定コードを発行し、ご本人にお渡しください。" : nil
        return StaffPages.residentRecord(staff: staff, resident: resident, districts: districts, notice: notice)
            .response()
    }

    func issueResetCode(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")) else { throw HTTPError.notFound }
        let code = PasswordResetCode.generate()
        let codeHash = try services.hasher.hash(code)
        let now = services.now()
        let expiresAt = now.addingTimeInterval(PasswordResetCode.validity)
        let event = AuditEvent(
            staff.auditActor, "resident.reset_code.issue", subjectType: "resident", subjectID: id, request: request)
        let resident = try services.database.write { connection -> Resident? in
            guard let resident = try ResidentStore.fetchResident(id: id, on: connection) else { return nil }
            _ = try PasswordResetStore.insertCode(
                residentID: id, codeHash: codeHash, issuedByStaffID: staff.id, at: now, expiresAt: expiresAt,
                on: connection)
            try AuditLog.append(event, at: now, on: connection)
            return resident
        }
        guard let resident else { throw HTTPError.notFound }
        // Answered directly, not redirected: the code exists only in this response (no-store) and on paper.
        return StaffPages.resetCode(staff: staff, resident: resident, code: code, expiresAt: expiresAt).response()
    }

    func registerAtCounter(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let districts = try services.fetchDistricts()
        var errors = FormErrors()
        let loginID = ResidentRules.validatedLoginID(form["login_id"] ?? "", into: &errors)
        let (profile, profileErrors) = ResidentRules.validateProfile(form, districts: districts, loginID: loginID)
        for error in profileErrors.all { errors.add(error.field, error.message) }
        func rerender(_ errors: FormErrors) -> Response {
            StaffPages.counterRegistration(
                staff: staff, values: ProfileFields.values(of: form), errors: errors, districts: districts
            ).response(status: 422)
        }
        guard errors.isEmpty, let loginID, let profile else { return rerender(errors) }
        let now = services.now()
        do {
            let id = try services.database.write { connection in
                let id = try ResidentStore.insertResident(
                    loginID: loginID, passwordHash: nil, profile: profile, via: .counter, registeredByStaffID: staff.id,
                    at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        staff.auditActor, "resident.create", subjectType: "resident", subjectID: id, request: request),
                    at: now, on: connection)
                return id
            }
            return .redirect(to: "/staff/residents/\(id)?done=created")
        } catch ResidentStore.RegistrationConflict.loginIDTaken {
            errors.add("login_id", "このログインIDはすでに登録されています。住民検索で確認してください。")
            return rerender(errors)
        }
    }
}
