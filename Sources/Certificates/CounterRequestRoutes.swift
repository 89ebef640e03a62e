import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Store
import Web

/// 書かない窓口: a resident at the counter says what they need and the clerk fills the request for them. The
/// clerk finds the resident (audited), fills the same form a resident fills online, with the same checks and
/// the same confirm step (nothing stored before it), and the resident pays at the desk. The request is
/// counter-waiting, so it heads the queue; its usage event is `requested` on the `counter` channel.
struct CounterRequestRoutes: RouteCollection {
    let workflow: CertificateWorkflow
    let authentication: Authentication

    var pages: CertificateRoutes { CertificateRoutes(workflow: workflow, authentication: authentication) }

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/certificates/counter", auth.staff(showLookup))
        // POST, as Identity's resident search: a name typed into a GET would end up in URLs and logs.
        routes.post("/staff/certificates/counter/search", auth.staff(findResidents))
        routes.auditedGet("/staff/certificates/counter/new", auth.staff(showCounterForm))
        routes.post(
            "/staff/certificates/counter/check/:code", maximumBodyBytes: letterUploadBodyLimit,
            auth.acceptingMultipart(auth.staff(checkCounterRequest)))
        routes.post(
            "/staff/certificates/counter/confirm", maximumBodyBytes: confirmBodyLimit,
            auth.staff(confirmCounterRequest))
    }

    // MARK: Handlers

    func showLookup(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        CounterRequestPages.lookup(
            catalog: workflow.catalog, values: [:], errors: FormErrors(), matches: nil, staff: staff
        ).response()
    }

    func findResidents(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let values = ["name", "birth_date", "resident_number", "type"].reduce(into: [String: String]()) {
            $0[$1] = form[$1] ?? ""
        }
        let (lookup, errors) = ResidentLookup.check(
            name: values["name"], birthDate: values["birth_date"], residentNumber: values["resident_number"])
        guard let lookup else {
            return CounterRequestPages.lookup(
                catalog: workflow.catalog, values: values, errors: errors, matches: nil, staff: staff
            ).response(status: 422)
        }
        let matches = try workflow.findResidents(
            lookup, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        return CounterRequestPages.lookup(
            catalog: workflow.catalog, values: values, errors: errors, matches: matches, staff: staff
        ).response()
    }

    func showCounterForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let type = try pages.certificateType(request.query("type") ?? "")
        let resident = try servedResident(request.query("resident"), staff: staff, request: request)
        let now = authentication.now()
        let today = CalendarDate.today(at: now)
        let input = RequestInput(
            typeCode: type.code, pickupDate: try workflow.calendar().firstOpenDay(onOrAfter: today),
            mailingAddress: resident.address)
        return CertificatePages.form(
            type: type, input: input, errors: FormErrors(), formToken: SecureRandom.token(),
            csrfToken: staff.csrfToken, onlinePayment: false, now: now, target: target(type, resident)
        ).response()
    }

    /// Checks the form as the online path does; errors re-render it beside the fields (422), otherwise the
    /// confirmation page shows the total the resident pays at the desk. Nothing is stored.
    func checkCounterRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let type = try pages.certificateType(request.parameter("code"))
        let (input, formToken, values) = try CertificateRoutes.postedForm(request, type: type)
        let form = try checkedForm(input, type: type, formToken: formToken, values: values, staff, request)
        guard case .valid(let checked, let resident) = form else { return form.errorPage }
        return CertificatePages.confirm(
            type: type, request: checked, input: input, formToken: formToken, csrfToken: staff.csrfToken,
            target: target(type, resident)
        ).response()
    }

    /// Makes the request (one per form token, so a double submit makes one) and returns to the queue, where it
    /// now stands first.
    func confirmCounterRequest(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let (input, type, formToken, values) = try pages.confirmedForm(request)
        let form = try checkedForm(input, type: type, formToken: formToken, values: values, staff, request)
        guard case .valid(let checked, let resident) = form else { return form.errorPage }
        _ = try workflow.submit(
            checked, residentID: resident.id, channel: .counter, token: formToken,
            enteredBy: (staff.id, request.auditOrigin), at: authentication.now())
        return .redirect(to: "/staff/certificates?message=entered")
    }

    enum CheckedForm {
        case valid(NewCertificateRequest, CertificateWorkflow.CounterResident)
        case invalid(errorPage: Response)

        /// The form again with its errors beside the fields (422); only asked of an invalid form.
        var errorPage: Response {
            guard case .invalid(let page) = self else { preconditionFailure("a valid form has no error page") }
            return page
        }
    }

    /// The posted form checked for the resident being served (read with its audit row).
    func checkedForm(
        _ input: RequestInput, type: CertificateType, formToken: String, values: SubmittedValues,
        _ staff: AuthenticatedStaff, _ request: Request
    ) throws -> CheckedForm {
        let resident = try servedResident(values["resident_id"]?.first, staff: staff, request: request)
        let (checked, errors) = try pages.validate(
            input, type: type, recordedAddress: resident.address, onlinePaymentAvailable: false)
        guard let checked else {
            return .invalid(
                errorPage: CertificatePages.form(
                    type: type, input: input, errors: errors, formToken: formToken, csrfToken: staff.csrfToken,
                    onlinePayment: false, now: authentication.now(), target: target(type, resident)
                ).response(status: 422))
        }
        return .valid(checked, resident)
    }

    // MARK: Helpers

    /// The resident being served, read with its audit row; an unknown id is 404.
    func servedResident(_ idText: String?, staff: AuthenticatedStaff, request: Request) throws
        -> CertificateWorkflow.CounterResident
    {
        guard let id = idText.flatMap({ Int64($0) }), id > 0,
            let resident = try workflow.counterResident(
                id: id, staffID: staff.id, origin: request.auditOrigin, at: authentication.now())
        else { throw HTTPError.notFound }
        return resident
    }

    func target(_ type: CertificateType, _ resident: CertificateWorkflow.CounterResident) -> RequestFormTarget {
        .counter(type, residentID: resident.id, residentName: resident.name)
    }
}

