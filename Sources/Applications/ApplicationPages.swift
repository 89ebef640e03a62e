import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

/// The resident-side pages, all through the escaping builder. Shared widgets (a procedure's fields, the
/// answers table, the status history) are reused by the staff pages.
public enum ApplicationPages {
    // MARK: Catalog

    static func catalog(_ catalog: ProcedureCatalog, query: String, resident: AuthenticatedResident?) -> Page {
        let results = catalog.search(query)
        return IdentityPages.residentPage(title: "オンライン申請", resident: resident) {
            el("h1") { "オンライン申請" }
            el("p") { "役場に行かずに、24時間いつでも申請できます。申請の状況はマイページまたは受付番号で確認できます。" }
            el("form", Attribute("method", "get"), Attribute("action", "/applications"), Attribute("role", "search")) {
                Form.text(name: "q", label: "手続きを探す", value: query, type: "search", hint: "例：水道、犬、粗大ごみ", optional: true)
                Form.submit("検索", secondary: true)
            }
            if results.isEmpty {
                el("p") { "該当する手続きが見つかりませんでした。言葉を変えてお試しください。" }
            }
            for category in catalog.categories {
                let inCategory = results.filter { $0.category == category }
                if !inCategory.isEmpty {
                    el("h2") { category }
                    el("ul") {
                        for procedure in inCategory {
                            el("li") {
                                el("a", .href("/applications/new/\(procedure.code)")) { procedure.name }
                                el("p", .class("hint")) {
                                    "\(procedure.department)・手数料 \(procedure.feeText)"
                                    if procedure.visitRequired { "・後日来庁が必要です" }
                                }
                            }
                        }
                    }
                }
            }
            el("h2") { "申請の状況を確認する" }
            el("p") {
                el("a", .href("/applications/lookup")) { "受付番号で確認する（ログインせずに申請した方）" }
            }
        }
    }

    /// 「建設水道課 電話 01457-2-0000（平日 8:45〜17:30）」: every "please call" names the number and the hours.
    static func contactLine(_ department: String) -> Node {
        let town = TownProfile.current
        return .fragment([
            .text("\(department) 電話 "),
            el("span", .class("phone")) { town.phone(for: department) },
            .text("（\(town.openingHours)）"),
        ])
    }

    // MARK: The form

    /// Describes a procedure above its form: what it is, fee, whether a visit is still needed.
    static func procedureSummary(_ procedure: Procedure) -> Node {
        .fragment([
            el("p") { procedure.description },
            el("dl", .class("summary")) {
                el("dt") { "担当課" }
                el("dd") { procedure.department }
                el("dt") { "お問い合わせ" }
                el("dd") { contactLine(procedure.department) }
                el("dt") { "手数料" }
                el("dd") { procedure.feeNote ?? procedure.feeText }
                el("dt") { "来庁" }
                el("dd") { procedure.visitRequired ? "申請後に来庁が必要です" : "来庁の必要はありません" }
            },
        ])
    }

    /// The procedure's fields as inputs. `values` are what to show (prefill or what was submitted);
    /// `storedFiles` are files already attached to the draft or application.
    static func fields(
        _ procedure: Procedure, values: SubmittedValues, errors: FormErrors, storedFiles: [AttachmentInfo]
    ) -> [Node] {
        procedure.fields.map { field in
            fieldNode(
                field, procedure: procedure, values: values[field.name] ?? [], error: errors[field.name],
                storedFile: storedFiles.first { $0.field == field.name })
        }
    }

