import Cryptography
import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// The staff console under `/staff/notices`: templates (supervisors edit, clerks use), compose → preview →
/// confirm, the notice list with per-notice counts and a drill-down, and the printable fallback list.
struct NoticeConsoleRoutes: RouteCollection {
    let store: NoticeStore
    let authentication: Authentication

    func register(in routes: inout Routes) {
        let auth = authentication
        routes.get("/staff/notices", auth.staff(showNoticeList))

        // Templates: supervisors edit, clerks use.
        routes.get("/staff/notices/templates", auth.staff(showTemplateList))
        routes.get("/staff/notices/templates/new", auth.staff(minimum: .supervisor, showNewTemplateForm))
        routes.get("/staff/notices/templates/:id", auth.staff(minimum: .supervisor, showTemplateForm))
        routes.post("/staff/notices/templates", auth.staff(minimum: .supervisor, saveTemplate))
        routes.post("/staff/notices/templates/:id", auth.staff(minimum: .supervisor, updateTemplate))

        // Compose → preview → confirm.
        routes.get("/staff/notices/new", auth.staff(showComposeForm))
        routes.post("/staff/notices/preview", auth.staff(previewNotice))
        routes.post("/staff/notices", auth.staff(confirmNotice))

        routes.get("/staff/notices/counter", auth.staff(openCounterPage))
        routes.auditedGet("/staff/notices/fallback", auth.staff(showFallbackList))
        routes.post("/staff/notices/fallback/handled", auth.staff(markFallbackHandled))
        routes.get("/staff/notices/:id", auth.staff(showNotice))
    }

    // MARK: Handlers

    func showNoticeList(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let notices = try store.fetchRecentNotices(limit: 100)
        let counts = try store.fetchRecipientCounts(noticeIDs: notices.map(\.id))
        return NoticeConsolePages.list(notices: notices, counts: counts, staff: staff, done: request.query("done"))
            .response()
    }

    func showTemplateList(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        NoticeConsolePages.templates(try store.fetchTemplates(), staff: staff, saved: request.query("done") == "saved")
            .response()
    }

