import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

/// Staff pages. The queue lists no personal data (reference, procedure, status, dates); names and answers
/// appear only on the audited detail page.
enum StaffQueuePages {
    static func notice(for code: String) -> String? {
        switch code {
        case "claimed": "この申請の担当になりました。"
        case "released": "担当を外れました。"
        case "moved": "状態を変更し、申請者へのお知らせを登録しました。"
        case "noted": "内部メモを追加しました。"
        default: nil
        }
    }

    static func queue(
        items: [QueueItem], filter: QueueFilter, departmentChoice: String, mine: Bool, catalog: ProcedureCatalog,
        staff: AuthenticatedStaff, now: Date
    ) -> Page {
        IdentityPages.staffPage(title: "申請の審査", staff: staff) {
            el("h1") { "申請の審査" }
            el("p") {
                el("a", .href("/staff/counter")) { "窓口で代理入力する（書かない窓口）" }
                " ・ "
                el("a", .href("/staff/applications/export")) { "CSVで書き出す" }
                if staff.role >= .supervisor {
                    " ・ "
                    el("a", .href("/staff/templates")) { "定型文の編集" }
                }
            }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/applications"), .class("filters")) {
                Form.select(
                    name: "department", label: "担当課",
                    options: [FormOption("all", "すべての課")]
                        + Department.allCases.map { FormOption($0.rawValue, $0.rawValue) },
                    selected: departmentChoice, placeholder: nil)
                Form.select(
                    name: "procedure", label: "手続き", options: catalog.procedures.map { FormOption($0.code, $0.name) },
                    selected: filter.procedureCode, optional: true, placeholder: "すべて")
                Form.select(
                    name: "status", label: "状態",
                    options: ApplicationStatus.submitted.map { FormOption($0.rawValue, $0.label) },
                    selected: filter.status?.rawValue, optional: true, placeholder: "未完了のもの")
                Form.select(
                    name: "older_than_days", label: "経過日数",
                    options: [
                        FormOption("1", "1日以上"), FormOption("3", "3日以上"), FormOption("7", "7日以上"),
                        FormOption("14", "14日以上"),
                    ],
                    selected: filter.olderThanDays.map(String.init), optional: true, placeholder: "指定しない")
                el("div", .class("radio")) {
                    void(
                        "input",
                        attributes: [
                            Attribute("type", "checkbox"), .id("mine"), Attribute("name", "mine"),
                            Attribute("value", "1"),
                        ] + (mine ? [.flag("checked")] : []))
                    el("label", Attribute("for", "mine")) { "自分が担当のものだけ" }
                }
                Form.submit("絞り込む", secondary: true)
            }
            el("p") { "\(items.count) 件" }
            Table.scrolling(label: "申請の一覧") {
                el("thead") {
                    el("tr") {
                        el("th") { "受付番号" }
                        el("th") { "手続き" }
                        el("th") { "状態" }
                        el("th") { "受付日時（経過）" }
                        el("th") { "担当" }
                    }
                }
                el("tbody") {
                    for item in items {
                        el("tr") {
                            el("td") {
                                el("a", .href("/staff/applications/\(item.id)")) {
                                    ReferenceNumber.inline(item.reference)
                                }
                            }
                            el("td") {
                                catalog.procedure(code: item.procedureCode)?.name ?? item.procedureCode
                                if item.channel == .counter { el("span", .class("muted")) { "（窓口）" } }
                            }
                            el("td") { item.status.label }
                            el("td") {
                                "\(JapanTime.format(item.submittedAt))（\(Int(now.timeIntervalSince(item.submittedAt) / 86_400))日）"
                            }
                            el("td") { item.assignedStaffName ?? "未割当" }
                        }
                    }
                }
            }
        }
    }

    /// What a clerk typed into the 状態の変更 form, kept when the move is refused so nothing has to be retyped.
    struct TransitionInput: Sendable {
        var to: String?
        var templateID: String?
        var message: String
        var internalNote: String
        var error: String
    }

    static func detail(
        _ detail: StaffQueueRoutes.Detail, procedure: Procedure?, staff: AuthenticatedStaff, notice: String?,
        transition: TransitionInput? = nil
    ) -> Page {
        let application = detail.application
        let id = application.id
        let targets = ApplicationRules.staffTargets(from: application.status)
        let isMine = application.assignedStaffID == staff.id
        let errors = FormErrors(transition.map { [FieldError(field: "message", message: $0.error)] } ?? [])
        return IdentityPages.staffPage(
            title: "申請 \(application.reference.map(ReferenceNumber.display) ?? "")", staff: staff, errors: errors
        ) {
            if !errors.isEmpty { Form.errorSummary(errors) }
            if let notice { IdentityPages.success(notice) }
            el("h1") { procedure?.name ?? application.procedureCode }
            el("dl", .class("summary")) {
                el("dt") { "受付番号" }
                el("dd", .class("reference")) { application.reference.map(ReferenceNumber.display) ?? "" }
                el("dt") { "状態" }
                el("dd") { application.status.label }
                el("dt") { "受付経路" }
                el("dd") { application.channel.label + (application.isGuest ? "（ログインなし）" : "（登録住民）") }
                el("dt") { "受付日時" }
                el("dd") { application.submittedAt.map(JapanTime.format) ?? "" }
                el("dt") { "担当" }
                el("dd") { application.assignedStaffID.map { detail.staffNames[$0] ?? "職員" } ?? "未割当" }
                el("dt") { "手数料" }
                el("dd") { application.feeYen == 0 ? "無料" : "\(YenText.grouped(application.feeYen))円" }
            }
            if application.assignedStaffID == nil, !application.status.isClosed {
                Form.button(action: "/staff/applications/\(id)/claim", csrfToken: staff.csrfToken, label: "担当する")
            } else if isMine || (staff.role >= .supervisor && application.assignedStaffID != nil) {
                Form.button(
                    action: "/staff/applications/\(id)/release", csrfToken: staff.csrfToken, label: "担当を外れる",
                    secondary: true)
            }
            el("h2") { "申請内容" }
            if application.purgedAt != nil {
                el("p") { "保存期間を過ぎたため、申請内容は削除されています。" }
            } else {
                ApplicationPages.answers(application.answers, procedure: procedure, files: [])
                if !detail.files.isEmpty {
                    el("h3") { "添付ファイル" }
                    el("ul") {
                        for file in detail.files {
                            el("li") {
                                el("a", .href("/staff/applications/\(id)/attachments/\(file.id)")) {
                                    "\(procedure?.field(named: file.field)?.label ?? file.field)：\(file.filename)"
                                }
                                " （\(ByteCountText.japanese(file.size))、ダウンロード）"
                            }
                        }
                    }
                }
            }
            if isMine, !targets.isEmpty {
                el("h2") { "状態の変更" }

                Form.post(action: "/staff/applications/\(id)/transition", csrfToken: staff.csrfToken) {
                    Form.hidden(name: "from", value: application.status.rawValue)
                    Form.radios(
                        name: "to", legend: "変更後の状態", options: targets.map { FormOption($0.rawValue, $0.label) },
                        selected: transition?.to ?? (targets.count == 1 ? targets[0].rawValue : nil))
                    Form.select(
                        name: "template_id", label: "定型文",
                        options: detail.templates.filter { $0.toStatus == nil || targets.contains($0.toStatus!) }
                            .map { FormOption(String($0.id), "\($0.toStatus?.label ?? "共通")：\($0.title)") },
                        hint: "メッセージ欄が空のときは、選んだ定型文を申請者に送ります。", optional: true, placeholder: "使わない")
                    Form.field(
                        name: "message", label: "申請者へのメッセージ", hint: "要訂正・不承認のときは必須です。直す箇所や理由を具体的に書いてください。",
                        error: transition?.error, optional: true
                    ) { described in
                        el(
                            "textarea",
                            attributes: [.id("message"), Attribute("name", "message"), Attribute("rows", "4")]
                                + described
                        ) {
                            transition?.message ?? ""
                        }
                    }
                    Form.field(
                        name: "internal_note", label: "内部メモ（申請者には見えません）", hint: nil, error: nil, optional: true
                    ) { described in
                        el(
                            "textarea",
                            attributes: [
                                .id("internal_note"), Attribute("name", "internal_note"), Attribute("rows", "3"),
                            ] + described
                        ) {
                            transition?.internalNote ?? ""
                        }
                    }
                    Form.submit("状態を変更する")
                }
            }
            el("h2") { "履歴" }
            ApplicationPages.history(detail.events, forStaff: true, staffNames: detail.staffNames)
            Form.post(action: "/staff/applications/\(id)/note", csrfToken: staff.csrfToken) {
                Form.field(name: "note_text", label: "内部メモを追加", hint: nil, error: nil, optional: false) { described in
                    el(
                        "textarea",
                        attributes: [.id("note_text"), Attribute("name", "internal_note"), Attribute("rows", "2")]
                            + described)
                }
                Form.submit("メモを追加", secondary: true)
            }
            el("p") { el("a", .href("/staff/applications")) { "一覧へ戻る" } }
        }
    }

    static func exportForm(catalog: ProcedureCatalog, staff: AuthenticatedStaff) -> Page {
        IdentityPages.staffPage(title: "申請のCSV書き出し", staff: staff) {
            el("h1") { "申請のCSV書き出し" }
            el("p") { "書き出しは監査ログに記録されます。ファイルは個人情報を含むため、取り扱いに注意してください。" }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/applications/export.csv")) {
                Form.select(
                    name: "procedure", label: "手続き", options: catalog.procedures.map { FormOption($0.code, $0.name) })
                Form.date(name: "from", label: "受付日（開始）", optional: true)
                Form.date(name: "to", label: "受付日（終了）", optional: true)
                Form.radios(
                    name: "encoding", legend: "文字コード",
                    options: [
                        FormOption("utf8", "UTF-8（BOM付き、Excel 2016以降）"), FormOption("sjis", "Shift_JIS（古いExcel向け）"),
                    ],
                    selected: "utf8", marked: false)
                Form.submit("書き出す")
            }
        }
    }

    static func templates(_ templates: [ResponseTemplate], staff: AuthenticatedStaff) -> Page {
        let statusOptions = [ApplicationStatus.inReview, .approved, .rejected, .returned, .completed].map {
            FormOption($0.rawValue, $0.label)
        }
        return IdentityPages.staffPage(title: "定型文の編集", staff: staff) {
            el("h1") { "定型文の編集" }
            for template in templates {
                el("h2") { "\(template.toStatus?.label ?? "共通")：\(template.title)" }
                Form.post(action: "/staff/templates", csrfToken: staff.csrfToken) {
                    Form.hidden(name: "id", value: String(template.id))
                    Form.text(name: "title", id: "title-\(template.id)", label: "件名", value: template.title)
                    Form.select(
                        name: "to_status", id: "to_status-\(template.id)", label: "使う場面", options: statusOptions,
                        selected: template.toStatus?.rawValue, optional: true, placeholder: "共通")
                    Form.field(name: "body-\(template.id)", label: "本文", hint: nil, error: nil, optional: false) {
                        described in
                        el(
                            "textarea",
                            attributes: [.id("body-\(template.id)"), Attribute("name", "body"), Attribute("rows", "3")]
                                + described
                        ) {
                            template.body
                        }
                    }
                    Form.submit("保存", secondary: true)
                }
            }
            el("h2") { "新しい定型文" }
            Form.post(action: "/staff/templates", csrfToken: staff.csrfToken) {
                Form.text(name: "title", label: "件名")
                Form.select(name: "to_status", label: "使う場面", options: statusOptions, optional: true, placeholder: "共通")
                Form.field(name: "body", label: "本文", hint: nil, error: nil, optional: false) { described in
                    el(
                        "textarea",
                        attributes: [.id("body"), Attribute("name", "body"), Attribute("rows", "3")] + described)
                }
                Form.submit("追加する")
            }
        }
    }

    // MARK: Counter

    static func counterStart(catalog: ProcedureCatalog, staff: AuthenticatedStaff) -> Page {
        IdentityPages.staffPage(title: "窓口で代理入力", staff: staff) {
            el("h1") { "窓口で代理入力（書かない窓口）" }
            el("p") {
                "来庁またはお電話の住民の方に代わって入力します。登録住民の場合は、住民検索から住民を開き、その番号を付けてこの画面を開くと住所などが自動で入力されます（例：/staff/counter/water-start?resident=12）。"
            }
            el("ul") {
                for procedure in catalog.procedures {
                    el("li") { el("a", .href("/staff/counter/\(procedure.code)")) { procedure.name } }
                }
            }
        }
    }

    static func counterForm(
        procedure: Procedure, residentID: Int64?, values: SubmittedValues, errors: FormErrors,
        storedFiles: [AttachmentInfo],
        formToken: String, staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "代理入力：\(procedure.name)", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "代理入力：\(procedure.name)" }
            if residentID == nil {
                IdentityPages.notice("登録住民に紐づけずに受け付けます。完了画面の受付番号と確認コードを印刷してお渡しください。")
            }
            ApplicationPages.multipartForm(
                action: "/staff/counter/\(procedure.code)", csrfToken: staff.csrfToken,
                hidden: [("form_token", formToken)] + (residentID.map { [("resident_id", String($0))] } ?? [])
            ) {
                ApplicationPages.fields(procedure, values: values, errors: errors, storedFiles: storedFiles)
                Form.submit("住民の方に確認していただく")
            }
        }
    }

    static func counterConfirm(
        procedure: Procedure, residentID: Int64?, answers: Answers, files: [AttachmentInfo], formToken: String,
        errors: FormErrors, staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "内容の確認：\(procedure.name)", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "内容の確認：\(procedure.name)" }
            el("p") { "画面を住民の方に見せるか読み上げて、内容に間違いがないか確認していただいてください。" }
            ApplicationPages.answers(answers, procedure: procedure, files: files)
            Form.post(action: "/staff/counter/submit", csrfToken: staff.csrfToken) {
                Form.hidden(name: "form_token", value: formToken)
                if let residentID { Form.hidden(name: "resident_id", value: String(residentID)) }
                el("div", .class(errors.isEmpty ? "field" : "field has-error")) {
                    if let error = errors["resident_confirmed"] { Form.errorMessage(name: "resident_confirmed", error) }
                    el("div", .class("radio")) {
                        void(
                            "input", Attribute("type", "checkbox"), .id("resident_confirmed"),
                            Attribute("name", "resident_confirmed"), Attribute("value", "true"))
                        el("label", Attribute("for", "resident_confirmed")) { "申請者ご本人が内容を確認しました" }
                    }
                }
                Form.submit("受け付ける")
            }
        }
    }

    static func counterComplete(
        application: StoredApplication, guestSecret: String?, repeated: Bool, staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "受け付けました", staff: staff) {
            el("h1") { repeated ? "この申請はすでに受け付けています" : "受け付けました" }
            el("p") { "受付番号" }
            el("p", .class("reference")) { application.reference.map(ReferenceNumber.display) ?? "" }
            if let guestSecret {
                el("p") { "確認コード" }
                el("p", .class("one-time-code")) { guestSecret }
                IdentityPages.notice("この画面を印刷して申請者にお渡しください。確認コードは再表示できません。")
            }
            el("p") { el("a", .href("/staff/applications/\(application.id)")) { "申請の詳細を開く" } }
        }
    }
}
