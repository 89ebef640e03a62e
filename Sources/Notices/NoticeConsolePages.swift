import Formats
import Foundation
import HTTP
import Identity
import Web

/// The staff console's pages. Every page goes through the escaping builder; none shows a LINE user id.
enum NoticeConsolePages {
    static let consoleTitle = "LINEのお知らせ"

    static func navigation(_ staff: AuthenticatedStaff) -> Node {
        el("nav", Attribute("aria-label", "お知らせメニュー")) {
            el("ul") {
                el("li") { el("a", .href("/staff/notices")) { "お知らせの一覧" } }
                el("li") { el("a", .href("/staff/notices/new")) { "お知らせを作成する" } }
                el("li") { el("a", .href("/staff/notices/templates")) { "テンプレート" } }
                el("li") { el("a", .href("/staff/notices/fallback")) { "郵便・電話で届ける一覧" } }
            }
        }
    }

    static func statusLabel(_ status: NoticeStatus) -> String {
        switch status {
        case .queued: "送信中・予約"
        case .done: "送信済み"
        case .needsAttention: "要確認"
        }
    }

    static func audienceLabel(_ audience: Audience?) -> String {
        switch audience {
        case .resident(let id): "住民番号 \(id)"
        case .residents(let ids): "住民 \(ids.count) 人（番号指定）"
        case .district(let code): "地区（\(code)）"
        case .allLinked: "LINE連携済みの全員"
        case nil: "—"
        }
    }

    // MARK: List