    static func fieldNode(
        _ field: ProcedureField, procedure: Procedure, values: [String], error: String?, storedFile: AttachmentInfo?
    ) -> Node {
        var hint = field.hint
        if let condition = field.visibleWhen, let controller = procedure.field(named: condition.field) {
            let when =
                controller.type == .checkbox
                ? "「\(controller.label)」にチェックした場合に入力してください。"
                : "「\(controller.label)」で「\(controller.optionLabel(condition.equals))」を選んだ場合に入力してください。"
            hint = [when, hint].compactMap { $0 }.joined(separator: " ")
        }
        let optional = !field.required || field.visibleWhen != nil
        let value = values.first ?? ""
        let name = field.name
        switch field.type {
        case .text, .name, .address, .kana:
            let autocomplete: String? =
                switch field.prefill {
                case .fullName: "name"
                case .address: "street-address"
                default: nil
                }
            return Form.text(
                name: name, label: field.label, value: value, hint: hint, error: error, optional: optional,
                autocomplete: autocomplete)
        case .email:
            return Form.text(
                name: name, label: field.label, value: value, type: "email", hint: hint, error: error,
                optional: optional,
                autocomplete: "email")
        case .phone:
            return Form.text(
                name: name, label: field.label, value: value, type: "tel", hint: hint, error: error, optional: optional,
                autocomplete: "tel", inputMode: "tel")
        case .postalCode:
            return Form.text(
                name: name, label: field.label, value: value, hint: hint, error: error, optional: optional,
                autocomplete: "postal-code", inputMode: "numeric")
        case .number:
            return Form.text(
                name: name, label: field.label, value: value, hint: hint, error: error, optional: optional,
                inputMode: "numeric")
        case .date:
            return Form.date(name: name, label: field.label, value: value, hint: hint, error: error, optional: optional)
        case .textarea:
            return Form.field(name: name, label: field.label, hint: hint, error: error, optional: optional) {
                described in
                el("textarea", attributes: [.id(name), Attribute("name", name), Attribute("rows", "5")] + described) {
                    value
                }
            }
        case .selectOne:
            let options = (field.options ?? []).map { FormOption($0.value, $0.label) }
            if options.count <= 4 {
                return Form.radios(
                    name: name, legend: field.label, options: options, selected: value, hint: hint, error: error,
                    optional: optional)
            }
            return Form.select(
                name: name, label: field.label, options: options, selected: value, hint: hint, error: error,
                optional: optional)
        case .selectMany:
            return checkboxGroup(field, selected: values, hint: hint, error: error, optional: optional)
        case .checkbox:
            let checked = values.contains { ["true", "on", "1"].contains($0) }
            return el("div", .class(error == nil ? "field" : "field has-error")) {
                if let hint { el("p", .class("hint"), .id(name + "-hint")) { hint } }
                if let error { Form.errorMessage(name: name, error) }
                el("div", .class("radio")) {
                    void(
                        "input",
                        attributes: [
                            Attribute("type", "checkbox"), .id(name), Attribute("name", name),
                            Attribute("value", "true"),
                        ] + (checked ? [.flag("checked")] : []))
                    // Unchecked is an answer too, so only a box that must be ticked (an agreement) is marked.
                    el("label", Attribute("for", name)) {
                        field.label
                        if !optional { Form.requirementMark(optional: false) }
                    }
                }
            }
        case .file:
            var fileHint = hint ?? "JPEG・PNG・PDF、5 MBまで"
            if let storedFile {
                fileHint += "（添付済み：\(storedFile.filename)。差し替える場合のみ選んでください）"
            }
            return Form.field(
                name: name, label: field.label, hint: fileHint, error: error, optional: optional || storedFile != nil
            ) { described in
                void(
                    "input",
                    attributes: [
                        Attribute("type", "file"), .id(name), Attribute("name", name),
                        Attribute("accept", "image/jpeg,image/png,application/pdf"),
                    ] + described)
            }
        }
    }

    static func checkboxGroup(
        _ field: ProcedureField, selected: [String], hint: String?, error: String?, optional: Bool
    )
        -> Node
    {
        let name = field.name
        return el("div", .class(error == nil ? "field" : "field has-error")) {
            el("fieldset") {
                el("legend") {
                    field.label
                    Form.requirementMark(optional: optional)
                }
                if let hint { el("p", .class("hint"), .id(name + "-hint")) { hint } }
                if let error { Form.errorMessage(name: name, error) }
                for (index, option) in (field.options ?? []).enumerated() {
                    let id = index == 0 ? name : "\(name)-\(index + 1)"
                    el("div", .class("radio")) {
                        void(
                            "input",
                            attributes: [
                                Attribute("type", "checkbox"), .id(id), Attribute("name", name),
                                Attribute("value", option.value),
                            ] + (selected.contains(option.value) ? [.flag("checked")] : []))
                        el("label", Attribute("for", id)) { option.label }
                    }
                }
            }
        }
    }

    /// A multipart form (files need it) with the CSRF token and the form token as hidden inputs.
    static func multipartForm(
        action: String, csrfToken: String, hidden: [(String, String)], @NodeBuilder fields: () -> [Node]
    )
        -> Node
    {
        el(
            "form", Attribute("method", "post"), Attribute("action", action),
            Attribute("enctype", "multipart/form-data"),
            .flag("novalidate")
        ) {
            Form.csrf(csrfToken)
            for (name, value) in hidden { Form.hidden(name: name, value: value) }
            fields()
        }
    }

