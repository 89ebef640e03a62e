import Cryptography
import Formats
import Foundation
import HTTP
import ServiceKit
import Web

/// The resident pages' HTML.
enum CertificatePages {
    static func yen(_ amount: Int) -> String {
        let digits = String(amount)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out + "円"
    }

    static func types(_ catalog: CertificateCatalog) -> Page {
        Page(title: "証明書の請求") {
            el("h1") { "証明書の請求" }
            el("p") { "役場に来る前に請求できます。手数料はオンラインか、受け取るときに窓口でお支払いください。" }
            el("ul", .class("procedure-list")) {
                for type in catalog.types {
                    el("li") {
                        el("a", .href("/certificates/new/\(type.code)")) { type.name }
                        "（1通 \(yen(type.feeYen))）"
                        el("p", .class("hint")) { type.description }
                    }
                }
            }
        }
    }

    static func form(
        type: CertificateType, input: RequestInput, errors: FormErrors, formToken: String, csrfToken: String,
        onlinePayment: Bool, now: Date, target: RequestFormTarget? = nil
    ) -> Page {
        let target = target ?? .resident(type)
        return target.page("\(type.name)の請求") {
            el("h1") { "\(type.name)の請求" }
            target.servedResident
            el("p") { "手数料：1通 \(yen(type.feeYen))。担当：\(type.department)" }
            Form.errorSummary(errors)
            el(
                "form", Attribute("method", "post"), Attribute("action", target.checkAction),
                Attribute("enctype", "multipart/form-data"), .flag("novalidate")
            ) {
                Form.csrf(csrfToken)
                Form.hidden(name: "form_token", value: formToken)
                for (name, value) in target.carried { Form.hidden(name: name, value: value) }
                Form.text(
                    name: "copies", label: "通数", value: input.copies, hint: "1通から10通まで", error: errors["copies"],
                    inputMode: "numeric")
                Form.radios(
                    name: "requester", legend: "請求する方",
                    options: type.requesters.map { FormOption($0.rawValue, $0.label) },
                    selected: input.requester, error: errors["requester"])
                for option in type.options {
                    switch option.kind {
                    case .boolean:
                        Form.radios(
                            name: option.formName, legend: option.label,
                            options: [FormOption("no", "記載しない"), FormOption("yes", "記載する")],
                            selected: input.options[option.code].flatMap { $0.isEmpty ? nil : $0 } ?? "no",
                            hint: option.agentAllowed ? nil : "代理人は「記載する」を選べません。", error: errors[option.formName],
                            marked: false)
                    case .fiscalYear:
                        Form.select(
                            name: option.formName, label: option.label,
                            options: CertificateType.fiscalYears(option, at: now).map {
                                FormOption(String($0), FiscalYear($0).japaneseName ?? "\($0)年度")
                            }, selected: input.options[option.code], error: errors[option.formName])
                    }
                }
                Form.text(
                    name: "purpose", label: "使用目的（提出先など）", value: input.purpose, error: errors["purpose"],
                    optional: !type.purposeRequired)
                if type.requesters.contains(.agent) {
                    Form.field(
                        name: "letter_of_attorney", label: "委任状（代理人のみ）", hint: "JPEG・PNG の画像か PDF、5 MBまで",
                        error: errors["letter_of_attorney"], optional: true
                    ) { described in
                        void(
                            "input",
                            attributes: [
                                Attribute("type", "file"), .id("letter_of_attorney"),
                                Attribute("name", "letter_of_attorney"),
                                Attribute("accept", "image/jpeg,image/png,application/pdf"),
                            ] + described)
                    }
                }
                Form.radios(
                    name: "delivery", legend: "受け取り方法",
                    options: Delivery.allCases.map { FormOption($0.rawValue, $0.label) },
                    selected: input.delivery, error: errors["delivery"])
                Form.date(
                    name: "pickup_date", label: "窓口で受け取る日", value: input.pickupDate,
                    hint: "窓口で受け取るときに選んでください。土日・祝日・年末年始（12月29日〜1月3日）は閉庁です。",
                    error: errors["pickup_date"], optional: true)
                Form.text(
                    name: "mailing_address", label: "郵送先", value: input.mailingAddress,
                    hint: "郵送は住民登録の住所に限ります。", error: errors["mailing_address"], optional: true)
                Form.radios(
                    name: "payment", legend: "お支払い方法",
                    options: (onlinePayment ? PaymentChoice.allCases : [.counter]).map {
                        FormOption($0.rawValue, $0.label)
                    }, selected: input.payment.isEmpty ? (onlinePayment ? "online" : "counter") : input.payment,
                    error: errors["payment"])
                Form.submit("確認画面へ進む")
            }
        }
    }

