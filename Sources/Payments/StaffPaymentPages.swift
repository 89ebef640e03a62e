import Formats
import Foundation
import HTTP
import Identity
import Store
import Web

/// The staff console's payment pages: the list with its lookup, and one payment with its counter and refund
/// forms. Errors sit beside the field, as on every console form.
enum StaffPaymentPages {
    /// What the clerk typed into the counter form, echoed back when it is refused.
    struct CounterEntry: Sendable {
        var method = PaymentMethod.cash.rawValue
        var cashReceived = ""

        init() {}

        init(_ fields: FormFields) {
            method = fields["counter_method"] ?? ""
            cashReceived = fields["cash_received_yen"] ?? ""
        }
    }

    /// What the supervisor typed into the refund form, with the refundable amount the page showed them.
    struct RefundEntry: Sendable {
        var amount = ""
        var reason = ""
        var statedAvailable = ""

        init() {}

        init(_ fields: FormFields) {
            amount = fields["refund_amount_yen"] ?? ""
            reason = fields["refund_reason"] ?? ""
            statedAvailable = fields["refund_amount_available"] ?? ""
        }
    }

    /// A payment with everything its staff page shows.
    struct Detail: Sendable {
        let payment: StoredPayment
        let refundableYen: Int
        let events: [PaymentEvent]
        let refunds: [StoredRefund]
        let payerLabel: String
        /// The counter payment that took this fee, when a clerk took it at the counter.
        let takenAtCounterID: Int64?

        static func load(id: Int64, workflow: PaymentWorkflow, on connection: Connection) throws -> Detail? {
            guard let payment = try PaymentStore.fetchPayment(id: id, on: connection) else { return nil }
            let payerLabel: String
            switch payment.payer {
            case .resident(let residentID):
                let name = try ResidentStore.fetchResident(id: residentID, on: connection)?.profile.fullName
                payerLabel = "\(name ?? "（不明）")（住民ID \(residentID)）"
            case .guest(let reference): payerLabel = "アカウントなし（受付番号 \(reference)）"
            }
            return Detail(
                payment: payment, refundableYen: try workflow.refundableYen(payment, on: connection),
                events: try PaymentStore.fetchEvents(paymentID: id, on: connection),
                refunds: try PaymentStore.fetchRefunds(paymentID: id, on: connection), payerLabel: payerLabel,
                takenAtCounterID: try PaymentStore.fetchPayment(
                    subjectModule: payment.subject.module, idempotencyKey: "counter-\(payment.id)", on: connection)?.id)
        }
    }

    /// Whole yen as typed at a desk: half- or full-width digits, commas and a trailing 円 allowed.
    static func yen(_ text: String) -> Int? {
        let digits = String(
            text.unicodeScalars.compactMap { scalar -> Character? in
                if (0xFF10...0xFF19).contains(scalar.value) {
                    return Character(Unicode.Scalar(scalar.value - 0xFF10 + 0x30)!)
                }
                if scalar == "," || scalar == "，" || scalar == "円" || scalar == " " || scalar == "　" { return nil }
                return Character(scalar)
            })
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0
        else { return nil }
        return value
    }

    /// 「R2026-000123」 (the receipt number) or 「123」.
    static func paymentID(fromNumber text: String) -> Int64? {
        let trimmed = text.uppercased()
        let digits = trimmed.hasPrefix("R") ? trimmed.split(separator: "-").last.map(String.init) ?? "" : trimmed
        guard let id = Int64(digits), id > 0 else { return nil }
        return id
    }

    static func doneNotice(_ done: String?) -> String? {
        switch done {
        case "counter": "窓口での受領を記録しました。"
        case "refunded": "返金を記録しました。"
        default: nil
        }
    }

    // MARK: The list

