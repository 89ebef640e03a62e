import Formats
import Foundation
import Web

/// "1,234円".
enum YenText {
    static func format(_ value: Int) -> String {
        let digits = String(abs(value))
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output.append(",") }
            output.append(character)
        }
        return (value < 0 ? "-" : "") + output + "円"
    }
}

/// The resident-side payment pages and the sandbox checkout.
enum PaymentPages {
    /// The pay page a pay link opens: what is paid for, how much, where it stands, and the button.
    static func payment(_ payment: StoredPayment, purposeLabel: String, csrfToken: String, notice: String? = nil)
        -> Page
    {
        Page(title: "お支払い") {
            el("h1") { "お支払い" }
            if let notice { el("p", .class("notice"), Attribute("role", "status")) { notice } }
            el("dl", .class("summary")) {
                el("dt") { "用途" }
                el("dd") { purposeLabel }
                el("dt") { "内容" }
                el("dd") { payment.description }
                el("dt") { "金額" }
                el("dd", .class("amount")) { YenText.format(payment.amountYen) }
                el("dt") { "状況" }
                el("dd", .class("payment-state"), Attribute("data-state", payment.state.rawValue)) {
                    payment.state.label
                }
                if let method = payment.method {
                    el("dt") { "お支払い方法" }
                    el("dd") { method.label }
                }
            }
            if payment.state == .created {
                el("p") { "お支払い期限：\(JapanTime.format(payment.expiresAt))" }
                el("p", .class("hint")) {
                    "次の画面は決済サービスのページです。カード番号などは役場のシステムには送られません。"
                }
                Form.button(action: payment.payPath + "/checkout", csrfToken: csrfToken, label: "支払いへ進む")
            }
            if payment.state.isPaid {
                el("p") { el("a", .class("button"), .href(payment.payPath + "/receipt")) { "領収書を表示する" } }
            }
            el("p") { el("a", .href(payment.returnPath)) { "もとのページへ戻る" } }
        }
    }

    /// Madoguchi's stand-in for a provider's hosted checkout. No card fields: only the method and the outcome.
    static func sandboxCheckout(_ checkout: PaymentStore.SandboxCheckout, csrfToken: String) -> Page {
        Page(title: "テスト決済") {
            el("h1") { "テスト決済（サンドボックス）" }
            el("p", .class("notice")) { "これは開発・試験用の決済画面です。実際のお金は動きません。" }
            el("dl", .class("summary")) {
                el("dt") { "内容" }
                el("dd") { checkout.description }
                el("dt") { "金額" }
                el("dd", .class("amount")) { YenText.format(checkout.amountYen) }
            }
            if checkout.state == "created" {
                Form.post(action: SandboxProvider.checkoutPath(reference: checkout.reference), csrfToken: csrfToken) {
                    el("fieldset") {
                        el("legend") { "お支払い方法" }
                        for (index, method) in PaymentMethod.online.enumerated() {
                            el("div", .class("radio")) {
                                void(
                                    "input",
                                    attributes: [
                                        Attribute("type", "radio"), .id("method-\(method.rawValue)"),
                                        Attribute("name", "method"), Attribute("value", method.rawValue),
                                    ] + (index == 0 ? [.flag("checked")] : []))
                                el("label", Attribute("for", "method-\(method.rawValue)")) { method.label }
                            }
                        }
                    }
                    outcomeButton(.pay, "支払う")
                    outcomeButton(.fail, "決済失敗にする", secondary: true)
                    outcomeButton(.abandon, "支払いをやめる", secondary: true)
                }
            } else {
                el("p") { "この決済は完了しています。" }
            }
        }
    }

    static func outcomeButton(_ outcome: SandboxProvider.Outcome, _ label: String, secondary: Bool = false) -> Node {
        el(
            "button",
            attributes: [
                Attribute("type", "submit"), Attribute("name", "outcome"), Attribute("value", outcome.rawValue),
            ] + (secondary ? [.class("secondary")] : [])
        ) { label }
    }
}