    static func confirm(
        type: CertificateType, request: NewCertificateRequest, input: RequestInput, formToken: String,
        csrfToken: String,
        target: RequestFormTarget? = nil
    ) -> Page {
        let target = target ?? .resident(type)
        return target.page("請求内容の確認") {
            el("h1") { "請求内容の確認" }
            target.servedResident
            el("p") { "まだ請求は済んでいません。内容を確かめて「請求する」を押してください。" }
            el("dl", .class("summary")) {
                el("dt") { "証明書" }
                el("dd") { type.name }
                el("dt") { "通数" }
                el("dd") { "\(request.copies)通" }
                el("dt") { "請求する方" }
                el("dd") { request.requester.label }
                chosenOptions(type.options, request.options)
                if let purpose = request.purpose {
                    el("dt") { "使用目的" }
                    el("dd") { purpose }
                }
                if let letter = request.letterOfAttorney {
                    el("dt") { "委任状" }
                    el("dd") { letter.filename }
                }
                el("dt") { "受け取り方法" }
                el("dd") {
                    request.delivery.label
                    if let date = request.pickupDate { "（\(CalendarDate.japanese(date))）" }
                    if let address = request.mailingAddress { "（\(address)）" }
                }
                el("dt") { "お支払い方法" }
                el("dd") { request.payment.label }
                el("dt") { "手数料の合計" }
                el("dd", .id("total-fee")) { el("strong") { yen(request.feeYen) } }
            }
            Form.post(action: target.confirmAction, csrfToken: csrfToken) {
                Form.hidden(name: "form_token", value: formToken)
                for (name, value) in target.carried { Form.hidden(name: name, value: value) }
                Form.hidden(name: "type", value: type.code)
                Form.hidden(name: "copies", value: String(request.copies))
                Form.hidden(name: "requester", value: request.requester.rawValue)
                for option in type.options {
                    Form.hidden(name: option.formName, value: request.options[option.code] ?? "")
                }
                Form.hidden(name: "purpose", value: request.purpose ?? "")
                Form.hidden(name: "delivery", value: request.delivery.rawValue)
                Form.hidden(name: "pickup_date", value: request.pickupDate ?? "")
                Form.hidden(name: "mailing_address", value: input.mailingAddress)
                Form.hidden(name: "payment", value: request.payment.rawValue)
                if let letter = request.letterOfAttorney {
                    Form.hidden(name: "letter_filename", value: letter.filename)
                    Form.hidden(name: "letter_data", value: Base64URL.encode(letter.data))
                }
                Form.submit(request.payment == .online ? "請求して支払いへ進む" : "請求する")
            }
            el("p") { el("a", .href(target.restartPath)) { "最初から入力し直す" } }
        }
    }

