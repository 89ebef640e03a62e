import Foundation
import HTTP
import Web

/// The resident-side account pages. Routes decide what to show; these only build the HTML.
enum ResidentPages {
    static func register(values: [String: String], errors: FormErrors, districts: [District], csrfToken: String)
        -> Page
    {
        IdentityPages.residentPage(title: "新規登録", resident: nil, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "新規登録" }
            el("p") { "オンライン窓口を使うためのアカウントを作ります。登録は無料です。" }
            Form.post(action: "/register", csrfToken: csrfToken) {
                el("h2") { "ログインのための情報" }
                Form.text(
                    name: "login_id", label: "ログインID（メールアドレスまたは携帯電話の番号）",
                    value: values["login_id"] ?? "", hint: "例：hanako@example.jp または 090-1234-5678",
                    error: errors["login_id"], autocomplete: "username")
                Form.password(
                    name: "password", label: "パスワード",
                    hint: "\(ResidentRules.minimumPasswordLength)文字以上。英字・数字・記号の組み合わせは自由です。長い文にすると安全です。",
                    error: errors["password"], autocomplete: "new-password")
                Form.password(
                    name: "password_confirmation", label: "パスワード（確認のためもう一度）",
                    error: errors["password_confirmation"], autocomplete: "new-password")
                el("h2") { "ご本人の情報" }
                ProfileFields.render(values: values, errors: errors, districts: districts)
                Form.submit("登録する")
            }
            el("p") {
                "すでに登録済みの方は "; el("a", .href("/login")) { "ログイン" }; " してください。"
            }
        }
    }

    static func login(loginID: String, errors: FormErrors, notice: String?, csrfToken: String) -> Page {
        IdentityPages.residentPage(title: "ログイン", resident: nil, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "ログイン" }
            if let notice { IdentityPages.success(notice) }
            Form.post(action: "/login", csrfToken: csrfToken) {
                Form.text(
                    name: "login_id", label: "ログインID", value: loginID,
                    hint: "登録したメールアドレスまたは携帯電話の番号", error: errors["login_id"], autocomplete: "username")
                Form.password(name: "password", label: "パスワード", error: errors["password"])
                Form.submit("ログイン")
            }
            el("h2") { "パスワードをお忘れの方" }
            el("p") {
                "役場の窓口で本人確認のうえ、パスワード再設定コードをお渡しします。コードを受け取ったら "
                el("a", .href("/reset")) { "パスワードの再設定" }
                " から新しいパスワードを設定してください。"
            }
            el("p") {
                "初めての方は "; el("a", .href("/register")) { "新規登録" }; " へお進みください。"
            }
        }
    }

    static func myPage(
        resident: AuthenticatedResident, record: Resident, districts: [District], sections: [(String, [Node])]
    ) -> Page {
        IdentityPages.residentPage(title: "マイページ", resident: resident) {
            el("h1") { "マイページ" }
            el("section", Attribute("aria-labelledby", "profile-heading")) {
                el("h2", .id("profile-heading")) { "登録内容" }
                ProfileFields.summary(record, districts: districts)
                el("p") { el("a", .href("/profile")) { "登録内容を変更する" } }
            }
            if sections.isEmpty {
                IdentityPages.notice("オンラインでの申請や証明書の請求などは、受付が始まりしだい、このページに表示されます。")
            }
            for (index, section) in sections.enumerated() {
                el("section", Attribute("aria-labelledby", "section-\(index)")) {
                    el("h2", .id("section-\(index)")) { section.0 }
                    section.1
                }
            }
        }
    }

    static func profile(
        resident: AuthenticatedResident, values: [String: String], errors: FormErrors, districts: [District],
        saved: Bool
    ) -> Page {
        IdentityPages.residentPage(title: "登録内容の変更", resident: resident, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "登録内容の変更" }
            if saved { IdentityPages.success("登録内容を保存しました。") }
            Form.post(action: "/profile", csrfToken: resident.csrfToken) {
                ProfileFields.render(values: values, errors: errors, districts: districts)
                Form.submit("保存する")
            }
            el("p", .class("hint")) { "ログインIDを変更したいときは、役場の窓口にご相談ください。" }
            el("p") { el("a", .href("/mypage")) { "マイページへ戻る" } }
        }
    }

    static func reset(values: [String: String], errors: FormErrors, csrfToken: String) -> Page {
        IdentityPages.residentPage(title: "パスワードの再設定", resident: nil, errors: errors) {
            Form.errorSummary(errors)
            el("h1") { "パスワードの再設定" }
            el("p") { "役場の窓口でお渡しした「パスワード再設定コード」を使って、新しいパスワードを設定します。" }
            Form.post(action: "/reset", csrfToken: csrfToken) {
                Form.text(
                    name: "login_id", label: "ログインID", value: values["login_id"] ?? "",
                    hint: "登録したメールアドレスまたは携帯電話の番号", error: errors["login_id"], autocomplete: "username")
                Form.text(
                    name: "code", label: "再設定コード（8文字）", value: values["code"] ?? "",
                    hint: "用紙に印刷された英数字です。例：ABCD-EFGH", error: errors["code"], autocomplete: "off")
                Form.password(
                    name: "password", label: "新しいパスワード",
                    hint: "\(ResidentRules.minimumPasswordLength)文字以上", error: errors["password"],
                    autocomplete: "new-password")
                Form.password(
                    name: "password_confirmation", label: "新しいパスワード（確認のためもう一度）",
                    error: errors["password_confirmation"], autocomplete: "new-password")
                Form.submit("パスワードを設定する")
            }
        }
    }

    static func throttled(loginID: String, csrfToken: String) -> Page {
        login(
            loginID: loginID, errors: IdentityPages.formErrors(PasswordLogin.throttledMessage, field: "login_id"),
            notice: nil, csrfToken: csrfToken)
    }
}
