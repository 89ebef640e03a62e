import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

/// Staff pages of the classes console. The list shows counts only; names and phone numbers appear on the
/// audited session, attendance, roster and call-list pages.
enum StaffClassPages {
    static func notice(for code: String?) -> String? {
        switch code {
        case "created": "教室を登録しました。"
        case "updated": "教室の内容を変更しました。"
        case "cancelled": "教室を中止にし、申し込んだ方へのお知らせを登録しました。LINEのない方は電話連絡リストに載りました。"
        case "signed_up": "申し込みを受け付けました。"
        case "duplicate": "この方はすでに申し込み済みです（二重には登録していません）。"
        case "signup_cancelled": "申し込みを取り消しました。キャンセル待ちの方がいれば繰り上げました。"
        case "linked": "申し込みを住民の記録に結び付けました。"
        case "held": "出欠を締め切り、開催済みにしました。"
        case "survey": "アンケートの回答を入力しました。"
        case "walk_in": "当日参加の方を追加しました。"
        default:
            if let code, code.hasPrefix("reminded-") {
                "明日の教室のご案内を作りました（LINE \(code.split(separator: "-").dropFirst().first ?? "0") 件、電話連絡リスト \(code.split(separator: "-").last ?? "0") 件）。"
            } else {
                nil
            }
        }
    }

    static func links() -> Node {
        el("p") {
            el("a", .href("/staff/classes/new")) { "教室を登録する" }
            " ・ "
            el("a", .href("/staff/classes/calls")) { "電話連絡リスト" }
            " ・ "
            el("a", .href("/staff/classes/results")) { "アンケート結果" }
            " ・ "
            el("a", .href("/staff/classes/outcomes")) { "教室のその後（効果）" }
            " ・ "
            el("a", .href("/staff/classes/instructors")) { "デジタル活用支援員" }
        }
    }

