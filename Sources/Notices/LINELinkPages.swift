import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

enum LINELinkPages {
    static let instructions = "公式アカウントを友だち追加して、このコードを送ってください。"

    static func status(linkedAt: Date?) -> Node {
        if let linkedAt {
            return el("p") { "LINEと連携しています（\(JapanTime.format(linkedAt)) から）。お知らせはLINEに届きます。" }
        }
        return el("p") { "LINEとは連携していません。お知らせは郵便または電話でお届けします。" }
    }

    /// The code, large, with the steps in plain words for residents who rarely use a smartphone.
    static func code(_ code: AccountLinking.IssuedCode) -> Node {
        el("section", .class("link-code"), Attribute("aria-labelledby", "link-code-title")) {
            el("h2", .id("link-code-title")) { "連携コード" }
            el("p", .class("code"), .id("line-link-code")) {
                el("strong", Attribute("lang", "en")) { code.displayCode }
            }
            el("p") { instructions }
            el("ol") {
                el("li") { "LINEアプリで、町の公式アカウントを「友だち追加」します。" }
                el("li") { "公式アカウントのトーク画面で、上のコード（8文字）を送ります。" }
                // No reply comes in LINE (the server holds no channel access token to send one); the page
                // itself shows the link once the code has been received.
                el("li") { "送ったあと、このページを開き直して「LINEと連携しています」と表示されたら完了です。" }
            }
            el("p") { "このコードは \(JapanTime.format(code.expiresAt)) まで（30分間）使えます。一度だけ使えます。" }
        }
    }

    static func residentPage(
        resident: AuthenticatedResident, linkedAt: Date?, code: AccountLinking.IssuedCode?, done: String?
    ) -> Page {
        IdentityPages.residentPage(title: "LINEで受け取る", resident: resident) {
            el("h1") { "LINEで受け取る" }
            if let done { IdentityPages.success(done) }
            status(linkedAt: linkedAt)
            if let code { self.code(code) }
            el("h2") { code == nil ? "連携のしかた" : "コードをもう一度発行する" }
            el("p") { "ボタンを押すと、8文字の連携コードが表示されます。" + instructions }
            Form.button(
                action: LINELinkRoutes.residentPath + "/code", csrfToken: resident.csrfToken,
                label: code == nil ? "連携コードを表示する" : "新しいコードを表示する")
            if linkedAt != nil {
                el("h2") { "連携の解除" }
                el("p") { "解除すると、お知らせは郵便または電話でお届けします。LINEで「連携解除」と送っても解除できます。" }
                Form.button(
                    action: LINELinkRoutes.residentPath + "/unlink", csrfToken: resident.csrfToken,
                    label: "LINEとの連携を解除する", secondary: true)
            }
            el("p") { el("a", .href("/mypage")) { "マイページに戻る" } }
        }
    }

    static func counterPage(
        staff: AuthenticatedStaff, residentID: Int64, residentName: String, linkedAt: Date?,
        code: AccountLinking.IssuedCode?, done: String?
    ) -> Page {
        IdentityPages.staffPage(title: "LINE連携（窓口）", staff: staff) {
            el("h1") { "LINE連携（窓口）" }
            if let done { IdentityPages.success(done) }
            el("p") { "住民番号 \(residentID)：\(residentName) さん" }
            status(linkedAt: linkedAt)
            if let code { self.code(code) }
            Form.button(
                action: "/staff/residents/\(residentID)/line/code", csrfToken: staff.csrfToken,
                label: "連携コードを発行する")
            if linkedAt != nil {
                Form.button(
                    action: "/staff/residents/\(residentID)/line/unlink", csrfToken: staff.csrfToken,
                    label: "連携を解除する", secondary: true)
            }
            el("p") { el("a", .href("/staff/residents/\(residentID)")) { "住民の詳細に戻る" } }
        }
    }
}