    func showNewTemplateForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        NoticeConsolePages.templateForm(id: nil, name: "", text: "", errors: FormErrors(), staff: staff).response()
    }

    func showTemplateForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")), let template = try store.fetchTemplate(id: id) else {
            throw HTTPError.notFound
        }
        return NoticeConsolePages.templateForm(
            id: id, name: template.name, text: ComposeInput.joinMessages(template.messages), errors: FormErrors(),
            staff: staff
        ).response()
    }

    func saveTemplate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        try storeTemplate(id: nil, request: request, staff: staff)
    }

    func updateTemplate(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")), try store.fetchTemplate(id: id) != nil else {
            throw HTTPError.notFound
        }
        return try storeTemplate(id: id, request: request, staff: staff)
    }

    func showComposeForm(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        var input = ComposeInput()
        if let id = request.query("template").flatMap(Int64.init), try store.fetchTemplate(id: id) != nil {
            input.templateID = String(id)
        }
        return try composePage(input, errors: FormErrors(), staff: staff).response()
    }

    func previewNotice(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        var input = ComposeInput(try request.form())
        input.composeToken = SecureRandom.token(byteCount: 16)
        let (draft, errors) = try input.draft(templates: store.fetchTemplates(), staff: staff)
        guard let draft else { return try composePage(input, errors: errors, staff: staff).response(status: 422) }
        do {
            let preview = try store.previewNotice(draft)
            return NoticeConsolePages.preview(
                input: input, draft: draft, preview: preview, districts: try store.fetchDistricts(), staff: staff
            ).response()
        } catch let error as NoticeValidationError {
            return try composePage(input, errors: ComposeInput.errors(for: error), staff: staff).response(status: 422)
        }
    }

    func confirmNotice(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let input = ComposeInput(try request.form())
        let (draft, errors) = try input.draft(templates: store.fetchTemplates(), staff: staff)
        guard let draft else { return try composePage(input, errors: errors, staff: staff).response(status: 422) }
        // Made on the preview page; without it the form did not come from a preview.
        guard let composeToken = input.composeToken, !composeToken.isEmpty else {
            throw HTTPError.badRequest("確認画面からもう一度お進みください。", code: "missing_compose_token")
        }
        do {
            let id = try store.createNotice(draft, now: authentication.now(), composeToken: composeToken)
            return .redirect(to: "/staff/notices/\(id)?done=created")
        } catch let error as NoticeValidationError {
            return try composePage(input, errors: ComposeInput.errors(for: error), staff: staff).response(status: 422)
        }
    }

    /// The console's way to the counter page: the resident's number, as staff read it off their record.
    func openCounterPage(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = request.query("resident").flatMap(Int64.init), id > 0 else {
            return .redirect(to: "/staff/notices")
        }
        return .redirect(to: "/staff/residents/\(id)/line")
    }

    func showFallbackList(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let noticeID = request.query("notice").flatMap(Int64.init)
        let includeHandled = request.query("handled") == "1"
        let event = AuditEvent(
            staff.auditActor, "notice_fallback.read", subjectType: noticeID == nil ? "notice_fallback" : "notice",
            subjectID: noticeID, request: request)
        let entries = try store.fetchFallbackListAudited(
            noticeID: noticeID, includeHandled: includeHandled, event: event, now: authentication.now())
        return NoticeConsolePages.fallback(
            entries: entries, noticeID: noticeID, includeHandled: includeHandled, staff: staff,
            handled: request.query("done") == "handled"
        ).response()
    }

    func markFallbackHandled(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        guard let noticeID = form["notice_id"].flatMap(Int64.init),
            let residentID = form["resident_id"].flatMap(Int64.init)
        else { throw HTTPError.badRequest("お知らせと住民を指定してください。") }
        let event = AuditEvent(
            staff.auditActor, "notice_fallback.handle", subjectType: "resident", subjectID: residentID,
            request: request)
        try store.markFallbackHandled(
            noticeID: noticeID, residentID: residentID, event: event, now: authentication.now())
        // Back to the same filter, without any personal data in the URL.
        let filter = form["filter_notice"].flatMap(Int64.init).map { "&notice=\($0)" } ?? ""
        return .redirect(to: "/staff/notices/fallback?done=handled" + filter)
    }

    func showNotice(_ request: Request, _ staff: AuthenticatedStaff) throws -> Response {
        guard let id = Int64(request.parameter("id")), let notice = try store.fetchNotice(id: id) else {
            throw HTTPError.notFound
        }
        return NoticeConsolePages.detail(
            notice: notice, counts: try store.fetchRecipientCounts(noticeIDs: [id])[id] ?? .init(),
            requests: try store.fetchRequests(noticeID: id), staff: staff, created: request.query("done") == "created"
        ).response()
    }

    // MARK: Shared by the handlers

    private func composePage(_ input: ComposeInput, errors: FormErrors, staff: AuthenticatedStaff) throws -> Page {
        NoticeConsolePages.compose(
            input: input, templates: try store.fetchTemplates(), districts: try store.fetchDistricts(),
            errors: errors, staff: staff)
    }

    private func storeTemplate(id: Int64?, request: Request, staff: AuthenticatedStaff) throws -> Response {
        let form = try request.form()
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let text = form["text"] ?? ""
        let messages = ComposeInput.splitMessages(text)
        var errors = FormErrors()
        if name.isEmpty || name.count > 100 { errors.add("name", "テンプレート名を100文字以内で入力してください。") }
        if messages.isEmpty { errors.add("text", NoticeValidationError.noMessages.message) }
        if errors.isEmpty {
            do {
                if let id {
                    try store.updateTemplate(id: id, name: name, messages: messages, now: authentication.now())
                } else if try store.fetchTemplate(name: name) != nil {
                    errors.add("name", "同じ名前のテンプレートがあります。別の名前にしてください。")
                } else {
                    try store.saveTemplate(
                        name: name, messages: messages, by: "staff:\(staff.id)", now: authentication.now())
                }
            } catch let error as NoticeValidationError {
                errors.add("text", error.message)
            } catch NoticeStore.TemplateSaveError.nameTaken {
                errors.add("name", "同じ名前のテンプレートがあります。別の名前にしてください。")
            }
        }
        guard errors.isEmpty else {
            return NoticeConsolePages.templateForm(id: id, name: name, text: text, errors: errors, staff: staff)
                .response(status: 422)
        }
        return .redirect(to: "/staff/notices/templates?done=saved")
    }
}

/// The compose form's fields as submitted, kept as text so a form with errors (or the preview's hidden
/// fields) shows exactly what was typed.
struct ComposeInput: Sendable, Equatable {
    var title = ""
    var templateID = ""
    var text = ""
    var values = ""
    var audience = "district"
    var residentIDs = ""
    var district = ""
    /// `YYYY-MM-DDTHH:MM` in Japan time, from a `datetime-local` input; empty sends at the next run.
    var sendAt = ""
    /// Made fresh for each preview and carried by its confirm form: one notice per preview, however often
    /// the confirm button is pressed.
    var composeToken: String?