    static func list(
        notices: [NoticeStore.NoticeSummary], counts: [Int64: NoticeStore.RecipientCounts], staff: AuthenticatedStaff,
        done: String?
    ) -> Page {
        IdentityPages.staffPage(title: consoleTitle, staff: staff) {
            el("h1") { consoleTitle }
            navigation(staff)
            if notices.isEmpty {
                el("p") { "まだお知らせはありません。" }
            } else {
                Table.scrolling(label: "最近のお知らせ") {
                    el("caption") { "最近のお知らせ（人数）" }
                    el("thead") {
                        el("tr") {
                            for heading in ["番号", "件名", "送信日時", "状態", "送信済み", "失敗", "不明", "送信待ち", "郵便・電話"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for notice in notices {
                            let count = counts[notice.id] ?? .init()
                            el("tr") {
                                el("td") { String(notice.id) }
                                el("td") { el("a", .href("/staff/notices/\(notice.id)")) { notice.title } }
                                el("td") { JapanTime.format(notice.sendAt) }
                                el("td") { statusLabel(notice.status) }
                                el("td") { String(count.sent) }
                                el("td") { String(count.failed) }
                                el("td") { String(count.unknown) }
                                el("td") { String(count.pending) }
                                el("td") {
                                    if count.fallback > 0 {
                                        el("a", .href("/staff/notices/fallback?notice=\(notice.id)")) {
                                            String(count.fallback)
                                        }
                                    } else {
                                        "0"
                                    }
                                }
                            }
                        }
                    }
                }
            }
            el("h2") { "窓口でのLINE連携" }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/notices/counter")) {
                Form.text(
                    name: "resident", label: "住民番号", hint: "住民の詳細ページに表示される番号です。", inputMode: "numeric")
                Form.submit("連携の画面を開く")
            }
        }
    }

    // MARK: Templates

    static func templates(_ templates: [NoticeStore.SavedTemplate], staff: AuthenticatedStaff, saved: Bool) -> Page {
        IdentityPages.staffPage(title: "テンプレート", staff: staff) {
            el("h1") { "テンプレート" }
            navigation(staff)
            if saved { IdentityPages.success("テンプレートを保存しました。") }
            el("p") { "差し込み項目は {氏名}、{地区} のように書きます。{氏名} と {地区} は住民の登録内容から入ります。" }
            if staff.role >= .supervisor {
                el("p") { el("a", .href("/staff/notices/templates/new")) { "新しいテンプレートを作る" } }
            } else {
                el("p") { "テンプレートの作成・編集は監督者が行います。" }
            }
            if templates.isEmpty { el("p") { "テンプレートはまだありません。" } }
            for template in templates {
                el("section") {
                    el("h2") { template.name }
                    for message in template.messages { el("pre") { message } }
                    el("p") {
                        el("a", .href("/staff/notices/new?template=\(template.id)")) { "このテンプレートで作成する" }
                        if staff.role >= .supervisor {
                            " ／ "
                            el("a", .href("/staff/notices/templates/\(template.id)")) { "編集する" }
                        }
                    }
                }
            }
        }
    }

    static func templateForm(id: Int64?, name: String, text: String, errors: FormErrors, staff: AuthenticatedStaff)
        -> Page
    {
        let title = id == nil ? "テンプレートを作る" : "テンプレートを編集する"
        return IdentityPages.staffPage(title: title, staff: staff, errors: errors) {
            el("h1") { title }
            Form.errorSummary(errors)
            Form.post(
                action: id.map { "/staff/notices/templates/\($0)" } ?? "/staff/notices/templates",
                csrfToken: staff.csrfToken
            ) {
                Form.text(name: "name", label: "テンプレート名", value: name, error: errors["name"])
                textarea(
                    name: "text", label: "本文", value: text,
                    hint: "メッセージを分けるときは「---」だけの行をはさみます（5件まで）。", error: errors["text"])
                Form.submit("保存する")
            }
            el("p") { el("a", .href("/staff/notices/templates")) { "テンプレートの一覧に戻る" } }
        }
    }

    // MARK: Compose and preview

    static func compose(
        input: ComposeInput, templates: [NoticeStore.SavedTemplate], districts: [NoticeStore.DistrictChoice],
        errors: FormErrors, staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "お知らせを作成する", staff: staff, errors: errors) {
            el("h1") { "お知らせを作成する" }
            navigation(staff)
            Form.errorSummary(errors)
            Form.post(action: "/staff/notices/preview", csrfToken: staff.csrfToken) {
                Form.text(name: "title", label: "件名（職員用）", value: input.title, error: errors["title"])
                Form.select(
                    name: "template", label: "テンプレート", options: templates.map { FormOption(String($0.id), $0.name) },
                    selected: input.templateID, hint: "選ぶと下の本文は使いません。", error: errors["template"],
                    optional: true, placeholder: "使わない（本文を入力する）")
                textarea(
                    name: "text", label: "本文", value: input.text,
                    hint: "{氏名} や {地区} を入れると、1人ずつの内容で送ります。メッセージを分けるときは「---」だけの行をはさみます。",
                    error: errors["text"], optional: true)
                textarea(
                    name: "values", label: "差し込み項目の値", value: input.values,
                    hint: "1行に1つ「日時=4月1日 10時」のように入力します。", error: errors["values"], optional: true)
                Form.radios(
                    name: "audience", legend: "送信先",
                    options: [
                        FormOption("resident", "住民1人"), FormOption("residents", "住民番号の一覧"),
                        FormOption("district", "地区の全員"), FormOption("all_linked", "LINE連携済みの全員"),
                    ], selected: input.audience, error: errors["audience"])
                Form.text(
                    name: "resident_ids", label: "住民番号", value: input.residentIDs,
                    hint: "「住民1人」「住民番号の一覧」のとき。複数は「,」で区切ります。", error: errors["resident_ids"],
                    optional: true, inputMode: "numeric")
                Form.select(
                    name: "district", label: "地区", options: districts.map { FormOption($0.code, $0.name) },
                    selected: input.district, hint: "「地区の全員」のとき。", error: errors["district"], optional: true)
                Form.text(
                    name: "send_at", label: "送信日時（日本時間）", value: input.sendAt, type: "datetime-local",
                    hint: "空欄なら次の送信（1分ごと）で送ります。", error: errors["send_at"], optional: true)
                Form.submit("確認画面へ")
            }
        }
    }

