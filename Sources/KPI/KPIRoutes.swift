import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

/// A fiscal year the request names that the KPI cannot show.
public enum KPIRequestRefused: HTTPResponseError, Equatable, Sendable {
    case invalidFiscalYear

    public var status: Int { 400 }
    public var code: String { "invalid_fiscal_year" }
    public var message: String { "年度は西暦の4桁（例：2030）で指定してください。" }
    public var headers: [(String, String)] { [] }
    public var title: String? { "年度の指定が正しくありません" }
}

/// The staff pages under `/staff/kpi`: supervisors and admins read, admins enter the figures.
struct KPIRoutes: RouteCollection {
    let module: KPIModule
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        // Offloaded: each catches the counters up first, a write whenever events came in since the last.
        routes.get("/staff/kpi", execution: .offloaded, auth.staff(minimum: .supervisor, showDashboard))
        routes.get("/staff/kpi/report", execution: .offloaded, auth.staff(minimum: .supervisor, showReport))
        routes.get("/staff/kpi/export.csv", execution: .offloaded, auth.staff(minimum: .supervisor, exportCSV))
        routes.get("/staff/kpi/figures", auth.staff(minimum: .admin, showFigures))
        routes.post("/staff/kpi/figures", auth.staff(minimum: .admin, saveFigures))
    }

    // MARK: Handlers

    func showDashboard(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let (report, years) = try module.reportAndYears(request.query("fy"), now: authentication.now())
        return KPIPages.dashboard(report, years: years, staff: staff).response()
    }

    func showReport(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let (report, _) = try module.reportAndYears(request.query("fy"), now: authentication.now())
        return KPIPages.report(report, staff: staff).response()
    }

    func exportCSV(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let (report, _) = try module.reportAndYears(request.query("fy"), now: authentication.now())
        let encoding = CSVWriter.Encoding(rawValue: request.query("encoding") ?? "utf8") ?? .utf8BOM
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=\(encoding == .shiftJIS ? "Shift_JIS" : "utf-8")"),
                ("Content-Disposition", "attachment; filename=\"kpi-\(report.fiscalYear).csv\""),
            ], body: KPIExport.csv(report, encoding: encoding))
    }

    func showFigures(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let now = authentication.now()
        let year = try KPIModule.fiscalYear(request.query("fy"), now: now)
        return KPIPages.figures(
            fiscalYear: year, current: try module.workflow.currentFigures(fiscalYear: year),
            history: try module.workflow.figureHistory(fiscalYear: year),
            years: try module.years(including: year, now: now),
            saved: request.query("done") == "saved", staff: staff
        ).response()
    }

    func saveFigures(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let now = authentication.now()
        let year = try KPIModule.fiscalYear(form["fy"], now: now)
        let (values, errors) = EnteredFigureInput.parse(form)
        guard errors.isEmpty else {
            var typed: [EnteredFigure: String] = [:]
            for figure in EnteredFigure.allCases { typed[figure] = form[figure.rawValue] ?? "" }
            return KPIPages.figures(
                fiscalYear: year, current: try module.workflow.currentFigures(fiscalYear: year), values: typed,
                history: try module.workflow.figureHistory(fiscalYear: year),
                years: try module.years(including: year, now: now), errors: errors, staff: staff
            ).response(status: 422)
        }
        try module.workflow.enterFigures(
            values, fiscalYear: year, staffID: staff.id, clientAddress: request.clientAddress,
            requestID: request.requestID, at: now)
        return .redirect(to: "/staff/kpi/figures?fy=\(year)&done=saved")
    }
}

/// The figures form's text as numbers: full-width digits and thousands separators are accepted, an empty field
/// clears the figure.
enum EnteredFigureInput {
    static func parse(_ form: FormFields) -> ([EnteredFigure: Int?], FormErrors) {
        var values: [EnteredFigure: Int?] = [:]
        var errors = FormErrors()
        for figure in EnteredFigure.allCases {
            guard let raw = form[figure.rawValue] else { continue }
            let text = CharacterWidth.halfwidth(raw).replacingOccurrences(of: ",", with: "")
                .trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                values[figure] = .some(nil)
            } else if text.allSatisfy(\.isASCII), let number = Int(text), (0...1_000_000_000).contains(number) {
                values[figure] = .some(number)
            } else {
                errors.add(figure.rawValue, "\(figure.label)は0以上の整数で入力してください。")
            }
        }
        return (values, errors)
    }
}

/// `GET /api/v1/kpi?fy=`: the report as JSON for a token with `kpi:read`.
struct KPIAPIRoutes: RouteCollection {
    static let scope = "kpi:read"
    let module: KPIModule
    let authentication: Authentication

    func register(in routes: inout Routes) {
        // Offloaded: checking the token stamps its last use, a write, and so may catching the counters up.
        routes.get("/api/v1/kpi", execution: .offloaded, authentication.apiToken(scope: Self.scope, showReport))
    }

    func showReport(_ request: Request, _ token: APIToken) throws -> Response {
        let (report, _) = try module.reportAndYears(request.query("fy"), now: authentication.now())
        return Response(
            status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: try report.jsonData())
    }
}
