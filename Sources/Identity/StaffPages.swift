import Formats
import Foundation
import HTTP
import ServiceKit
import Web

/// Staff-side pages. Routes decide what to show; these only build the HTML.
enum StaffPages {
    static func login(loginID: String, errors: FormErrors, csrfToken: String) -> Page {
        IdentityPages.staffPage(title: "職員ログイン", staff: nil, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "職員ログイン" }
            Form.post(action: "/staff/login", csrfToken: csrfToken) {
                Form.text(
                    name: "login_id", label: "ログインID", value: loginID, error: errors["login_id"],
                    autocomplete: "username")
                Form.password(name: "password", label: "パスワード", error: errors["password"])
                Form.submit("ログイン")
            }
            el("p", .class("hint")) { "パスワードを忘れたときは、システム管理者に連絡してください。" }
        }
    }

    static func dashboard(staff: AuthenticatedStaff, tiles: [(String, [Node])]) -> Page {
        IdentityPages.staffPage(title: "ダッシュボード", staff: staff) {
            el("h1") { "ダッシュボード" }
            el("ul", .class("tiles")) {
                el("li", .class("tile")) {
                    el("h2") { "住民" }
                    el("p") { el("a", .href("/staff/residents")) { "住民を検索する" } }
                    el("p") { el("a", .href("/staff/residents/new")) { "窓口で住民を登録する" } }
                }
                if staff.role >= .supervisor {
                    el("li", .class("tile")) {
                        el("h2") { "監査ログ" }
                        el("p") { el("a", .href("/staff/audit")) { "誰がいつ何を見たかを確認する" } }
                    }
                }
                if staff.role >= .admin {
                    el("li", .class("tile")) {
                        el("h2") { "職員管理" }
                        el("p") { el("a", .href("/staff/admin/staff")) { "職員アカウントを追加・無効化する" } }
                    }
                }
                for tile in tiles {
                    el("li", .class("tile")) {
                        el("h2") { tile.0 }
                        tile.1
                    }
                }
            }
            if tiles.isEmpty {
                IdentityPages.notice("各業務（オンライン申請、証明書の請求など）の受付が始まると、ここに件数が表示されます。")
            }
        }
    }

    static func staffAdmin(
        staff: AuthenticatedStaff, members: [StaffMember], values: [String: String], errors: FormErrors,
        notice: String?
    ) -> Page {
        IdentityPages.staffPage(title: "職員管理", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "職員管理" }
            if let notice { IdentityPages.success(notice) }
            el("h2") { "職員アカウント一覧" }
            Table.scrolling(label: "職員アカウント一覧") {
                el("thead") {
                    el("tr") {
                        el("th", Attribute("scope", "col")) { "ログインID" }
                        el("th", Attribute("scope", "col")) { "氏名" }
                        el("th", Attribute("scope", "col")) { "担当課" }
                        el("th", Attribute("scope", "col")) { "役割" }
                        el("th", Attribute("scope", "col")) { "状態" }
                    }
                }
                el("tbody") {
                    for member in members {
                        el("tr", attributes: member.isActive ? [] : [.class("muted")]) {
                            el("td") { member.loginID }
                            el("td") { member.displayName }
                            el("td") { member.department.rawValue }
                            el("td") { member.role.label }
                            el("td") {
                                if let disabledAt = member.disabledAt {
                                    "無効（\(JapanTime.formatDate(disabledAt))）"
                                } else if member.id == staff.id {
                                    "有効（ご自身）"
                                } else {
                                    "有効 "
                                    Form.button(
                                        action: "/staff/admin/staff/\(member.id)/disable", csrfToken: staff.csrfToken,
                                        label: "無効にする", secondary: true)
                                }
                            }
                        }
                    }
                }
            }
            el("h2") { "職員アカウントを追加する" }
            Form.post(action: "/staff/admin/staff", csrfToken: staff.csrfToken) {
                Form.text(
                    name: "login_id", label: "ログインID", value: values["login_id"] ?? "",
                    hint: "半角英小文字・数字・「.」「_」「-」の3〜64文字。例：suzuki.taro", error: errors["login_id"],
                    autocomplete: "off")
                Form.text(
                    name: "display_name", label: "氏名", value: values["display_name"] ?? "",
                    error: errors["display_name"], autocomplete: "off")
                Form.select(
                    name: "department", label: "担当課",
                    options: Department.allCases.map { FormOption($0.rawValue, $0.rawValue) },
                    selected: values["department"], error: errors["department"])
                Form.radios(
                    name: "role", legend: "役割",
                    options: StaffRole.allCases.map { FormOption($0.rawValue, $0.label) },
                    selected: values["role"] ?? StaffRole.clerk.rawValue,
                    hint: "監督者は監査ログを見られます。管理者は職員アカウントも管理できます。", error: errors["role"])
                Form.password(
                    name: "password", label: "初期パスワード",
                    hint: "\(StaffRules.minimumPasswordLength)文字以上。本人に直接伝えてください。", error: errors["password"],
                    autocomplete: "new-password")
                Form.submit("追加する")
            }
        }
    }

    static func residentSearch(
        staff: AuthenticatedStaff, query: String, results: [ResidentSummary]?, districts: [District],
        errors: FormErrors, limit: Int
    ) -> Page {
        IdentityPages.staffPage(title: "住民検索", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "住民検索" }
            el("p", .class("hint")) { "検索結果の表示と記録の閲覧は、監査ログに記録されます。" }
            Form.post(action: "/staff/residents/search", csrfToken: staff.csrfToken) {
                Form.text(
                    name: "q", label: "氏名・フリガナ・ログインID", value: query, type: "search",
                    hint: "氏名やフリガナの一部、またはログインID（メールアドレス・携帯電話番号）", error: errors["q"],
                    autocomplete: "off")
                Form.submit("検索する")
            }
            el("p") { el("a", .href("/staff/residents/new")) { "窓口で住民を新しく登録する" } }
            if let results {
                el("h2") { "検索結果（\(results.count)件）" }
                if results.isEmpty {
                    el("p") { "該当する住民は見つかりませんでした。" }
                } else {
                    if results.count >= limit {
                        IdentityPages.notice("先頭の\(limit)件だけを表示しています。条件を詳しくしてください。")
                    }
                    Table.scrolling(label: "住民の検索結果") {
                        el("thead") {
                            el("tr") {
                                el("th", Attribute("scope", "col")) { "氏名" }
                                el("th", Attribute("scope", "col")) { "フリガナ" }
                                el("th", Attribute("scope", "col")) { "生年月日" }
                                el("th", Attribute("scope", "col")) { "地区" }
                            }
                        }
                        el("tbody") {
                            for result in results {
                                el("tr") {
                                    el("td") { el("a", .href("/staff/residents/\(result.id)")) { result.fullName } }
                                    el("td") { result.fullNameKana }
                                    el("td") { JapanTime.formatCalendarDate(result.birthDate) }
                                    el("td") {
                                        districts.first { $0.code == result.districtCode }?.name ?? result.districtCode
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func counterRegistration(
        staff: AuthenticatedStaff, values: [String: String], errors: FormErrors, districts: [District]
    ) -> Page {
        IdentityPages.staffPage(title: "窓口での住民登録", staff: staff, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "窓口での住民登録" }
            el("p") {
                "本人確認書類で確認したうえで登録してください。パスワードは登録後に発行する再設定コードで、ご本人が設定します。"
            }
            Form.post(action: "/staff/residents/new", csrfToken: staff.csrfToken) {
                Form.text(
                    name: "login_id", label: "ログインID（メールアドレスまたは携帯電話の番号）",
                    value: values["login_id"] ?? "", hint: "ご本人が使うメールアドレスか携帯電話の番号", error: errors["login_id"],
                    autocomplete: "off")
                ProfileFields.render(values: values, errors: errors, districts: districts)
                Form.submit("登録する")
            }
        }
    }

    static func residentRecord(
        staff: AuthenticatedStaff, resident: Resident, districts: [District], notice: String?
    ) -> Page {
        IdentityPages.staffPage(title: "住民の記録", staff: staff) {
            el("h1") { "住民の記録" }
            if let notice { IdentityPages.success(notice) }
            el("p", .class("hint")) { "この画面の閲覧は監査ログに記録されています（住民番号 \(resident.id)）。" }
            ProfileFields.summary(resident, districts: districts)
            el("dl", .class("summary")) {
                el("dt") { "登録方法" }
                el("dd") { resident.registeredVia == .counter ? "窓口で登録" : "オンラインで登録" }
                el("dt") { "登録日" }
                el("dd") { JapanTime.formatDate(resident.createdAt) }
                el("dt") { "パスワード" }
                el("dd") { resident.hasPassword ? "設定済み" : "未設定（再設定コードで設定してもらってください）" }
            }
            el("h2") { "パスワード再設定コード" }
            el("p") {
                "パスワードを忘れた方、窓口で登録した方に、再設定コードを印刷してお渡しします。"
                "有効期限は72時間です。新しく発行すると、使われていない古いコードは使えなくなります。"
            }
            Form.button(
                action: "/staff/residents/\(resident.id)/reset-code", csrfToken: staff.csrfToken,
                label: "再設定コードを発行する")
            el("p") { el("a", .href("/staff/residents")) { "住民検索へ戻る" } }
        }
    }

    static func resetCode(staff: AuthenticatedStaff, resident: Resident, code: String, expiresAt: Date) -> Page {
        IdentityPages.staffPage(title: "パスワード再設定コード", staff: staff) {
            el("h1") { "パスワード再設定コード" }
            el("p", .class("hint")) { "この画面を印刷してご本人にお渡しください。コードはこの画面にしか表示されません。" }
            el("p") { "\(resident.profile.fullName) 様" }
            el("dl", .class("summary")) {
                el("dt") { "ログインID" }
                el("dd") { resident.loginID }
                el("dt") { "再設定コード" }
                el("dd") { el("span", .class("one-time-code")) { PasswordResetCode.formatted(code) } }
                el("dt") { "有効期限" }
                el("dd") { JapanTime.format(expiresAt) + " まで" }
            }
            el("p") {
                "スマートフォンやパソコンで「オンライン窓口」の「パスワードの再設定」（/reset）を開き、"
                "ログインIDとこのコードを入力して、新しいパスワードを設定してください。"
            }
            el("p") { el("a", .href("/staff/residents/\(resident.id)")) { "住民の記録へ戻る" } }
        }
    }
}
