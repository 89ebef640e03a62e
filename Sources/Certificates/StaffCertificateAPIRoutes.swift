import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The staff queue as JSON under `/api/v1/staff/certificates`: the same moves as the pages, for a clerk's
/// session (CSRF by header).
struct StaffCertificateAPIRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.auditedGet("/api/v1/staff/certificates", auth.staff(listQueue))
        routes.post("/api/v1/staff/certificates/claim-next", auth.staff(claimNext))
        routes.post("/api/v1/staff/certificates/residents/search", auth.staff(findResidents))
        routes.post(
            "/api/v1/staff/certificates/counter", maximumBodyBytes: confirmBodyLimit,
            auth.staff(createCounterRequest))
        routes.auditedGet("/api/v1/staff/certificates/:id", auth.staff(showRequest))
        routes.post("/api/v1/staff/certificates/:id/claim", auth.staff(claimRequest))
        routes.post("/api/v1/staff/certificates/:id/heartbeat", auth.staff(beatHeart))
        routes.post("/api/v1/staff/certificates/:id/release", auth.staff(releaseRequest))
        routes.post("/api/v1/staff/certificates/:id/actions/:action", auth.staff(actOnRequest))
    }

    // MARK: Handlers

    func listQueue(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let event = AuditEvent(
            actor: staff.auditActor, action: "certificate_queue.read", subjectType: "certificate_queue",
            clientAddress: request.clientAddress, requestID: request.requestID)
        let queue =
            try workflow.database.auditedRead(event, at: authentication.now()) {
                try CertificateStore.fetchQueue(on: $0)
            } ?? []
        return try .json(RequestListJSON(requests: queue.map { RequestJSON($0, fees: []) }))
    }

    func claimNext(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = try workflow.claimNext(staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        else { return try .json(ClaimJSON(claimed: false, id: nil, lease_expires_at: nil)) }
        return try .json(ClaimJSON(claimed: true, id: id, lease_expires_at: leaseText(authentication.now())))
    }

    func claimRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.idParameter()
        let now = authentication.now()
        guard try workflow.claim(requestID: id, staffID: staff.id, origin: request.auditOrigin, at: now) else {
            throw CertificateStepRefused.conflict("ほかの職員がこの請求を担当しています。")
        }
        return try .json(ClaimJSON(claimed: true, id: id, lease_expires_at: leaseText(now)))
    }

    func beatHeart(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let id = try request.idParameter()
        guard let expiry = try workflow.heartbeat(requestID: id, staffID: staff.id, at: authentication.now()) else {
            throw CertificateStepRefused.conflict("担当期限が切れました。もう一度担当してください。")
        }
        return try .json(
            ClaimJSON(claimed: true, id: id, lease_expires_at: ISO8601DateFormatter().string(from: expiry)))
    }

    func releaseRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try workflow.release(requestID: try request.idParameter(), staffID: staff.id, at: authentication.now())
        return Response(status: 204)
    }

    func showRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard
            let view = try workflow.staffView(
                requestID: try request.idParameter(), staffID: staff.id, origin: request.auditOrigin,
                at: authentication.now())
        else { throw HTTPError.notFound }
        return try .json(
            StaffRequestJSON(request: RequestJSON(view.request, fees: view.fees), resident_name: view.residentName))
    }

    func actOnRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let action = CertificateRules.StaffAction(rawValue: request.parameter("action")) else {
            throw HTTPError.notFound
        }
        let body = request.body.isEmpty ? ActionBody() : try request.decodeJSON(ActionBody.self)
        let updated = try workflow.act(
            action, requestID: try request.idParameter(), staffID: staff.id,
            details: .init(
                mailedOn: body.mailed_on, identityDocument: body.identity_document.flatMap(IdentityDocument.init),
                reason: body.reason), origin: request.auditOrigin, at: authentication.now())
        return try .json(RequestJSON(updated, fees: []))
    }

    /// The counter lookup (書かない窓口), audited as `resident.search` with the ids listed.
    func findResidents(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let body = try request.decodeJSON(ResidentLookupBody.self)
        var (lookup, errors) = ResidentLookup.check(
            name: body.name, birthDate: body.birth_date, residentNumber: body.resident_number.map { String($0) })
        // A form leaves a field empty to mean "not given"; JSON leaves it out, and "" is no date (format: date).
        if body.birth_date == "" {
            errors.add("birth_date", ResidentLookup.birthDateMessage)
            lookup = nil
        }
        guard let lookup else { return try errors.validationResponse(code: "invalid_request", request: request) }
        let matches = try workflow.findResidents(
            lookup, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return try .json(
            ResidentMatchesJSON(
                residents: matches.map {
                    ResidentMatchesJSON.Match(
                        id: $0.id, full_name: $0.fullName, full_name_kana: $0.fullNameKana, birth_date: $0.birthDate)
                }))
    }

    /// A request a clerk enters for the resident at the counter: checked as the resident's own request is,
    /// paid at the desk, counter-waiting. 201, or 200 with the first request for a `submission_token` seen
    /// before; 422 with one message per field; 404 for an unknown resident.
    func createCounterRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let body = try request.decodeJSON(RequestBody.self)
        let residentID = try request.decodeJSON(ServedResidentBody.self).resident_id
        let token = try CertificateAPIRoutes.submissionToken(body)
        let now = authentication.now()
        guard
            let resident = try workflow.counterResident(
                id: residentID, staffID: staff.id, origin: request.auditOrigin, at: now)
        else { throw HTTPError.notFound }
        let (checked, errors) = try CertificateAPIRoutes(workflow: workflow, authentication: authentication).checked(
            body, recordedAddress: resident.address, onlinePaymentAvailable: false, defaultPayment: "counter")
        guard let checked else { return try errors.validationResponse(code: "invalid_request", request: request) }
        let submitted = try workflow.submit(
            checked, residentID: resident.id, channel: .counter, token: token,
            enteredBy: (staff.id, request.auditOrigin), at: now)
        return try .json(RequestJSON(submitted.request, fees: []), status: submitted.repeated ? 200 : 201)
    }

    func leaseText(_ now: Date) -> String {
        ISO8601DateFormatter().string(from: now.addingTimeInterval(workflow.leaseSeconds))
    }
}

struct ActionBody: Decodable {
    var mailed_on: String?
    var identity_document: String?
    var reason: String?
}

struct ClaimJSON: Encodable {
    let claimed: Bool
    let id: Int64?
    let lease_expires_at: String?
}

struct StaffRequestJSON: Encodable {
    let request: RequestJSON
    let resident_name: String
}

struct ResidentLookupBody: Decodable {
    var name: String?
    var birth_date: String?
    var resident_number: Int64?
}

struct ServedResidentBody: Decodable {
    let resident_id: Int64
}

struct ResidentMatchesJSON: Encodable {
    struct Match: Encodable {
        let id: Int64
        let full_name: String
        let full_name_kana: String
        let birth_date: String
    }
    let residents: [Match]
}
