import Foundation
import HTTP
import Store

/// The resident JSON API: sign in and out with the session cookie, and read one's own record.
///
/// A cookie-authenticated call that changes state (DELETE of the session) must send the session's CSRF
/// token in `X-CSRF-Token`; the token comes back in the body of `POST /api/v1/sessions`.
struct ResidentAPIRoutes: RouteCollection {
    let services: IdentityServices

    struct LoginBody: Decodable {
        let loginID: String
        let password: String

        enum CodingKeys: String, CodingKey {
            case loginID = "login_id"
            case password
        }
    }

    struct SessionBody: Encodable {
        let residentID: Int64
        let csrfToken: String
        let expiresAt: String
        let idleTimeoutSeconds: Int

        enum CodingKeys: String, CodingKey {
            case residentID = "resident_id"
            case csrfToken = "csrf_token"
            case expiresAt = "expires_at"
            case idleTimeoutSeconds = "idle_timeout_seconds"
        }
    }

    struct ResidentBody: Encodable {
        struct DistrictBody: Encodable {
            let code: String
            let name: String
        }

        let id: Int64
        let loginID: String
        let fullName: String
        let fullNameKana: String
        let birthDate: String
        let postalCode: String
        let address: String
        let district: DistrictBody
        let phone: String?
        let contactChannel: String
        let registeredVia: String

        enum CodingKeys: String, CodingKey {
            case id, address, district, phone
            case loginID = "login_id"
            case fullName = "full_name"
            case fullNameKana = "full_name_kana"
            case birthDate = "birth_date"
            case postalCode = "postal_code"
            case contactChannel = "contact_channel"
            case registeredVia = "registered_via"
        }

        init(_ resident: Resident, districts: [District]) {
            id = resident.id
            loginID = resident.loginID
            fullName = resident.profile.fullName
            fullNameKana = resident.profile.fullNameKana
            birthDate = resident.profile.birthDate
            postalCode = resident.profile.postalCode
            address = resident.profile.address
            district = DistrictBody(code: resident.profile.districtCode, name: resident.districtName(in: districts))
            phone = resident.profile.phone
            contactChannel = resident.profile.contactChannel.rawValue
            registeredVia = resident.registeredVia.rawValue
        }
    }

    func register(in routes: inout Routes) {
        let auth = services.authentication
        // JSON bodies cannot be sent cross-site without a CORS preflight, which this server never grants,
        // so the login call needs no pre-session CSRF token.
        routes.post("/api/v1/sessions", maximumBodyBytes: 4096, logIn)
        routes.add("DELETE", "/api/v1/sessions/current", auth.resident(logOut))
        routes.get("/api/v1/me", auth.resident(showOwnRecord))
        routes.get("/api/v1/residents/:id", auth.resident(showResident))
    }

    // MARK: Handlers

    func logIn(_ request: Request) throws -> Response {
        let body = try request.decodeJSON(LoginBody.self)
        switch try services.login.logIn(.resident, loginID: body.loginID, password: body.password, request: request) {
        case .succeeded(_, let session, let setCookie, let deviceCookie):
            var response = try Response.json(
                SessionBody(
                    residentID: session.subject.id, csrfToken: session.csrfToken,
                    expiresAt: UTCTimestamp.format(session.absoluteExpiresAt),
                    idleTimeoutSeconds: Int(services.authentication.settings.residentSessions.idleTimeout)),
                status: 201)
            // The session cookie last: a client that keeps only the last `Set-Cookie` keeps the session.
            response.headers.append(("Set-Cookie", deviceCookie))
            response.headers.append(("Set-Cookie", setCookie))
            return response
        case .rejected:
            throw HTTPError(status: 401, code: "invalid_credentials", message: PasswordLogin.rejectionMessage)
        case .throttled(let until):
            throw HTTPError(
                status: 429, code: "too_many_attempts", message: PasswordLogin.throttledMessage,
                headers: [("Retry-After", String(services.login.retryAfterSeconds(until)))])
        }
    }

    func logOut(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let clearCookie = try services.authentication.endSession(resident.session, request: request)
        return Response(status: 204, headers: [("Set-Cookie", clearCookie)])
    }

    func showOwnRecord(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        try ownRecord(resident.id)
    }

    /// Only the caller's own id answers. Any other id — someone else's or one that does not exist — is the
    /// same 404, so the API does not even confirm that a record exists.
    func showResident(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        guard let id = Int64(request.parameter("id")), id == resident.id else { throw HTTPError.notFound }
        return try ownRecord(id)
    }

    private func ownRecord(_ id: Int64) throws -> Response {
        let loaded = try services.database.read { connection in
            (try ResidentStore.fetchResident(id: id, on: connection), try ResidentStore.fetchDistricts(on: connection))
        }
        guard let resident = loaded.0 else { throw HTTPError.notFound }
        return try .json(ResidentBody(resident, districts: loaded.1))
    }
}