    static func console(
        _ rows: [(ClassSession, SessionCounts)], catalog: ClassCatalog, staff: AuthenticatedStaff, notice code: String?
    ) -> Page {
        IdentityPages.staffPage(title: "スマホ教室", staff: staff) {
            el("h1") { "スマホ教室" }
            if let text = notice(for: code) { el("p", .class("success")) { text } }
            links()
            if rows.isEmpty {
                el("p") { "まだ教室はありません。" }
            } else {
                Table.scrolling(label: "教室の一覧") {
                    el("thead") {
                        el("tr") {
                            for heading in ["日時", "教室", "地区・会場", "状態", "参加確定", "キャンセル待ち", "貸出スマホ"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for (session, counts) in rows {
                            el("tr") {
                                el("td") { session.timeText }
                                el("td") { el("a", .href("/staff/classes/\(session.id)")) { session.title } }
                                el("td") { catalog.venue(code: session.venueCode)?.name ?? session.venueCode }
                                el("td") { session.status.label }
                                el("td") { "\(counts.confirmed) / \(session.capacity)" }
                                el("td") { "\(counts.waitlisted)" }
                                el("td") { "\(counts.phonesAssigned) / \(session.loanPhones)" }
                            }
                        }
                    }
                }
            }
        }
    }

    static func sessionForm(
        id: Int64?, values: SessionFormValues, errors: FormErrors, instructors: [ClassInstructor],
        catalog: ClassCatalog,
        staff: AuthenticatedStaff
    ) -> Page {
        let title = id == nil ? "教室を登録する" : "教室の内容を変更する"
        return IdentityPages.staffPage(title: title, staff: staff, errors: errors) {
            el("h1") { title }
            Form.errorSummary(errors)
            Form.post(action: id.map { "/staff/classes/\($0)" } ?? "/staff/classes", csrfToken: staff.csrfToken) {
                Form.text(
                    name: "title", label: "教室の名前", value: values.title, hint: "例：はじめてのスマホ教室（振内）", error: errors["title"]
                )
                Form.select(
                    name: "theme", label: "内容（テーマ）", options: catalog.themes.map { FormOption($0.code, $0.name) },
                    selected: values.theme, error: errors["theme"])
                Form.select(
                    name: "venue", label: "会場", options: catalog.venues.map { FormOption($0.code, $0.name) },
                    selected: values.venue, error: errors["venue"])
                Form.date(name: "date", label: "日付", value: values.date, error: errors["date"])
                Form.text(name: "start", label: "開始時刻", value: values.start, hint: "例：10:00", error: errors["start"])
                Form.text(name: "end", label: "終了時刻", value: values.end, hint: "例：12:00", error: errors["end"])
                Form.text(
                    name: "capacity", label: "定員（人）", value: values.capacity, error: errors["capacity"],
                    inputMode: "numeric")
                Form.text(
                    name: "loan_phones", label: "貸出スマホ（台）", value: values.loanPhones, error: errors["loan_phones"],
                    inputMode: "numeric")
                if !instructors.isEmpty {
                    el("fieldset") {
                        el("legend") {
                            "講師（デジタル活用支援員）"; Form.requirementMark(optional: true)
                        }
                        for instructor in instructors where instructor.active {
                            el("div", .class("radio")) {
                                void(
                                    "input",
                                    attributes: [
                                        Attribute("type", "checkbox"), .id("instructor-\(instructor.id)"),
                                        Attribute("name", "instructor"), Attribute("value", String(instructor.id)),
                                    ] + (values.instructors.contains(String(instructor.id)) ? [.flag("checked")] : []))
                                el("label", Attribute("for", "instructor-\(instructor.id)")) {
                                    "\(instructor.name)（\(instructor.kindLabel)）"
                                }
                            }
                        }
                    }
                }
                Form.text(name: "bring", label: "持ち物", value: values.bring, hint: "例：お持ちのスマホ、老眼鏡", optional: true)
                Form.text(
                    name: "notes", label: "お知らせ", value: values.notes, hint: "やさしい日本語で。例：駐車場があります。", optional: true)
                Form.submit(id == nil ? "登録する" : "変更する")
            }
            el("p") { el("a", .href(id.map { "/staff/classes/\($0)" } ?? "/staff/classes")) { "戻る" } }
        }
    }

    static func phoneText(_ phone: String?) -> String { phone ?? "（なし）" }

    static func session(
        _ detail: SessionDetail, catalog: ClassCatalog, staff: AuthenticatedStaff, notice code: String?,
        signupErrors: FormErrors, signupValues: SignupFormValues, siteOrigin: String, now: Date
    ) -> Page {
        let session = detail.session
        return IdentityPages.staffPage(title: session.title, staff: staff, errors: signupErrors) {
            el("h1") { session.title }
            if let text = notice(for: code) { el("p", .class("success")) { text } }
            el("p") {
                el("a", .href("/staff/classes")) { "教室の一覧" }
                if session.status == .scheduled {
                    " ・ "
                    el("a", .href("/staff/classes/\(session.id)/edit")) { "内容を変更する" }
                    " ・ "
                    el("a", .href("/staff/classes/\(session.id)/attendance")) { "出欠をとる（タブレット）" }
                }
                " ・ "
                el("a", .href("/staff/classes/\(session.id)/roster")) { "名簿を印刷する" }
                " ・ "
                el("a", .href("/classes/\(session.id)/flyer")) { "チラシを印刷する" }
            }
            el("p") {
                "状態：\(session.status.label)　参加確定 \(detail.counts.confirmed) / \(session.capacity) 人　キャンセル待ち \(detail.counts.waitlisted) 人　貸出スマホ \(detail.counts.phonesAssigned) / \(session.loanPhones) 台（空き待ち \(detail.counts.phonesRequested) 人）"
            }
            ClassPages.details(session, catalog: catalog)
            let names = detail.instructors.filter { session.instructorIDs.contains($0.id) }.map(\.name)
            if !names.isEmpty { el("p") { "講師：" + names.joined(separator: "、") } }
            el("h2") { "参加確定（\(detail.confirmed.count) 人）" }
            signupTable(detail.confirmed, session: session, staff: staff, label: "参加確定の方")
            el("h2") { "キャンセル待ち（\(detail.waitlisted.count) 人、申し込み順）" }
            signupTable(detail.waitlisted, session: session, staff: staff, label: "キャンセル待ちの方")
            if session.status == .scheduled {
                el("h2", .id("caller")) { "電話・窓口での申し込み" }
                Form.errorSummary(signupErrors)
                Form.post(action: "/staff/classes/\(session.id)/signups", csrfToken: staff.csrfToken) {
                    Form.text(
                        name: "full_name", label: "お名前", value: signupValues.name, error: signupErrors["full_name"])
                    Form.text(
                        name: "full_name_kana", label: "フリガナ", value: signupValues.kana,
                        error: signupErrors["full_name_kana"], optional: true)
                    Form.text(
                        name: "phone", label: "電話番号", value: signupValues.phone, type: "tel",
                        error: signupErrors["phone"], inputMode: "tel")
                    Form.text(
                        name: "resident_id", label: "住民番号", hint: "住民の記録に結び付けるとき（教室のその後を追えるようになります）",
                        error: signupErrors["resident_id"], optional: true, inputMode: "numeric")
                    ClassPages.loanPhoneChoice(
                        session, counts: detail.counts, selected: signupValues.loanPhone,
                        error: signupErrors["loan_phone"])
                    Form.submit("申し込みを受け付ける")
                }
                el("h2") { "LINEでお知らせする" }
                el("p") { "「スマホ教室のご案内」の文面に、この教室の日時・会場・申込ページを入れて、\(session.districtCode) 地区のLINE登録者に送る画面を開きます。" }
                el("form", Attribute("method", "post"), Attribute("action", "/staff/notices/preview")) {
                    Form.csrf(staff.csrfToken)
                    Form.hidden(name: "title", value: "スマホ教室のご案内：\(session.title)")
                    Form.hidden(name: "text", value: ClassNoticeTemplate.text)
                    Form.hidden(
                        name: "values",
                        value: ClassNoticeTemplate.values(session, catalog: catalog, siteOrigin: siteOrigin))
                    Form.hidden(name: "audience", value: "district")
                    Form.hidden(name: "district", value: session.districtCode)
                    Form.submit("お知らせの確認画面へ", secondary: true)
                }
                el("h2") { "教室を中止する" }
                Form.post(action: "/staff/classes/\(session.id)/cancel", csrfToken: staff.csrfToken) {
                    Form.text(name: "reason", label: "中止の理由", hint: "申し込んだ方へのお知らせに載ります。例：大雪のため", optional: true)
                    Form.submit("中止して、申し込んだ方に知らせる", secondary: true)
                }
            }
            if session.status == .held {
                el("h2") { "アンケート（\(detail.answers.count) 件）" }
                surveySummary(detail.answers)
            }
        }
    }

    static func signupTable(_ signups: [ClassSignup], session: ClassSession, staff: AuthenticatedStaff, label: String)
        -> Node
    {
        guard !signups.isEmpty else { return el("p") { "いません。" } }
        return Table.scrolling(label: label) {
            el("thead") {
                el("tr") {
                    for heading in ["番号", "お名前", "電話", "申し込み", "貸出スマホ", "出欠", ""] {
                        el("th", Attribute("scope", "col")) { heading }
                    }
                }
            }
            el("tbody") {
                for signup in signups {
                    el("tr") {
                        el("td") { String(signup.id) }
                        el("td") {
                            signup.fullName
                            if !signup.fullNameKana.isEmpty {
                                void("br"); el("span", .class("muted")) { signup.fullNameKana }
                            }
                            if signup.residentID == nil { void("br"); el("span", .class("muted")) { "住民の記録なし" } }
                        }
                        el("td") { phoneText(signup.phone) }
                        el("td") {
                            signup.walkIn
                                ? "当日参加"
                                : signup.channel == .counter ? "電話・窓口" : signup.channel == .line ? "LINE" : "インターネット"
                        }
                        el("td") { signup.loanPhone.label }
                        el("td") { signup.attended == nil ? "—" : signup.attended == true ? "出席" : "欠席" }
                        el("td") {
                            if session.status == .scheduled {
                                Form.button(
                                    action: "/staff/classes/signups/\(signup.id)/cancel", csrfToken: staff.csrfToken,
                                    label: "取り消す", secondary: true)
                            }
                            if signup.residentID == nil {
                                Form.post(
                                    action: "/staff/classes/signups/\(signup.id)/link", csrfToken: staff.csrfToken
                                ) {
                                    Form.text(
                                        name: "resident_id", id: "link-\(signup.id)", label: "住民番号で結び付ける",
                                        inputMode: "numeric")
                                    Form.submit("結び付ける", secondary: true)
                                }
                            }
                            if session.status == .held && signup.attended == true {
                                el("a", .href("/staff/classes/signups/\(signup.id)/survey")) { "アンケートを入力" }
                            }
                        }
                    }
                }
            }
        }
    }

    static func surveySummary(_ answers: [SurveyAnswer]) -> Node {
        guard !answers.isEmpty else { return el("p") { "まだ回答はありません。" } }
        let average = Double(answers.map(\.satisfaction).reduce(0, +)) / Double(answers.count)
        return .fragment([
            el("p") {
                "満足度の平均 \(String(format: "%.1f", average))（5段階）　"
                    + (1...5).reversed().map { level in
                        "\(level)：\(answers.filter { $0.satisfaction == level }.count) 件"
                    }.joined(separator: "　")
            },
            el("h3") { "できるようになったこと" },
            el("ul") { for answer in answers where !answer.learned.isEmpty { el("li") { answer.learned } } },
            el("h3") { "次に学びたいこと" },
            el("ul") { for answer in answers where !answer.nextWish.isEmpty { el("li") { answer.nextWish } } },
        ])
    }

    static func callList(
        _ rows: [(ClassSignup, ClassSession)], catalog: ClassCatalog, staff: AuthenticatedStaff, notice code: String?
    ) -> Page {
        IdentityPages.staffPage(title: "電話連絡リスト", staff: staff) {
            el("h1") { "電話連絡リスト" }
            if let text = notice(for: code) { el("p", .class("success")) { text } }
            el("p") { "LINEでお知らせできない方です。電話したら「電話した」を押してください。" }
            Form.button(action: "/staff/classes/reminders", csrfToken: staff.csrfToken, label: "明日の教室のご案内を作る")
            if rows.isEmpty {
                el("p") { "いま電話する方はいません。" }
            } else {
                Table.scrolling(label: "電話連絡リスト") {
                    el("thead") {
                        el("tr") {
                            for heading in ["お名前", "電話", "教室", "用件", "電話した"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for (signup, session) in rows {
                            el("tr") {
                                el("td") { signup.fullName }
                                el("td") { el("span", .class("phone")) { phoneText(signup.phone) } }
                                el("td") {
                                    "\(session.timeText) \(session.title)（\(catalog.venue(code: session.venueCode)?.name ?? "")）"
                                }
                                el("td") { signup.callReasonLabel }
                                el("td") {
                                    if let calledAt = signup.calledAt {
                                        "済み（\(JapanTime.format(calledAt))）"
                                        el(
                                            "form", Attribute("method", "post"),
                                            Attribute("action", "/staff/classes/signups/\(signup.id)/called"),
                                            .class("inline-form")
                                        ) {
                                            Form.csrf(staff.csrfToken)
                                            Form.hidden(name: "called", value: "0")
                                            Form.submit("取り消す", secondary: true)
                                        }
                                    } else {
                                        el(
                                            "form", Attribute("method", "post"),
                                            Attribute("action", "/staff/classes/signups/\(signup.id)/called"),
                                            .class("inline-form")
                                        ) {
                                            Form.csrf(staff.csrfToken)
                                            Form.hidden(name: "called", value: "1")
                                            Form.submit("電話した")
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            el("p") { el("a", .href("/staff/classes")) { "教室の一覧" } }
        }
    }

    /// On a tablet at the venue: one row per person, two big buttons each.
    static func attendance(
        _ detail: SessionDetail, catalog: ClassCatalog, staff: AuthenticatedStaff, notice code: String?
    ) -> Page {
        let session = detail.session
        return IdentityPages.staffPage(title: "出欠：\(session.title)", staff: staff) {
            el("h1") { "出欠：\(session.title)" }
            if let text = notice(for: code) { el("p", .class("success")) { text } }
            el("p") { session.timeText }
            let present = detail.confirmed.filter { $0.attended == true }.count
            el("p", .class("attendance-count")) { "出席 \(present) 人 / 参加確定 \(detail.confirmed.count) 人" }
            el("ul", .class("attendance")) {
                for signup in detail.confirmed {
                    el("li", .id("signup-\(signup.id)"), .class("attendance-row")) {
                        el("span", .class("attendance-name")) {
                            signup.fullName
                            if signup.loanPhone == .assigned { "（貸出スマホ）" }
                            if signup.walkIn { "（当日参加）" }
                        }
                        el("span", .class("attendance-state")) {
                            signup.attended == nil ? "未確認" : signup.attended == true ? "出席" : "欠席"
                        }
                        if session.status == .scheduled {
                            attendanceButton(signup, present: true, csrfToken: staff.csrfToken)
                            attendanceButton(signup, present: false, csrfToken: staff.csrfToken)
                        }
                    }
                }
            }
            if session.status == .scheduled {
                el("h2") { "当日参加の方を追加" }
                Form.post(action: "/staff/classes/\(session.id)/walk-ins", csrfToken: staff.csrfToken) {
                    Form.text(name: "full_name", id: "walk-in-name", label: "お名前")
                    Form.text(name: "full_name_kana", id: "walk-in-kana", label: "フリガナ", optional: true)
                    Form.text(
                        name: "phone", id: "walk-in-phone", label: "電話番号", type: "tel", optional: true, inputMode: "tel"
                    )
                    el("button", Attribute("type", "submit"), .class("touch")) { "追加する" }
                }
                el("h2") { "出欠を締め切る" }
                el("p") { "締め切ると教室は「開催済み」になり、出席した方が参加者として数えられます。未確認の方は欠席として扱います。" }
                el("form", Attribute("method", "post"), Attribute("action", "/staff/classes/\(session.id)/close")) {
                    Form.csrf(staff.csrfToken)
                    el("button", Attribute("type", "submit"), .class("touch")) { "出欠を締め切る" }
                }
            }
            el("p") { el("a", .href("/staff/classes/\(session.id)")) { "教室のページへ戻る" } }
        }
    }

    /// One of a row's two big buttons: 出席 or 欠席, each its own form so it works without JavaScript.
    static func attendanceButton(_ signup: ClassSignup, present: Bool, csrfToken: String) -> Node {
        let label = present ? "出席" : "欠席"
        return el(
            "form", Attribute("method", "post"), Attribute("action", "/staff/classes/signups/\(signup.id)/attendance"),
            .class("inline-form")
        ) {
            Form.csrf(csrfToken)
            Form.hidden(name: "present", value: present ? "1" : "0")
            el(
                "button", Attribute("type", "submit"), .class(present ? "touch" : "touch secondary"),
                Attribute("aria-label", "\(signup.fullName)さん \(label)")
            ) { label }
        }
    }

    static func roster(_ detail: SessionDetail, catalog: ClassCatalog, staff: AuthenticatedStaff) -> Page {
        let session = detail.session
        return IdentityPages.staffPage(title: "名簿：\(session.title)", staff: staff) {
            el("div", .class("class-roster")) {
                el("h1") { "名簿　\(session.title)" }
                el("p") { "\(session.timeText)　\(catalog.venue(code: session.venueCode)?.name ?? "")" }
                el("table", .class("roster")) {
                    el("thead") {
                        el("tr") {
                            for heading in ["", "お名前", "フリガナ", "電話", "貸出スマホ", "出欠"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for (index, signup) in detail.confirmed.enumerated() {
                            el("tr") {
                                el("td") { String(index + 1) }
                                el("td") { signup.fullName }
                                el("td") { signup.fullNameKana }
                                el("td") { phoneText(signup.phone) }
                                el("td") {
                                    signup.loanPhone == .assigned ? "○" : signup.loanPhone == .requested ? "待" : ""
                                }
                                el("td") { signup.attended == nil ? "□" : signup.attended == true ? "出" : "欠" }
                            }
                        }
                    }
                }
                if !detail.waitlisted.isEmpty {
                    el("h2") { "キャンセル待ち" }
                    el("ol") {
                        for signup in detail.waitlisted { el("li") { "\(signup.fullName)　\(phoneText(signup.phone))" } }
                    }
                }
            }
        }
    }

    static func surveyEntry(_ signup: ClassSignup, staff: AuthenticatedStaff, errors: FormErrors) -> Page {
        IdentityPages.staffPage(title: "アンケートの入力", staff: staff, errors: errors) {
            el("h1") { "アンケートの入力（紙の回答から）" }
            el("p") { "\(signup.fullName) さんの回答" }
            ClassPages.surveyForm(
                action: "/staff/classes/signups/\(signup.id)/survey", csrfToken: staff.csrfToken, errors: errors,
                heading: "回答")
            el("p") { el("a", .href("/staff/classes/\(signup.sessionID)")) { "戻る" } }
        }
    }

    static func results(
        _ totals: [(theme: String, satisfaction: Int, count: Int)], catalog: ClassCatalog, staff: AuthenticatedStaff
    ) -> Page {
        IdentityPages.staffPage(title: "アンケート結果", staff: staff) {
            el("h1") { "アンケート結果（テーマ別）" }
            el("p") { "教室ごとの回答は、各教室のページにあります。" }
            Table.scrolling(label: "テーマ別の満足度") {
                el("thead") {
                    el("tr") {
                        for heading in ["テーマ", "回答数", "平均", "5", "4", "3", "2", "1"] {
                            el("th", Attribute("scope", "col")) { heading }
                        }
                    }
                }
                el("tbody") {
                    for theme in catalog.themes {
                        let rows = totals.filter { $0.theme == theme.code }
                        let count = rows.map(\.count).reduce(0, +)
                        let sum = rows.map { $0.satisfaction * $0.count }.reduce(0, +)
                        el("tr") {
                            el("th", Attribute("scope", "row")) { theme.name }
                            el("td") { String(count) }
                            el("td") { count == 0 ? "—" : String(format: "%.1f", Double(sum) / Double(count)) }
                            for level in (1...5).reversed() {
                                el("td") { String(rows.first { $0.satisfaction == level }?.count ?? 0) }
                            }
                        }
                    }
                }
            }
            el("p") { el("a", .href("/staff/classes")) { "教室の一覧" } }
        }
    }

    static func outcomes(
        _ outcomes: ClassOutcomes, districts: [District], catalog: ClassCatalog, staff: AuthenticatedStaff
    ) -> Page {
        let year = outcomes.fiscalYear
        return IdentityPages.staffPage(title: "教室のその後", staff: staff) {
            el("h1") { "教室のその後（\(year.japaneseName ?? String(year.startYear))年度）" }
            el("p") {
                "参加した方のうち、参加した日から90日以内に、LINEを登録した方、はじめてオンラインで申請した方、はじめてオンラインで証明書を請求した方の人数です。"
            }
            el("p", .class("notice")) {
                "電話や窓口で申し込み、住民の記録に結び付いていない参加者（\(outcomes.total.phoneOnly) 人）は、その後を追えないため数えていません。"
                "教室のページで住民番号を結び付けると、数えられるようになります。"
            }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/classes/outcomes"), .class("filters")) {
                Form.text(name: "fy", label: "年度（西暦、4月はじまり）", value: String(year.startYear), inputMode: "numeric")
                Form.submit("表示する")
            }
            outcomeTable("合計", [("合計", outcomes.total)])
            outcomeTable("テーマ別", outcomes.byTheme.map { (catalog.theme(code: $0.code)?.name ?? $0.code, $0) })
            outcomeTable(
                "地区別",
                outcomes.byDistrict.map { row in (districts.first { $0.code == row.code }?.name ?? row.code, row) })
            el("p") { el("a", .href("/staff/classes")) { "教室の一覧" } }
        }
    }

    static func outcomeTable(_ label: String, _ rows: [(String, ClassOutcomes.Row)]) -> Node {
        .fragment([
            el("h2") { label },
            Table.scrolling(label: "教室のその後（\(label)）") {
                el("thead") {
                    el("tr") {
                        for heading in ["", "参加者", "追える方", "電話のみ", "LINE登録", "はじめての申請", "はじめての証明書請求", "いずれか"] {
                            el("th", Attribute("scope", "col")) { heading }
                        }
                    }
                }
                el("tbody") {
                    for (name, row) in rows {
                        el("tr", attributes: [Attribute("data-code", row.code)]) {
                            el("th", Attribute("scope", "row")) { name }
                            for value in [
                                row.attendees, row.followed, row.phoneOnly, row.linkedLINE, row.firstApplication,
                                row.firstCertificateRequest, row.anyOutcome,
                            ] {
                                el("td") { String(value) }
                            }
                        }
                    }
                }
            },
        ])
    }

    static func instructors(_ instructors: [ClassInstructor], staff: AuthenticatedStaff) -> Page {
        IdentityPages.staffPage(title: "デジタル活用支援員", staff: staff) {
            el("h1") { "講師（デジタル活用支援員）" }
            el("ul") { for instructor in instructors { el("li") { "\(instructor.name)（\(instructor.kindLabel)）" } } }
            Form.post(action: "/staff/classes/instructors", csrfToken: staff.csrfToken) {
                Form.text(name: "name", label: "お名前")
                Form.radios(
                    name: "kind", legend: "立場",
                    options: [FormOption("volunteer", "ボランティア"), FormOption("staff", "職員")],
                    selected: "volunteer", marked: false)
                Form.submit("登録する")
            }
            el("p") { el("a", .href("/staff/classes")) { "教室の一覧" } }
        }
    }
}

/// The "classes" LINE notice: the notices console's text with the session's date, venue and page link.
enum ClassNoticeTemplate {
    static let text = "【スマホ教室のご案内】\n{教室名}\n日時：{日時}\n会場：{会場}\n参加無料・貸出スマホあり。お申し込みはこちらから：{申込ページ}"

    static func values(_ session: ClassSession, catalog: ClassCatalog, siteOrigin: String) -> String {
        [
            "教室名=\(session.title)", "日時=\(session.timeText)",
            "会場=\(catalog.venue(code: session.venueCode)?.name ?? session.venueCode)",
            "申込ページ=\(siteOrigin)/classes/\(session.id)?via=line",
        ].joined(separator: "\n")
    }
}
