import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// The confirm step carries the 委任状 as base64url in a hidden field (nothing is stored before the resident
/// confirms), so its body may be a third larger than the file.
let letterUploadBodyLimit = RequestValidation.maximumLetterBytes + 512 * 1024
let confirmBodyLimit = RequestValidation.maximumLetterBytes * 4 / 3 + 512 * 1024

/// The resident pages: the list of certificates, form → confirm → request, and the request's status.
struct CertificateRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    var catalog: CertificateCatalog { workflow.catalog }
    var database: Database { workflow.database }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/certificates", auth.resident(showTypes))
        routes.get("/certificates/new/:code", auth.resident(showNewForm))
        routes.post(
            "/certificates/new/:code", maximumBodyBytes: letterUploadBodyLimit,
            auth.acceptingMultipart(auth.resident(checkRequest)))
        routes.post("/certificates/confirm", maximumBodyBytes: confirmBodyLimit, auth.resident(confirmRequest))
        routes.get("/certificates/:id", auth.resident(showStatus))
    }

    // MARK: Handlers

    func showTypes(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        CertificatePages.types(catalog).response()
    }

    func showNewForm(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let type = try certificateType(request.parameter("code"))
        let address = try recordedAddress(resident.id)
        let calendar = try workflow.calendar()
        let now = authentication.now()
        let input = RequestInput(
            typeCode: type.code, pickupDate: calendar.firstOpenDay(onOrAfter: CalendarDate.today(at: now)),
            mailingAddress: address)
        return CertificatePages.form(
            type: type, input: input, errors: FormErrors(), formToken: SecureRandom.token(),
            csrfToken: resident.csrfToken, onlinePayment: workflow.fees != nil, now: now
        ).response()
    }

    /// Checks the form; errors re-render it beside the fields (422), otherwise the confirmation page shows the
    /// total fee. Nothing is stored.
    func checkRequest(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let type = try certificateType(request.parameter("code"))
        let (input, formToken, _) = try Self.postedForm(request, type: type)
        let (checked, errors) = try validate(input, type: type, residentID: resident.id)
        guard let checked else {
            return CertificatePages.form(
                type: type, input: input, errors: errors, formToken: formToken, csrfToken: resident.csrfToken,
                onlinePayment: workflow.fees != nil, now: authentication.now()
            ).response(status: 422)
        }
        return CertificatePages.confirm(
            type: type, request: checked, input: input, formToken: formToken, csrfToken: resident.csrfToken
        ).response()
    }

    /// Re-checks the confirmed values and makes the request (one per form token), then sends the resident to
    /// pay online or to the request's page.
    func confirmRequest(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let (input, type, formToken, _) = try confirmedForm(request)
        let (checked, errors) = try validate(input, type: type, residentID: resident.id)
        guard let checked else {
            return CertificatePages.form(
                type: type, input: input, errors: errors, formToken: formToken, csrfToken: resident.csrfToken,
                onlinePayment: workflow.fees != nil, now: authentication.now()
            ).response(status: 422)
        }
        let submitted = try workflow.submit(
            checked, residentID: resident.id, channel: .web, token: formToken, at: authentication.now())
        if let payPath = submitted.charge?.payPath { return .redirect(to: payPath) }
        return .redirect(to: "/certificates/\(submitted.request.id)?done=requested")
    }

    func showStatus(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        guard let (stored, fees) = try workflow.ownRequest(id: try request.idParameter(), residentID: resident.id)
        else { throw HTTPError.notFound }
        let events = try database.read { try CertificateStore.fetchEvents(requestID: stored.id, on: $0) }
        return CertificatePages.status(
            stored, type: catalog.type(code: stored.typeCode), events: events, fees: fees,
            justRequested: request.query("done") == "requested"
        ).response()
    }

    // MARK: Helpers

    func certificateType(_ code: String) throws -> CertificateType {
        guard let type = catalog.type(code: code) else { throw HTTPError.notFound }
        return type
    }

    func recordedAddress(_ residentID: Int64) throws -> String {
        try database.read { try ResidentStore.fetchResident(id: residentID, on: $0) }?.profile.address ?? ""
    }

    func validate(_ input: RequestInput, type: CertificateType, residentID: Int64) throws -> (
        NewCertificateRequest?, FormErrors
    ) {
        try validate(
            input, type: type, recordedAddress: try recordedAddress(residentID),
            onlinePaymentAvailable: workflow.fees != nil)
    }

    /// The one check behind every entry path: the resident's pages and API, and a clerk's counter entry (which
    /// passes the address it read for the audit, and no online payment: the resident pays at the desk).
    func validate(
        _ input: RequestInput, type: CertificateType, recordedAddress: String, onlinePaymentAvailable: Bool
    ) throws -> (NewCertificateRequest?, FormErrors) {
        let context = RequestValidation.Context(
            calendar: try workflow.calendar(), recordedAddress: recordedAddress, now: authentication.now(),
            onlinePaymentAvailable: onlinePaymentAvailable)
        return RequestValidation.check(input, type: type, context: context)
    }

    /// The request form as posted (multipart, with the 委任状 file), its form token and every value posted.
    static func postedForm(_ request: Request, type: CertificateType) throws -> (
        RequestInput, String, SubmittedValues
    ) {
        let (values, parts) = try request.formValues()
        let formToken = try Self.formToken(values)
        var input = Self.input(values, type: type)
        if let part = parts.first(where: { $0.name == "letter_of_attorney" && $0.isFile }), !part.data.isEmpty {
            input.letterOfAttorney = (part.filename ?? "", part.contentType, part.data)
        }
        return (input, formToken, values)
    }

    /// The confirmation page's hidden fields as posted, with the 委任状 carried in them, and the form token.
    func confirmedForm(_ request: Request) throws -> (RequestInput, CertificateType, String, SubmittedValues) {
        let form = try request.form()
        let values = Dictionary(grouping: form.pairs, by: \.name).mapValues { $0.map(\.value) }
        let formToken = try Self.formToken(values)
        let type = try certificateType(values["type"]?.first ?? "")
        var input = Self.input(values, type: type)
        if let encoded = values["letter_data"]?.first, !encoded.isEmpty, let bytes = Base64URL.decode(encoded) {
            input.letterOfAttorney = (values["letter_filename"]?.first ?? "", nil, Data(bytes))
        }
        return (input, type, formToken, values)
    }

    static func formToken(_ values: SubmittedValues) throws -> String {
        guard let token = values["form_token"]?.first, (16...128).contains(token.unicodeScalars.count) else {
            throw HTTPError.badRequest("フォームの有効期限が切れました。最初からやり直してください。")
        }
        return token
    }

    static func input(_ values: SubmittedValues, type: CertificateType) -> RequestInput {
        func value(_ name: String) -> String { values[name]?.first ?? "" }
        var options: [String: String] = [:]
        for option in type.options { options[option.code] = value(option.formName) }
        return RequestInput(
            typeCode: type.code, copies: value("copies"), requester: value("requester"), options: options,
            purpose: value("purpose"), delivery: value("delivery"), pickupDate: value("pickup_date"),
            mailingAddress: value("mailing_address"), payment: value("payment"))
    }
}