    static func status(
        _ request: CertificateRequest, type: CertificateType?, events: [CertificateStore.Event], fees: [FeeCharge],
        justRequested: Bool
    ) -> Page {
        let name = type?.name ?? request.typeCode
        return Page(title: "\(name)の請求") {
            el("h1") { "\(name)の請求" }
            if justRequested { el("p", .class("notice"), Attribute("role", "status")) { "請求を受け付けました。" } }
            el("dl", .class("summary")) {
                el("dt") { "状況" }
                el("dd", .id("status")) { el("strong") { request.status.label } }
                if !request.status.isClosed && request.status != .ready {
                    el("dt") { "交付準備の予定" }
                    el("dd") { JapanTime.format(request.expectedReadyAt) }
                }
                el("dt") { "通数" }
                el("dd") { "\(request.copies)通" }
                el("dt") { "受け取り方法" }
                el("dd") {
                    request.delivery.label
                    if let date = request.pickupDate { "（\(CalendarDate.japanese(date))以降）" }
                    if let date = request.mailedOn { "（\(CalendarDate.japanese(date))に郵送）" }
                }
                el("dt") { "手数料" }
                el("dd") {
                    yen(request.feeYen)
                    if request.payment == .counter { "（窓口でお支払い）" }
                    if let charge = fees.last { "（\(feeLabel(charge.state))）" }
                }
                if let reason = request.rejectionReason {
                    el("dt") { "理由" }
                    el("dd") { reason }
                }
            }
            if let payPath = fees.last?.payPath, request.status == .submitted {
                el("p") { el("a", .href(payPath), .class("button")) { "手数料を支払う" } }
            }
            el("h2") { "状況の履歴" }
            el("ul") {
                for event in events { el("li") { "\(JapanTime.format(event.at))　\(event.toStatus.label)" } }
            }
            el("p") { el("a", .href("/mypage")) { "マイページへ戻る" } }
        }
    }

    /// The chosen options as `dt`/`dd` pairs: the resident's confirmation and the clerk's detail page.
    static func chosenOptions(_ options: [CertificateOption], _ chosen: [String: String]) -> [Node] {
        options.flatMap { option in
            [
                el("dt") { option.label },
                el("dd") {
                    switch option.kind {
                    case .boolean: chosen[option.code] == "yes" ? "記載する" : "記載しない"
                    case .fiscalYear:
                        chosen[option.code].flatMap(Int.init).flatMap { FiscalYear($0).japaneseName } ?? ""
                    }
                },
            ]
        }
    }

    static func feeLabel(_ state: FeeCharge.State) -> String {
        switch state {
        case .awaitingPayment: "未払い"
        case .paid: "支払済み"
        case .failed: "支払いに失敗しました"
        case .cancelled: "取消済み"
        case .expired: "期限切れ"
        case .refunded: "返金済み"
        }
    }
}

/// Where the request form and its confirmation post, and whose frame they wear: a resident's own pages, or a
/// clerk filling the same form for a resident standing at the counter (書かない窓口).
struct RequestFormTarget {
    let checkAction: String
    let confirmAction: String
    let restartPath: String
    /// Fields both pages carry besides the request's own: the resident a clerk is serving.
    let carried: [(String, String)]
    /// For a clerk: who the request is for, shown above the form.
    let counterResident: (name: String, number: Int64)?

    static func resident(_ type: CertificateType) -> RequestFormTarget {
        RequestFormTarget(
            checkAction: "/certificates/new/\(type.code)", confirmAction: "/certificates/confirm",
            restartPath: "/certificates/new/\(type.code)", carried: [], counterResident: nil)
    }

    static func counter(_ type: CertificateType, residentID: Int64, residentName: String) -> RequestFormTarget {
        RequestFormTarget(
            checkAction: "/staff/certificates/counter/check/\(type.code)",
            confirmAction: "/staff/certificates/counter/confirm",
            restartPath: "/staff/certificates/counter/new?resident=\(residentID)&type=\(type.code)",
            carried: [("resident_id", String(residentID))],
            counterResident: (residentName, residentID))
    }

    var servedResident: Node {
        guard let (name, number) = counterResident else { return .fragment([]) }
        return el("p", .class("notice")) { "窓口での請求：\(name) 様（住民番号 \(number)）。手数料は窓口でお支払いいただきます。" }
    }

    func page(_ title: String, @NodeBuilder body: () -> [Node]) -> Page {
        guard counterResident != nil else { return Page(title: title, body: body) }
        return StaffCertificatePages.page(title, body: body)
    }
}
