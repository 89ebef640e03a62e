import Formats
import Foundation
import Identity
import ServiceKit
import Web

/// The public pages, in very large type: the people these classes are for read them on a phone held at arm's
/// length, or on a paper flyer.
enum ClassPages {
    static func seatsText(_ session: ClassSession, _ counts: SessionCounts) -> String {
        let left = max(0, session.capacity - counts.confirmed)
        return left > 0 ? "残り \(left) 席（定員 \(session.capacity) 人）" : "満席です。キャンセル待ちで申し込めます（\(counts.waitlisted) 人待ち）"
    }

    static func phonesText(_ session: ClassSession, _ counts: SessionCounts) -> String {
        guard session.loanPhones > 0 else { return "貸出スマホはありません。ご自分のスマホをお持ちください。" }
        let left = max(0, session.loanPhones - counts.phonesAssigned)
        return left > 0 ? "貸出スマホ 残り \(left) 台" : "貸出スマホはすべて予約済みです（空き待ちができます）"
    }

    static func listing(
        sessions: [(ClassSession, SessionCounts)], districts: [District], selected: String?, catalog: ClassCatalog,
        resident: AuthenticatedResident?
    ) -> Page {
        IdentityPages.residentPage(title: "スマホ教室", resident: resident) {
            el("div", .class("large-type")) {
                el("h1") { "スマホ教室" }
                el("p") {
                    "スマートフォンの使い方を、デジタル活用支援員がやさしくお教えします。参加は無料です。"
                    "スマホをお持ちでない方には貸出スマホがあります。"
                }
                el("p") {
                    "電話でも申し込めます：まちづくり課 "; el("span", .class("phone")) { TownProfile.current.phone }
                }
                el("nav", .class("districts"), Attribute("aria-label", "地区")) {
                    el(
                        "a",
                        attributes: [.href("/classes")] + (selected == nil ? [Attribute("aria-current", "page")] : [])
                    ) { "すべての地区" }
                    for district in districts {
                        el(
                            "a",
                            attributes: [.href("/classes?district=\(district.code)")]
                                + (selected == district.code ? [Attribute("aria-current", "page")] : [])
                        ) {
                            district.name
                        }
                    }
                }
                for district in districts where selected == nil || selected == district.code {
                    let inDistrict = sessions.filter { $0.0.districtCode == district.code }
                    el("h2") { "\(district.name)地区" }
                    if inDistrict.isEmpty {
                        el("p") { "いまのところ予定はありません。" }
                    } else {
                        el("ul", .class("class-list")) {
                            for (session, counts) in inDistrict {
                                el("li", .class("class-card")) {
                                    el("h3") { el("a", .href("/classes/\(session.id)")) { session.title } }
                                    el("p") { el("strong") { session.timeText } }
                                    el("p") {
                                        "会場：\(catalog.venue(code: session.venueCode)?.name ?? session.venueCode)"
                                    }
                                    el("p") { seatsText(session, counts) }
                                    el("p") { el("a", .href("/classes/\(session.id)")) { "くわしく見る・申し込む" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func details(_ session: ClassSession, catalog: ClassCatalog) -> Node {
        let venue = catalog.venue(code: session.venueCode)
        return el("dl", .class("summary")) {
            el("dt") { "日時" }
            el("dd") { session.timeText }
            el("dt") { "内容" }
            el("dd") { catalog.theme(code: session.themeCode)?.name ?? session.themeCode }
            el("dt") { "会場" }
            el("dd") {
                venue?.name ?? session.venueCode
                if let venue { void("br"); venue.address; void("br"); venue.access }
            }
            if !session.bring.isEmpty {
                el("dt") { "持ち物" }
                el("dd") { session.bring }
            }
            if !session.notes.isEmpty {
                el("dt") { "お知らせ" }
                el("dd") { session.notes }
            }
        }
    }

    static func session(
        _ session: ClassSession, counts: SessionCounts, catalog: ClassCatalog, form: SignupFormValues,
        errors: FormErrors,
        visitor: ClassVisitor, now: Date
    ) -> Page {
        IdentityPages.residentPage(title: session.title, resident: visitor.resident, errors: errors) {
            el("div", .class("large-type")) {
                el("h1") { session.title }
                if let theme = catalog.theme(code: session.themeCode) { el("p") { theme.description } }
                details(session, catalog: catalog)
                if session.status == .cancelled {
                    el("p", .class("notice")) { "この教室は中止になりました。" + (session.cancelReason.map { "（\($0)）" } ?? "") }
                } else if !session.acceptsSignups(at: now) {
                    el("p", .class("notice")) { "この教室の申し込みは終わりました。" }
                } else {
                    el("p", .class("seats")) { seatsText(session, counts) }
                    el("p") { phonesText(session, counts) }
                    el("h2") { "申し込む" }
                    Form.errorSummary(errors)
                    Form.post(action: "/classes/\(session.id)/signups", csrfToken: visitor.csrfToken) {
                        Form.hidden(name: "channel", value: form.channel)
                        if let resident = visitor.resident {
                            el("p") { "\(resident.fullName) 様として申し込みます（登録の内容を使います）。" }
                            Form.text(
                                name: "phone", label: "当日連絡のつく電話番号", value: form.phone, type: "tel",
                                hint: "登録の電話番号です。変えるときは書き直してください。", error: errors["phone"], optional: true,
                                autocomplete: "tel", inputMode: "tel")
                        } else {
                            el("p") {
                                "お名前、フリガナ、電話番号だけで申し込めます。"
                                el("a", .href("/login")) { "ログイン" }
                                "すると入力がいりません。"
                            }
                            Form.text(
                                name: "full_name", label: "お名前", value: form.name, error: errors["full_name"],
                                autocomplete: "name")
                            Form.text(
                                name: "full_name_kana", label: "フリガナ", value: form.kana, hint: "例：ビラトリ ハナコ",
                                error: errors["full_name_kana"])
                            Form.text(
                                name: "phone", label: "電話番号", value: form.phone, type: "tel",
                                hint: "前日に確認のお電話をすることがあります。例：01457-2-0000", error: errors["phone"],
                                autocomplete: "tel", inputMode: "tel")
                        }
                        loanPhoneChoice(session, counts: counts, selected: form.loanPhone, error: errors["loan_phone"])
                        Form.submit("この教室に申し込む")
                    }
                }
                el("p") {
                    el("a", .href("/classes")) { "ほかの教室を見る" }
                    " ・ "
                    el("a", .href("/classes/\(session.id)/flyer")) { "チラシを印刷する" }
                }
            }
        }
    }

    static func loanPhoneChoice(_ session: ClassSession, counts: SessionCounts, selected: String, error: String?)
        -> Node
    {
        var options = [FormOption("no", "自分のスマホを持っていく")]
        if session.loanPhones > 0 {
            options.append(FormOption("yes", "貸出スマホを借りたい"))
            options.append(FormOption("wait", "貸出スマホを借りたい（なければ空きを待つ）"))
        }
        return Form.radios(
            name: "loan_phone", legend: "貸出スマホ", options: options, selected: selected,
            hint: phonesText(session, counts),
            error: error, marked: false)
    }

    static func statusLine(_ signup: ClassSignup, position: Int?) -> String {
        switch signup.status {
        case .confirmed:
            "参加が決まりました。"
                + (signup.loanPhone == .assigned
                    ? "貸出スマホをご用意します。" : signup.loanPhone == .requested ? "貸出スマホは空き待ちです（空きが出たらお知らせします）。" : "")
        case .waitlisted: "満席のため、キャンセル待ち \(position ?? 0) 番目で受け付けました。空きが出たら順番にお知らせします。"
        case .cancelled: "このお申し込みは取り消されました。"
        }
    }

    static func signedUp(
        _ outcome: ClassWorkflow.SignupOutcome, session: ClassSession, catalog: ClassCatalog, visitor: ClassVisitor
    ) -> Page {
        let (signup, position, token, repeated): (ClassSignup, Int?, String?, Bool) =
            switch outcome {
            case .signedUp(let signup, let position, let token): (signup, position, token, false)
            case .alreadySignedUp(let signup, let position): (signup, position, nil, true)
            }
        return IdentityPages.residentPage(
            title: repeated ? "すでにお申し込みいただいています" : "お申し込みを受け付けました", resident: visitor.resident
        ) {
            el("div", .class("large-type")) {
                if repeated {
                    el("h1") { "すでにお申し込みいただいています" }
                    el("p", .class("notice")) {
                        "この教室には、同じ方のお申し込みがすでにあります。二重には申し込まれていませんので、ご安心ください。"
                    }
                    el("p") { "お申し込みの状況：\(signup.status.label)" + (position.map { "（\($0) 番目）" } ?? "") }
                } else {
                    el("h1") { "お申し込みを受け付けました" }
                    el("p", .class("success")) { statusLine(signup, position: position) }
                }
                details(session, catalog: catalog)
                if let token {
                    el("p") { "このページで、お申し込みの確認と取り消しができます。ブックマークしておくと便利です。" }
                    el("p") { el("a", .href("/classes/signup/\(token)")) { "お申し込みの確認・取り消しのページ" } }
                } else if visitor.resident != nil {
                    el("p") { el("a", .href("/classes/mine/\(signup.id)")) { "お申し込みの確認・取り消し（マイページからも開けます）" } }
                }
                el("p") { "取り消すときや、わからないことがあるときは、まちづくり課（電話 \(TownProfile.current.phone)）へご連絡ください。" }
                el("p") { el("a", .href("/classes")) { "教室の一覧へ戻る" } }
            }
        }
    }

    static func signupStatus(
        _ signup: ClassSignup, session: ClassSession, position: Int?, messages: [ResidentMessage], surveyAnswered: Bool,
        basePath: String, catalog: ClassCatalog, visitor: ClassVisitor, errors: FormErrors
    ) -> Page {
        IdentityPages.residentPage(title: "お申し込みの状況", resident: visitor.resident, errors: errors) {
            el("div", .class("large-type")) {
                el("h1") { "お申し込みの状況" }
                el("h2") { session.title }
                details(session, catalog: catalog)
                el("p", .class("notice")) { statusLine(signup, position: position) }
                if session.status == .cancelled { el("p", .class("notice")) { "この教室は中止になりました。" } }
                if !messages.isEmpty {
                    el("h2") { "役場からのお知らせ" }
                    el("ul") {
                        for message in messages {
                            el("li") {
                                el("strong") { message.subject }; el("p") { message.body }
                            }
                        }
                    }
                }
                if signup.isLive && session.status == .scheduled {
                    Form.button(
                        action: basePath + "/cancel", csrfToken: visitor.csrfToken, label: "この申し込みを取り消す",
                        secondary: true)
                }
                if session.status == .held && signup.attended == true {
                    if surveyAnswered {
                        el("p", .class("success")) { "アンケートへのご協力ありがとうございました。" }
                    } else {
                        surveyForm(action: basePath + "/survey", csrfToken: visitor.csrfToken, errors: errors)
                    }
                }
                el("p") { el("a", .href("/classes")) { "教室の一覧へ" } }
            }
        }
    }

    static func surveyForm(action: String, csrfToken: String, errors: FormErrors, heading: String = "アンケート") -> Node {
        .fragment([
            el("h2") { heading },
            Form.errorSummary(errors),
            Form.post(action: action, csrfToken: csrfToken) {
                Form.radios(
                    name: "satisfaction", legend: "満足度（5がいちばん満足）",
                    options: (1...5).reversed().map { FormOption(String($0), String($0)) },
                    error: errors["satisfaction"])
                textArea(name: "learned", label: "できるようになったこと", error: errors["learned"])
                textArea(name: "next_wish", label: "次に学びたいこと", error: errors["next_wish"])
                Form.submit("アンケートを送る")
            },
        ])
    }

    static func textArea(name: String, label: String, error: String?) -> Node {
        Form.field(name: name, label: label, hint: nil, error: error, optional: true) { described in
            el("textarea", attributes: [.id(name), Attribute("name", name), Attribute("rows", "3")] + described)
        }
    }

    /// A4, for 回覧板 and notice boards: big type, the essentials, and a QR code to the session's page.
    static func flyer(_ session: ClassSession, catalog: ClassCatalog, pageURL: String) throws -> Page {
        let code = try QRCode(text: pageURL)
        return Page(title: "チラシ：\(session.title)") {
            el("article", .class("flyer")) {
                el("p", .class("flyer-kicker")) { "参加無料・スマホの貸出あり" }
                el("h1") { session.title }
                if let theme = catalog.theme(code: session.themeCode) { el("p") { theme.description } }
                details(session, catalog: catalog)
                el("p") { "定員 \(session.capacity) 人（先着順）。スマホをお持ちでない方には貸出スマホがあります（\(session.loanPhones) 台）。" }
                el("h2") { "申し込み" }
                el("p") { "お電話で：\(TownProfile.current.office) まちづくり課 \(TownProfile.current.phone)" }
                el("div", .class("flyer-qr")) {
                    code.svgNode(title: "この教室の申し込みページを開く QR コード", size: .millimetres(40))
                    el("p") { "スマホで：QRコードを読み取ると、申し込みのページが開きます。" }
                    el("p", .class("flyer-url")) { pageURL }
                }
            }
        }
    }
}