    static func preview(
        input: ComposeInput, draft: NoticeDraft, preview: NoticeStore.NoticePreview,
        districts: [NoticeStore.DistrictChoice], staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "お知らせの確認", staff: staff) {
            el("h1") { "お知らせの確認" }
            el("p") { "まだ送信していません。内容と人数を確かめて「作成する」を押してください。" }
            el("dl") {
                el("dt") { "件名" }
                el("dd") { draft.title }
                el("dt") { "送信先" }
                el("dd") {
                    if case .district(let code) = draft.audience,
                        let name = districts.first(where: { $0.code == code })?.name
                    {
                        "地区：\(name)"
                    } else {
                        audienceLabel(draft.audience)
                    }
                }
                el("dt") { "送信日時" }
                el("dd") { draft.sendAt.map { JapanTime.format($0) + "（日本時間）" } ?? "次の送信（1分以内）" }
                el("dt") { "送り方" }
                el("dd") { preview.personalised ? "1人ずつの内容（個別送信）" : "全員に同じ内容（一斉送信）" }
                el("dt") { "人数" }
                el("dd", .id("recipient-count")) {
                    "合計 \(preview.lineRecipientCount + preview.fallbackCount) 人："
                    "LINE \(preview.lineRecipientCount) 人、郵便・電話 \(preview.fallbackCount) 人"
                }
            }
            el("h2") { preview.personalised ? "本文（1人目の例）" : "本文" }
            for text in preview.firstRecipientTexts { el("pre", .class("preview")) { text } }
            Form.post(action: "/staff/notices", csrfToken: staff.csrfToken) {
                for (name, value) in input.hiddenFields { Form.hidden(name: name, value: value) }
                Form.submit("作成する")
            }
            el("p") { el("a", .href("/staff/notices/new")) { "作り直す" } }
        }
    }

    // MARK: One notice

    static func stateLabel(_ state: NoticeRequestState) -> String {
        switch state {
        case .pending: "送信待ち"
        case .sending: "送信中"
        case .sent: "送信済み"
        case .failed: "失敗"
        case .unknown: "不明（要確認）"
        case .dropped: "送信せず（ブロック済み）"
        }
    }

    static func detail(
        notice: NoticeStore.NoticeSummary, counts: NoticeStore.RecipientCounts, requests: [NoticeStore.OutboxRequest],
        staff: AuthenticatedStaff, created: Bool
    ) -> Page {
        IdentityPages.staffPage(title: "お知らせ \(notice.id)", staff: staff) {
            el("h1") { "お知らせ \(notice.id)：\(notice.title)" }
            navigation(staff)
            if created { IdentityPages.success("お知らせを作成しました。送信は自動で行われます。") }
            el("dl") {
                el("dt") { "状態" }
                el("dd") { statusLabel(notice.status) }
                el("dt") { "送信先" }
                el("dd") { audienceLabel(notice.audience) }
                el("dt") { "送信日時" }
                el("dd") { JapanTime.format(notice.sendAt) }
                el("dt") { "人数" }
                el("dd", .id("notice-counts")) {
                    "合計 \(notice.recipientCount) 人：送信済み \(counts.sent)、送信待ち \(counts.pending)、失敗 \(counts.failed)、"
                    "不明 \(counts.unknown)、郵便・電話 \(counts.fallback)（未対応 \(counts.fallbackOpen)）"
                }
            }
            if counts.fallback > 0 {
                el("p") { el("a", .href("/staff/notices/fallback?notice=\(notice.id)")) { "郵便・電話で届ける一覧を開く" } }
            }
            el("h2") { "LINEへの送信" }
            if requests.isEmpty {
                el("p") { "LINEで送る相手はいません。" }
            } else {
                Table.scrolling(label: "LINEへの送信") {
                    el("thead") {
                        el("tr") {
                            for heading in ["送信番号", "方法", "人数", "状態", "試行回数", "最後の応答", "理由", "送信日時"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for request in requests {
                            el("tr") {
                                el("td") { String(request.id) }
                                el("td") { request.endpoint == .push ? "個別" : "一斉" }
                                el("td") { String(request.recipients.count) }
                                el("td") { stateLabel(request.state) }
                                el("td") { String(request.attempts) }
                                el("td") { request.lastStatus.map(String.init) ?? "—" }
                                el("td") { request.failureReason ?? "" }
                                el("td") { request.sentAt.map(JapanTime.format) ?? "" }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Fallback list

    static func reasonLabel(_ reason: FallbackReason) -> String {
        switch reason {
        case .noLink: "LINE未連携"
        case .failed: "LINE送信失敗"
        case .unknown: "LINE送信不明"
        case .unfollowed: "ブロック"
        }
    }

    static func fallback(
        entries: [NoticeStore.FallbackEntry], noticeID: Int64?, includeHandled: Bool, staff: AuthenticatedStaff,
        handled: Bool
    ) -> Page {
        IdentityPages.staffPage(title: "郵便・電話で届ける一覧", staff: staff) {
            el("h1") { "郵便・電話で届ける一覧" }
            navigation(staff)
            if handled { IdentityPages.success("対応済みにしました。") }
            el("p") {
                "LINEで届かない方の一覧です。印刷すると画面のメニューとボタンは印刷されません。"
                "この一覧の表示は監査ログに記録されます。"
            }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/notices/fallback")) {
                Form.text(
                    name: "notice", label: "お知らせ番号で絞り込む", value: noticeID.map(String.init) ?? "",
                    optional: true, inputMode: "numeric")
                Form.submit("絞り込む", secondary: true)
            }
            if entries.isEmpty { el("p") { "対応待ちの方はいません。" } }
            for entry in entries {
                el("section", .class("fallback-entry")) {
                    el("h2") { "\(entry.name)（\(entry.nameKana)）様" }
                    el("dl") {
                        el("dt") { "住所" }
                        el("dd") { "〒\(entry.postalCode) \(entry.address)" }
                        el("dt") { "電話" }
                        el("dd") { entry.phone ?? "なし" }
                        el("dt") { "お知らせ" }
                        el("dd") { "\(entry.noticeID)：\(entry.noticeTitle)（\(JapanTime.format(entry.sendAt))）" }
                        el("dt") { "理由" }
                        el("dd") { reasonLabel(entry.reason) }
                    }
                    el("pre") { entry.text }
                    if let handledAt = entry.handledAt {
                        el("p") { "対応済み（\(JapanTime.format(handledAt))）" }
                    } else {
                        Form.post(action: "/staff/notices/fallback/handled", csrfToken: staff.csrfToken) {
                            Form.hidden(name: "notice_id", value: String(entry.noticeID))
                            Form.hidden(name: "resident_id", value: String(entry.residentID))
                            if let noticeID { Form.hidden(name: "filter_notice", value: String(noticeID)) }
                            Form.submit("対応済みにする", secondary: true)
                        }
                    }
                }
            }
        }
    }

    // MARK: Widgets

    /// A labelled textarea; Web's `Form` has no multi-line input yet, so this mirrors `Form.field`.
    static func textarea(
        name: String, label: String, value: String, hint: String?, error: String?, optional: Bool = false
    )
        -> Node
    {
        var attributes = [Attribute.id(name), Attribute("name", name), Attribute("rows", "6")]
        let described = (hint == nil ? [] : [name + "-hint"]) + (error == nil ? [] : [name + "-error"])
        if !described.isEmpty { attributes.append(Attribute("aria-describedby", described.joined(separator: " "))) }
        if error != nil { attributes.append(Attribute("aria-invalid", "true")) }
        return el("div", .class(error == nil ? "field" : "field has-error")) {
            el("label", Attribute("for", name)) {
                label
                if optional { el("span", .class("optional")) { "（任意）" } }
            }
            if let hint { el("p", .class("hint"), .id(name + "-hint")) { hint } }
            if let error {
                el("p", .class("field-error"), .id(name + "-error")) {
                    el("span", .class("visually-hidden")) { "エラー：" }
                    error
                }
            }
            el("textarea", attributes: attributes) { value }
        }
    }
}