/// What a clerk typed to find the resident at the counter: a 住民番号, or a name or furigana, narrowed by birth
/// date when given. The same rules for the page and the API.
public struct ResidentLookup: Sendable, Equatable {
    public let name: String
    public let birthDate: String?
    public let residentNumber: Int64?

    static let birthDateMessage = "生年月日を「1950-04-01」の形で入力してください。"

    public static func check(name: String?, birthDate: String?, residentNumber: String?) -> (
        ResidentLookup?, FormErrors
    ) {
        var errors = FormErrors()
        let name = (name ?? "").trimmingCharacters(in: .whitespaces)
        let numberText = CharacterWidth.halfwidth(residentNumber ?? "").trimmingCharacters(in: .whitespaces)
        let dateText = (birthDate ?? "").trimmingCharacters(in: .whitespaces)
        var number: Int64?
        if !numberText.isEmpty {
            number = Int64(numberText).flatMap { $0 > 0 ? $0 : nil }
            if number == nil { errors.add("resident_number", "住民番号は数字で入力してください。") }
        }
        let date = dateText.isEmpty ? nil : CalendarDate.parse(dateText)
        if !dateText.isEmpty && date == nil {
            errors.add("birth_date", birthDateMessage)
        }
        if name.isEmpty && numberText.isEmpty {
            errors.add("name", "氏名（フリガナ）か住民番号を入力してください。")
        } else if name.count > 100 {
            errors.add("name", "氏名は100文字以内で入力してください。")
        }
        guard errors.isEmpty else { return (nil, errors) }
        return (ResidentLookup(name: name, birthDate: date, residentNumber: number), errors)
    }
}

enum CounterRequestPages {
    static func lookup(
        catalog: CertificateCatalog, values: [String: String], errors: FormErrors,
        matches: [CertificateWorkflow.ResidentMatch]?, staff: AuthenticatedStaff
    ) -> Page {
        StaffCertificatePages.page("窓口での請求（書かない窓口）") {
            el("h1") { "窓口での請求（書かない窓口）" }
            el("p") { "窓口に来た方から聞き取って、職員が請求を入力します。手数料は窓口でお支払いいただきます。" }
            Form.errorSummary(errors)
            Form.post(action: "/staff/certificates/counter/search", csrfToken: staff.csrfToken) {
                Form.select(
                    name: "type", label: "証明書", options: catalog.types.map { FormOption($0.code, $0.name) },
                    selected: values["type"], placeholder: nil)
                Form.text(
                    name: "name", label: "氏名またはフリガナ", value: values["name"] ?? "", error: errors["name"],
                    optional: true)
                Form.date(
                    name: "birth_date", label: "生年月日", value: values["birth_date"] ?? "",
                    hint: "同じ名前の方を見分けるときに", error: errors["birth_date"], optional: true)
                Form.text(
                    name: "resident_number", label: "住民番号", value: values["resident_number"] ?? "",
                    error: errors["resident_number"], optional: true, inputMode: "numeric")
                Form.submit("住民を探す")
            }
            if let matches {
                results(matches, typeCode: values["type"] ?? "")
            }
            el("p") { el("a", .href("/staff/certificates")) { "請求一覧へ戻る" } }
        }
    }

    static func results(_ matches: [CertificateWorkflow.ResidentMatch], typeCode: String) -> Node {
        guard !matches.isEmpty else {
            return el("p", .class("notice"), Attribute("role", "status")) { "該当する方が見つかりません。" }
        }
        return Table.scrolling(label: "該当する住民") {
            el("thead") {
                el("tr") {
                    for heading in ["住民番号", "氏名", "フリガナ", "生年月日", ""] {
                        el("th", Attribute("scope", "col")) { heading }
                    }
                }
            }
            el("tbody") {
                for match in matches {
                    el("tr") {
                        el("td") { String(match.id) }
                        el("td") { match.fullName }
                        el("td") { match.fullNameKana }
                        el("td") { CalendarDate.japanese(match.birthDate) }
                        el("td") {
                            el("a", .href("/staff/certificates/counter/new?resident=\(match.id)&type=\(typeCode)")) {
                                "この方の請求を入力する"
                            }
                        }
                    }
                }
            }
        }
    }
}