    static func form(
        procedure: Procedure, values: SubmittedValues, errors: FormErrors, storedFiles: [AttachmentInfo],
        formToken: String, csrfToken: String, resident: AuthenticatedResident?
    ) -> Page {
        IdentityPages.residentPage(title: procedure.name, resident: resident, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { procedure.name }
            procedureSummary(procedure)
            if resident == nil {
                IdentityPages.notice(
                    "ログインせずに申請できます。送信後に表示される受付番号と確認コードで、状況を確認できます。ログインすると住所などが自動で入力されます。")
            }
            multipartForm(
                action: "/applications/new/\(procedure.code)", csrfToken: csrfToken, hidden: [("form_token", formToken)]
            ) {
                fields(procedure, values: values, errors: errors, storedFiles: storedFiles)
                Form.submit("入力内容を確認する")
            }
        }
    }

    // MARK: Confirmation and completion

    /// The answers as a definition list, in the form's order, with option labels rather than codes.
    static func answers(_ answers: Answers, procedure: Procedure?, files: [AttachmentInfo]) -> Node {
        el("dl", .class("summary")) {
            if let procedure {
                for field in procedure.fields {
                    if field.type == .file {
                        if let file = files.first(where: { $0.field == field.name }) {
                            el("dt") { field.label }
                            el("dd") { "\(file.filename)（\(ByteCountText.japanese(file.size))）" }
                        }
                    } else if let value = answers[field.name] {
                        el("dt") { field.label }
                        el("dd") { displayValue(value, field: field) }
                    }
                }
            }
            // Answers to questions a later version of the definition no longer asks.
            for (name, value) in answers.sorted(by: { $0.key < $1.key }) where procedure?.field(named: name) == nil {
                el("dt") { name }
                el("dd") { value.values.joined(separator: "、") }
            }
        }
    }

    static func displayValue(_ value: AnswerValue, field: ProcedureField) -> String {
        switch field.type {
        case .selectOne, .selectMany: value.values.map(field.optionLabel).joined(separator: "、")
        case .checkbox: value.values.first == "true" ? "はい" : "いいえ"
        case .date: value.values.first.map(CalendarDate.japanese) ?? ""
        case .number: value.values.first.flatMap(Int.init).map(YenText.grouped) ?? value.values.joined()
        default: value.values.joined(separator: "、")
        }
    }

    static func confirm(
        procedure: Procedure, answers: Answers, files: [AttachmentInfo], formToken: String, csrfToken: String,
        resident: AuthenticatedResident?
    ) -> Page {
        IdentityPages.residentPage(title: "入力内容の確認", resident: resident) {
            el("h1") { "入力内容の確認" }
            el("p") { "\(procedure.name)の内容をご確認ください。よろしければ「申請する」を押してください。" }
            ApplicationPages.answers(answers, procedure: procedure, files: files)
            Form.post(action: "/applications/submit", csrfToken: csrfToken) {
                Form.hidden(name: "form_token", value: formToken)
                Form.submit("申請する")
            }
            Form.post(action: "/applications/revise", csrfToken: csrfToken) {
                Form.hidden(name: "form_token", value: formToken)
                Form.submit("入力内容を修正する", secondary: true)
            }
        }
    }

    static func complete(
        application: StoredApplication, procedure: Procedure?, guestSecret: String?, repeated: Bool,
        resident: AuthenticatedResident?
    ) -> Page {
        let reference = application.reference.map(ReferenceNumber.display) ?? ""
        return IdentityPages.residentPage(title: "申請を受け付けました", resident: resident) {
            el("h1") { repeated ? "この申請はすでに受け付けています" : "申請を受け付けました" }
            el("p") { "受付番号" }
            el("p", .class("reference")) { reference }
            if let guestSecret {
                el("p") { "確認コード" }
                el("p", .class("one-time-code")) { guestSecret }
                IdentityPages.notice(
                    "受付番号と確認コードは、申請の状況を確認するときに必要です。確認コードはこの画面にしか表示されません。メモするか、この画面を印刷してください。")
            } else if repeated, application.residentID == nil {
                IdentityPages.notice("同じ申請が二重に送信されたため、新しい申請は作成していません。確認コードは最初の画面に表示されたものをお使いください。")
            } else if repeated {
                IdentityPages.notice("同じ申請が二重に送信されたため、新しい申請は作成していません。")
            }
            if let procedure {
                el("h2") { "このあとの流れ" }
                el("p") { procedure.nextSteps }
                if procedure.visitRequired {
                    IdentityPages.notice("この手続きは、後日役場（\(procedure.department)）へお越しいただく必要があります。")
                }
                if procedure.feeYen > 0 { el("p") { "手数料：\(procedure.feeNote ?? procedure.feeText)" } }
            }
            if resident != nil, let ref = application.reference {
                el("p") { el("a", .href("/applications/\(ref)")) { "申請の状況を見る" } }
            }
            el("p") { el("a", .href("/applications")) { "申請の一覧へ戻る" } }
        }
    }

