import Cryptography
import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// The resident JSON API under `/api/v1/certificates`: the types, a quote (the total fee, nothing stored), the
/// request itself (idempotent by `submission_token`), and the resident's own requests.
struct CertificateAPIRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    var pages: CertificateRoutes { CertificateRoutes(workflow: workflow, authentication: authentication) }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/api/v1/certificates/types", listTypes)
        routes.get("/api/v1/certificates", auth.resident(listOwnRequests))
        routes.post("/api/v1/certificates/quote", maximumBodyBytes: confirmBodyLimit, auth.resident(quoteRequest))
        routes.post("/api/v1/certificates", maximumBodyBytes: confirmBodyLimit, auth.resident(createRequest))
        routes.get("/api/v1/certificates/:id", auth.resident(showOwnRequest))
    }

    // MARK: Handlers

    func listTypes(_ request: Request) throws -> Response {
        try .json(TypesJSON(types: workflow.catalog.types.map(TypeJSON.init)))
    }

    func listOwnRequests(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let requests = try workflow.database.read {
            try CertificateStore.fetchRequests(residentID: resident.id, limit: 100, on: $0)
        }
        return try .json(RequestListJSON(requests: requests.map { RequestJSON($0, fees: []) }))
    }

    func quoteRequest(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let body = try request.decodeJSON(RequestBody.self)
        let (checked, errors) = try checked(body, residentID: resident.id, request: request)
        guard let checked else { return try errors.validationResponse(code: "invalid_request", request: request) }
        return try .json(QuoteJSON(type: checked.typeCode, copies: checked.copies, total_fee_yen: checked.feeYen))
    }

    /// 201 with the new request; the same `submission_token` again answers 200 with the first request and
    /// makes no second fee; invalid input is 422 with one message per field.
    func createRequest(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let body = try request.decodeJSON(RequestBody.self)
        let token = try Self.submissionToken(body)
        let (checked, errors) = try checked(body, residentID: resident.id, request: request)
        guard let checked else { return try errors.validationResponse(code: "invalid_request", request: request) }
        let submitted = try workflow.submit(
            checked, residentID: resident.id, channel: .web, token: token, at: authentication.now())
        return try .json(
            RequestJSON(submitted.request, fees: submitted.charge.map { [$0] } ?? []),
            status: submitted.repeated ? 200 : 201)
    }

    func showOwnRequest(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        guard let (stored, fees) = try workflow.ownRequest(id: try request.idParameter(), residentID: resident.id)
        else { throw HTTPError.notFound }
        return try .json(RequestJSON(stored, fees: fees))
    }

    // MARK: Helpers

    static func submissionToken(_ body: RequestBody) throws -> String {
        guard let token = body.submission_token, (16...128).contains(token.unicodeScalars.count) else {
            throw HTTPError(status: 400, code: "invalid_field", message: "submission_token は16〜128文字にしてください。")
        }
        return token
    }

    func checked(_ body: RequestBody, residentID: Int64, request: Request) throws -> (
        NewCertificateRequest?, FormErrors
    ) {
        try checked(
            body, recordedAddress: try pages.recordedAddress(residentID), onlinePaymentAvailable: workflow.fees != nil)
    }

    /// The body checked as the web form is; `defaultPayment` fills a missing `payment` (a counter entry is paid
    /// at the desk).
    func checked(
        _ body: RequestBody, recordedAddress: String, onlinePaymentAvailable: Bool, defaultPayment: String = ""
    ) throws -> (NewCertificateRequest?, FormErrors) {
        guard let type = workflow.catalog.type(code: body.type) else {
            var errors = FormErrors()
            errors.add("type", "証明書の種類が正しくありません。")
            return (nil, errors)
        }
        var input = RequestInput(
            typeCode: type.code, copies: body.copies.map(String.init) ?? "", requester: body.requester ?? "",
            options: body.options ?? [:], purpose: body.purpose ?? "", delivery: body.delivery ?? "",
            pickupDate: body.pickup_date ?? "", mailingAddress: body.mailing_address ?? "",
            payment: body.payment ?? defaultPayment)
        if let letter = body.letter_of_attorney {
            input.letterOfAttorney = (
                letter.filename, nil, Data(Base64URL.decode(letter.content_base64url) ?? [])
            )
        }
        return try pages.validate(
            input, type: type, recordedAddress: recordedAddress, onlinePaymentAvailable: onlinePaymentAvailable)
    }
}

struct RequestBody: Decodable {
    struct Letter: Decodable {
        let filename: String
        let content_base64url: String
    }
    let submission_token: String?
    let type: String
    let copies: Int?
    let requester: String?
    let options: [String: String]?
    let purpose: String?
    let delivery: String?
    let pickup_date: String?
    let mailing_address: String?
    let payment: String?
    let letter_of_attorney: Letter?
}

struct QuoteJSON: Encodable {
    let type: String
    let copies: Int
    let total_fee_yen: Int
}

struct TypesJSON: Encodable { let types: [TypeJSON] }

struct TypeJSON: Encodable {
    let code: String
    let name: String
    let fee_yen: Int
    let requesters: [String]
    let options: [OptionJSON]
    let purpose_required: Bool
    let department: String
    let processing_minutes: Int

    struct OptionJSON: Encodable {
        let code: String
        let label: String
        let kind: String
        let agent_allowed: Bool
    }

    init(_ type: CertificateType) {
        code = type.code
        name = type.name
        fee_yen = type.feeYen
        requesters = type.requesters.map(\.rawValue)
        options = type.options.map {
            OptionJSON(code: $0.code, label: $0.label, kind: $0.kind.rawValue, agent_allowed: $0.agentAllowed)
        }
        purpose_required = type.purposeRequired
        department = type.department
        processing_minutes = type.processingMinutes
    }
}

struct RequestListJSON: Encodable { let requests: [RequestJSON] }

struct RequestJSON: Encodable {
    struct FeeJSON: Encodable {
        let amount_yen: Int
        let state: String
        let pay_path: String?
    }
    let id: Int64
    let type: String
    let copies: Int
    let requester: String
    let options: [String: String]
    let delivery: String
    let pickup_date: String?
    let payment: String
    let fee_yen: Int
    let status: String
    let status_label: String
    let channel: String
    let expected_ready_at: String
    let mailed_on: String?
    let rejection_reason: String?
    let fees: [FeeJSON]

    init(_ request: CertificateRequest, fees: [FeeCharge]) {
        id = request.id
        type = request.typeCode
        copies = request.copies
        requester = request.requester.rawValue
        options = request.options
        delivery = request.delivery.rawValue
        pickup_date = request.pickupDate
        payment = request.payment.rawValue
        fee_yen = request.feeYen
        status = request.status.rawValue
        status_label = request.status.label
        channel = request.channel.rawValue
        expected_ready_at = ISO8601DateFormatter().string(from: request.expectedReadyAt)
        mailed_on = request.mailedOn
        rejection_reason = request.rejectionReason
        self.fees = fees.map { FeeJSON(amount_yen: $0.amountYen, state: $0.state.rawValue, pay_path: $0.payPath) }
    }
}