    static func index(_ payments: [StoredPayment], purposes: PurposeCatalog, number: String, error: String?) -> Page {
        var page = Page(title: "お支払い（職員）", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("h1") { "お支払い" }
            el("p") {
                el("a", .href("/staff/payments/close")) { "日計表" }
                "　"
                el("a", .href("/staff/payments/reconciliation")) { "精算データの照合" }
            }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/payments"), .flag("novalidate")) {
                Form.text(
                    name: "number", label: "お支払い番号・領収書番号", value: number, type: "search",
                    hint: "例：R2026-000123 または 123", error: error)
                Form.submit("表示する")
            }
            el("h2") { "最近のお支払い" }
            if payments.isEmpty {
                el("p") { "お支払いの記録はありません。" }
            } else {
                el("table", .class("payments")) {
                    el("thead") {
                        el("tr") {
                            for heading in ["番号", "用途", "内容", "金額", "状況", "受付"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for payment in payments {
                            el("tr") {
                                el("td") { el("a", .href("/staff/payments/\(payment.id)")) { String(payment.id) } }
                                el("td") { purposes.label(payment.purpose) }
                                el("td") { payment.description }
                                el("td") { YenText.format(payment.amountYen) }
                                el("td") { payment.state.label }
                                el("td") { payment.channel == "counter" ? "窓口" : "オンライン" }
                            }
                        }
                    }
                }
            }
        }
        page.wide = true
        return page
    }

    // MARK: One payment

    static func detail(
        _ detail: Detail, purposes: PurposeCatalog, csrfToken: String, mayRefund: Bool, notice: String?,
        counter: CounterEntry, counterErrors: FormErrors, refund: RefundEntry, refundErrors: FormErrors
    ) -> Page {
        let payment = detail.payment
        var page = Page(title: "お支払い No.\(payment.id)", siteName: Page.staffSiteName, homePath: "/staff/") {
            el("p") { el("a", .href("/staff/payments")) { "お支払いの一覧へ" } }
            el("h1") { "お支払い No.\(payment.id)" }
            if let notice { el("p", .class("notice"), Attribute("role", "status")) { notice } }
            Form.errorSummary(FormErrors(counterErrors.all + refundErrors.all))
            el("dl", .class("summary")) {
                el("dt") { "用途" }
                el("dd") { purposes.label(payment.purpose) }
                el("dt") { "内容" }
                el("dd") { payment.description }
                el("dt") { "金額" }
                el("dd", .class("amount")) { YenText.format(payment.amountYen) }
                el("dt") { "支払者" }
                el("dd") { detail.payerLabel }
                el("dt") { "状況" }
                el("dd", .class("payment-state"), Attribute("data-state", payment.state.rawValue)) {
                    payment.state.label
                }
                if let method = payment.method {
                    el("dt") { "支払方法" }
                    el("dd") { method.label }
                }
                if let received = payment.cashReceivedYen {
                    el("dt") { "お預かり" }
                    el("dd", .class("cash-received")) { YenText.format(received) }
                }
                if let change = payment.changeYen {
                    el("dt") { "おつり" }
                    el("dd", .class("change")) { YenText.format(change) }
                }
                if payment.state.isPaid {
                    el("dt") { "返金可能額" }
                    el("dd", .class("refundable")) { YenText.format(detail.refundableYen) }
                    el("dt") { "領収書" }
                    el("dd") {
                        el("a", .href(payment.payPath + "/receipt")) { "No. \(Receipt.number(for: payment))" }
                    }
                }
            }
            if let counterID = detail.takenAtCounterID {
                el("p") {
                    "窓口で受け取りました："
                    el("a", .href("/staff/payments/\(counterID)")) { "お支払い No.\(counterID)" }
                }
            } else if !payment.state.isPaid {
                counterForm(payment, csrfToken: csrfToken, entry: counter, errors: counterErrors)
            }
            if payment.state.isPaid && detail.refundableYen > 0 && mayRefund {
                refundForm(detail, csrfToken: csrfToken, entry: refund, errors: refundErrors)
            } else if payment.state.isPaid && detail.refundableYen > 0 {
                el("p", .class("hint")) { "返金は会計の監督職員（supervisor）が行います。" }
            }
            if !detail.refunds.isEmpty { refundTable(detail.refunds) }
            eventTable(detail.events)
        }
        page.wide = true
        return page
    }

    static func counterForm(_ payment: StoredPayment, csrfToken: String, entry: CounterEntry, errors: FormErrors)
        -> Node
    {
        el("section", .class("counter-payment"), Attribute("aria-labelledby", "counter-title")) {
            el("h2", .id("counter-title")) { "窓口で受け取る" }
            Form.post(action: "/staff/payments/\(payment.id)/counter", csrfToken: csrfToken) {
                Form.radios(
                    name: "counter_method", legend: "受け取った方法",
                    options: [
                        FormOption(PaymentMethod.cash.rawValue, PaymentMethod.cash.label),
                        FormOption(PaymentMethod.cardTerminal.rawValue, PaymentMethod.cardTerminal.label),
                    ], selected: entry.method, error: errors["counter_method"], marked: false)
                Form.text(
                    name: "cash_received_yen", label: "お預かり金額（円）", value: entry.cashReceived,
                    hint: "現金のときだけ。\(YenText.format(payment.amountYen))以上。おつりは記録時に計算します。",
                    error: errors["cash_received_yen"], optional: true, autocomplete: "off", inputMode: "numeric")
                Form.submit("受領を記録する")
            }
        }
    }

    static func refundForm(_ detail: Detail, csrfToken: String, entry: RefundEntry, errors: FormErrors) -> Node {
        let payment = detail.payment
        return el("section", .class("refund"), Attribute("aria-labelledby", "refund-title")) {
            el("h2", .id("refund-title")) { "返金する" }
            el("p") { "返金可能額：\(YenText.format(detail.refundableYen))" }
            if payment.method == .cash {
                el("p", .class("hint")) { "窓口現金の支払いです。返金額を現金でお返しし、その額を記録します。" }
            }
            Form.post(action: "/staff/payments/\(payment.id)/refunds", csrfToken: csrfToken) {
                Form.hidden(name: "refund_amount_available", value: String(detail.refundableYen))
                Form.text(
                    name: "refund_amount_yen", label: "返金額（円）", value: entry.amount,
                    hint: "一部の返金もできます（\(YenText.format(detail.refundableYen))まで）。",
                    error: errors["refund_amount_yen"], autocomplete: "off", inputMode: "numeric")
                Form.text(
                    name: "refund_reason", label: "返金理由", value: entry.reason, error: errors["refund_reason"],
                    autocomplete: "off")
                Form.submit("返金を記録する")
            }
        }
    }

    static func refundTable(_ refunds: [StoredRefund]) -> Node {
        el("section", Attribute("aria-labelledby", "refunds-title")) {
            el("h2", .id("refunds-title")) { "返金" }
            el("table", .class("refunds")) {
                el("thead") {
                    el("tr") {
                        for heading in ["日時", "返金額", "現金でお返し", "状況", "理由"] {
                            el("th", Attribute("scope", "col")) { heading }
                        }
                    }
                }
                el("tbody") {
                    for refund in refunds {
                        el("tr") {
                            el("td") { JapanTime.format(refund.createdAt) }
                            el("td") { YenText.format(refund.amountYen) }
                            el("td", .class("cash-handed-back")) {
                                refund.cashHandedBackYen.map(YenText.format) ?? "—"
                            }
                            el("td") { refundStateLabel(refund.state) }
                            el("td") { refund.reason }
                        }
                    }
                }
            }
        }
    }

    static func refundStateLabel(_ state: StoredRefund.State) -> String {
        switch state {
        case .submitted: "決済サービスで処理中"
        case .succeeded: "返金済み"
        case .failed: "返金できませんでした"
        }
    }

    static func eventTable(_ events: [PaymentEvent]) -> Node {
        el("section", Attribute("aria-labelledby", "events-title")) {
            el("h2", .id("events-title")) { "履歴" }
            el("table", .class("payment-events")) {
                el("thead") {
                    el("tr") {
                        for heading in ["日時", "変更", "操作"] { el("th", Attribute("scope", "col")) { heading } }
                    }
                }
                el("tbody") {
                    for event in events {
                        el("tr") {
                            el("td") { JapanTime.format(event.at) }
                            el("td") { "\(event.from?.label ?? "—") → \(event.to.label)" }
                            el("td") { actorLabel(event) }
                        }
                    }
                }
            }
        }
    }

    static func actorLabel(_ event: PaymentEvent) -> String {
        switch event.actorType {
        case "staff": "職員（ID \(event.actorID.map(String.init) ?? "?")）"
        case "resident": "ご本人"
        case "guest": "支払者（アカウントなし）"
        case "webhook": "決済サービスの通知"
        case "provider": "決済サービスへの照会"
        default: "システム"
        }
    }
}