    // MARK: Status

    static func history(_ events: [ApplicationEvent], forStaff: Bool, staffNames: [Int64: String] = [:]) -> Node {
        el("ol", .class("history")) {
            for event in events where forStaff || event.kind == .status {
                el("li") {
                    el("span", .class("date")) { JapanTime.format(event.at) + " " }
                    switch event.kind {
                    case .status: statusChange(from: event.fromStatus, to: event.toStatus)
                    case .assigned: "担当者が決まりました"
                    case .released: "担当を外れました"
                    case .note: "内部メモ"
                    }
                    if forStaff, case .staff(let id) = event.actor { "（\(staffNames[id] ?? "職員")）" }
                    if forStaff, event.actor.isApplicant { "（申請者）" }
                    if let message = event.message, !message.isEmpty {
                        el("p") { "お知らせ：" + message }
                    }
                    if forStaff, let note = event.internalNote, !note.isEmpty {
                        el("p", .class("muted")) { "内部メモ：" + note }
                    }
                }
            }
        }
    }

    /// The resident's history on マイページ: the status changes only, as `history(_:forStaff: false)` shows them,
    /// from rows whose time is still the stored text.
    static func residentHistory(_ events: [ApplicationStore.MyPageEvent]) -> Node {
        el("ol", .class("history")) {
            for event in events {
                el("li") {
                    el("span", .class("date")) { JapanTime.format(storedUTC: event.at) + " " }
                    statusChange(from: event.fromStatus, to: event.toStatus)
                    if let message = event.message, !message.isEmpty {
                        el("p") { "お知らせ：" + message }
                    }
                }
            }
        }
    }

    static func statusChange(from: ApplicationStatus?, to: ApplicationStatus?) -> String {
        from == .draft ? "申請（\(to?.label ?? "")）" : "\(from?.label ?? "") → \(to?.label ?? "")"
    }

    static func statusBody(
        application: StoredApplication, procedure: Procedure?, events: [ApplicationEvent], files: [AttachmentInfo]
    ) -> [Node] {
        [
            el("h1") { procedure?.name ?? application.procedureCode },
            el("dl", .class("summary")) {
                el("dt") { "受付番号" }
                el("dd", .class("reference")) { application.reference.map(ReferenceNumber.display) ?? "" }
                el("dt") { "状態" }
                el("dd") { application.status.label }
                el("dt") { "申請日時" }
                el("dd") { application.submittedAt.map(JapanTime.format) ?? "" }
                if let procedure {
                    el("dt") { "お問い合わせ" }
                    el("dd") { contactLine(procedure.department) }
                }
            },
            application.status == .returned
                ? IdentityPages.notice("担当課から訂正の依頼があります。内容を確認し、訂正して再度送信してください。") : .fragment([]),
            el("h2") { "状況の履歴" },
            history(events, forStaff: false),
            el("h2") { "申請内容" },
            application.purgedAt == nil
                ? answers(application.answers, procedure: procedure, files: files)
                : el("p") { "保存期間を過ぎたため、申請内容は削除されました。" },
        ]
    }

    static func status(
        application: StoredApplication, procedure: Procedure?, events: [ApplicationEvent], files: [AttachmentInfo],
        resident: AuthenticatedResident, notice: String? = nil
    ) -> Page {
        let reference = application.reference ?? ""
        return IdentityPages.residentPage(title: "申請の状況", resident: resident) {
            if let notice { IdentityPages.success(notice) }
            statusBody(application: application, procedure: procedure, events: events, files: files)
            if ApplicationRules.residentMayResubmit(application.status) {
                el("p") { el("a", .class("button"), .href("/applications/\(reference)/edit")) { "訂正して再送信する" } }
            }
            if ApplicationRules.residentMayWithdraw(application.status) {
                // A GET form: the button opens the confirmation page, which withdraws only when asked again.
                el("form", Attribute("method", "get"), Attribute("action", "/applications/\(reference)/withdraw")) {
                    Form.submit("この申請を取り下げる", secondary: true)
                }
            }
            el("p") { el("a", .href("/mypage")) { "マイページへ戻る" } }
        }
    }