    static let fieldNames = ["title", "template", "text", "values", "audience", "resident_ids", "district", "send_at"]

    init() {}

    init(_ form: FormFields) {
        title = form["title"] ?? ""
        templateID = form["template"] ?? ""
        text = form["text"] ?? ""
        values = form["values"] ?? ""
        audience = form["audience"] ?? ""
        residentIDs = form["resident_ids"] ?? ""
        district = form["district"] ?? ""
        sendAt = form["send_at"] ?? ""
        composeToken = form["compose_token"]
    }

    var hiddenFields: [(String, String)] {
        [
            ("title", title), ("template", templateID), ("text", text), ("values", values), ("audience", audience),
            ("resident_ids", residentIDs), ("district", district), ("send_at", sendAt),
        ] + (composeToken.map { [("compose_token", $0)] } ?? [])
    }

    /// Messages are separated by a line holding only `---`, as in `notices create --text-file`.
    static func splitMessages(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n---\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    static func joinMessages(_ messages: [String]) -> String { messages.joined(separator: "\n---\n") }

    /// `名前=値` per line.
    static func parseValues(_ text: String) -> [String: String]? {
        var values: [String: String] = [:]
        for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { return nil }
            values[name.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))] = value
        }
        return values
    }

    /// `2026-04-01T10:30` read as Japan time.
    static func parseJapanTime(_ text: String) -> Date? {
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = JapanTime.startOfDay(String(parts[0])) else { return nil }
        let clock = parts[1].split(separator: ":")
        guard clock.count >= 2, let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour),
            (0..<60).contains(minute)
        else { return nil }
        return day.addingTimeInterval(Double(hour * 3600 + minute * 60))
    }

    func draft(templates: [NoticeStore.SavedTemplate], staff: AuthenticatedStaff) throws -> (NoticeDraft?, FormErrors) {
        var errors = FormErrors()
        let trimmedTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedTitle.isEmpty || trimmedTitle.count > 200 { errors.add("title", "件名を200文字以内で入力してください。") }
        var messages: [String] = []
        var template: NoticeStore.SavedTemplate?
        if !templateID.isEmpty {
            template = templates.first { String($0.id) == templateID }
            if let template { messages = template.messages } else { errors.add("template", "そのテンプレートはありません。") }
        } else {
            messages = Self.splitMessages(text)
            if messages.isEmpty { errors.add("text", "本文を入力するか、テンプレートを選んでください。") }
        }
        let placeholderValues = Self.parseValues(values)
        if placeholderValues == nil { errors.add("values", "差し込み項目は「名前=値」の形で1行に1つずつ入力してください。") }
        var audienceValue: Audience?
        switch audience {
        case "resident", "residents":
            let ids = residentIDs.split(whereSeparator: { ",、 \n\r\t".contains($0) }).map { Int64($0) }
            if ids.isEmpty || ids.contains(where: { $0 == nil }) {
                errors.add("resident_ids", "住民番号を数字で入力してください（複数のときは「,」で区切ります）。")
            } else {
                let numbers = ids.compactMap { $0 }
                audienceValue =
                    numbers.count == 1 && audience == "resident" ? .resident(numbers[0]) : .residents(numbers)
            }
        case "district":
            if district.isEmpty { errors.add("district", "地区を選んでください。") } else { audienceValue = .district(district) }
        case "all_linked":
            audienceValue = .allLinked
        default:
            errors.add("audience", "送信先を選んでください。")
        }
        var sendAtDate: Date?
        if !sendAt.isEmpty {
            sendAtDate = Self.parseJapanTime(sendAt)
            if sendAtDate == nil { errors.add("send_at", "送信日時を正しく入力してください（例：2026-04-01T10:00）。") }
        }
        guard errors.isEmpty, let audienceValue else { return (nil, errors) }
        return (
            NoticeDraft(
                title: trimmedTitle, messages: messages, placeholderValues: placeholderValues ?? [:],
                audience: audienceValue, sendAt: sendAtDate, templateID: template?.id,
                createdBy: "staff:\(staff.id)"),
            errors
        )
    }

    /// Puts a validation error from the planner beside the field it is about.
    static func errors(for error: NoticeValidationError) -> FormErrors {
        var errors = FormErrors()
        switch error {
        case .emptyTitle: errors.add("title", error.message)
        case .unknownResidents, .noRecipients, .tooManyRecipientsForPush: errors.add("resident_ids", error.message)
        case .unknownDistrict: errors.add("district", error.message)
        case .unfilledPlaceholders: errors.add("values", error.message)
        default: errors.add("text", error.message)
        }
        return errors
    }
}