    /// 「本当に取り下げますか」: the second step, so one stray tap on a phone does not end an application.
    static func confirmWithdrawal(
        application: StoredApplication, procedure: Procedure?, action: String, hidden: [(String, String)],
        back: String?, csrfToken: String, resident: AuthenticatedResident?
    ) -> Page {
        IdentityPages.residentPage(title: "申請の取り下げの確認", resident: resident) {
            el("h1") { "この申請を取り下げますか" }
            el("dl", .class("summary")) {
                el("dt") { "手続き" }
                el("dd") { procedure?.name ?? application.procedureCode }
                el("dt") { "受付番号" }
                el("dd", .class("reference")) { application.reference.map(ReferenceNumber.display) ?? "" }
            }
            el("p") { "取り下げると、この申請は審査されません。元に戻すことはできません。もう一度申請するときは、最初から入力してください。" }
            Form.post(action: action, csrfToken: csrfToken) {
                for (name, value) in hidden { Form.hidden(name: name, value: value) }
                Form.submit("取り下げる")
            }
            if let back {
                el("p") { el("a", .href(back)) { "取り下げずに申請の状況へ戻る" } }
            } else {
                // A guest's status page is the answer to a POST; Back would ask to resend it, so look it up again.
                Form.post(action: "/applications/lookup", csrfToken: csrfToken) {
                    for (name, value) in hidden { Form.hidden(name: name, value: value) }
                    Form.submit("取り下げずに申請の状況へ戻る", secondary: true)
                }
            }
        }
    }

    // MARK: Guest lookup

    static func lookup(errors: FormErrors, reference: String, csrfToken: String, resident: AuthenticatedResident?)
        -> Page
    {
        IdentityPages.residentPage(title: "受付番号で申請の状況を確認", resident: resident, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "受付番号で申請の状況を確認" }
            el("p") { "ログインせずに申請した方は、申請時に表示された受付番号と確認コードを入力してください。" }
            Form.post(action: "/applications/lookup", csrfToken: csrfToken) {
                Form.text(
                    name: "reference", label: "受付番号", value: reference, hint: "8文字（例：ABCD-2345）",
                    error: errors["reference"],
                    autocomplete: "off")
                Form.text(
                    name: "guest_secret", label: "確認コード", hint: "12文字（例：ABCD-EFGH-JKLM）", error: errors["guest_secret"],
                    autocomplete: "off")
                Form.submit("確認する")
            }
        }
    }

    /// The guest's status page. Actions repeat the reference and secret as hidden inputs of POST forms, so
    /// they never appear in a URL.
    static func guestStatus(
        application: StoredApplication, procedure: Procedure?, events: [ApplicationEvent], files: [AttachmentInfo],
        messages: [ResidentMessage], reference: String, secret: String, csrfToken: String,
        resident: AuthenticatedResident?,
        notice: String? = nil
    ) -> Page {
        IdentityPages.residentPage(title: "申請の状況", resident: resident) {
            if let notice { IdentityPages.success(notice) }
            statusBody(application: application, procedure: procedure, events: events, files: files)
            if ApplicationRules.residentMayResubmit(application.status) {
                Form.post(action: "/applications/lookup/edit", csrfToken: csrfToken) {
                    Form.hidden(name: "reference", value: reference)
                    Form.hidden(name: "guest_secret", value: secret)
                    Form.submit("訂正して再送信する")
                }
            }
            if ApplicationRules.residentMayWithdraw(application.status) {
                Form.post(action: "/applications/lookup/confirm-withdrawal", csrfToken: csrfToken) {
                    Form.hidden(name: "reference", value: reference)
                    Form.hidden(name: "guest_secret", value: secret)
                    Form.submit("この申請を取り下げる", secondary: true)
                }
            }
        }
    }

    /// The correction form for a returned application: owners edit here and resubmit without a confirm step.
    static func edit(
        procedure: Procedure, application: StoredApplication, values: SubmittedValues, errors: FormErrors,
        storedFiles: [AttachmentInfo], action: String, hidden: [(String, String)], csrfToken: String,
        events: [ApplicationEvent], resident: AuthenticatedResident?
    ) -> Page {
        IdentityPages.residentPage(title: "申請内容の訂正", resident: resident, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "\(procedure.name)：申請内容の訂正" }
            if let request = events.last(where: { $0.toStatus == .returned })?.message {
                IdentityPages.notice("担当課からの訂正依頼：" + request)
            }
            multipartForm(action: action, csrfToken: csrfToken, hidden: hidden) {
                fields(procedure, values: values, errors: errors, storedFiles: storedFiles)
                Form.submit("訂正して再送信する")
            }
        }
    }

    /// Answers turned back into form values, to prefill a correction form.
    static func values(from answers: Answers) -> SubmittedValues {
        answers.mapValues(\.values)
    }
}
