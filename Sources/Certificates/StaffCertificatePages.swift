import Formats
import Foundation
import HTTP
import Identity
import ServiceKit
import Web

struct QueueItem: Sendable {
    let request: CertificateRequest
    let residentName: String
}

/// The staff pages' HTML: wide, for desks.
enum StaffCertificatePages {
    static func page(_ title: String, @NodeBuilder body: () -> [Node]) -> Page {
        var page = Page(title: title, siteName: Page.staffSiteName, homePath: "/staff/", body: body)
        page.wide = true
        return page
    }

    static func messageText(_ code: String?) -> String? {
        switch code {
        case "empty": "処理待ちの請求はありません。"
        case "held": "ほかの職員がこの請求を担当しています。"
        case "conflict": "操作できませんでした。ほかの職員が担当しているか、担当期限が切れたか、状態が変わっています。"
        case "invalid": "入力が足りません。郵送日・本人確認書類・理由を確かめてください。"
        case "done": "更新しました。"
        case "entered": "窓口での請求を受け付けました。「窓口で待機中」として一覧の先頭に並びます。"
        default: nil
        }
    }

    static func queue(
        _ items: [QueueItem], catalog: CertificateCatalog, staff: AuthenticatedStaff, now: Date,
        message: String?
    ) -> Page {
        page("証明書の請求一覧") {
            el("h1") { "証明書の請求一覧" }
            if let text = messageText(message) { el("p", .class("notice"), Attribute("role", "status")) { text } }
            Form.button(action: "/staff/certificates/claim-next", csrfToken: staff.csrfToken, label: "次の請求を担当する")
            el("p") { el("a", .href("/staff/certificates/counter")) { "窓口に来た方の請求を入力する（書かない窓口）" } }
            Table.scrolling(label: "証明書の請求") {
                el("thead") {
                    el("tr") {
                        for heading in ["番号", "受付", "証明書", "通数", "請求者", "受け取り", "状況", "担当"] {
                            el("th", Attribute("scope", "col")) { heading }
                        }
                    }
                }
                el("tbody") {
                    for item in items {
                        let (request, name) = (item.request, item.residentName)
                        el("tr") {
                            el("td") { el("a", .href("/staff/certificates/\(request.id)")) { "#\(request.id)" } }
                            el("td") {
                                JapanTime.format(request.createdAt)
                                if request.priority == 1 { el("strong") { " 窓口で待機中" } }
                            }
                            el("td") { catalog.type(code: request.typeCode)?.name ?? request.typeCode }
                            el("td") { "\(request.copies)通" }
                            el("td") { name }
                            el("td") { request.delivery.label }
                            el("td") { request.status.label }
                            el("td") {
                                if request.isHeld(by: staff.id, at: now) {
                                    "あなた"
                                } else if request.isHeldByAnother(than: staff.id, at: now) {
                                    "担当中"
                                } else {
                                    "未担当"
                                }
                            }
                        }
                    }
                }
            }
            el("p") { el("a", .href("/staff/certificates/calendar")) { "閉庁日の設定（管理者）" } }
        }
    }

    static func detail(
        _ view: CertificateWorkflow.StaffView, type: CertificateType?, staff: AuthenticatedStaff, now: Date,
        message: String?
    ) -> Page {
        let request = view.request
        let held = request.isHeld(by: staff.id, at: now)
        return page("証明書の請求 #\(request.id)") {
            el("h1") { "\(type?.name ?? request.typeCode)（#\(request.id)）" }
            if let text = messageText(message) { el("p", .class("notice"), Attribute("role", "status")) { text } }
            el("dl", .class("summary")) {
                el("dt") { "状況" }
                el("dd", .id("status")) { request.status.label }
                el("dt") { "請求者" }
                el("dd") { "\(view.residentName)（\(request.requester.label)）" }
                el("dt") { "住所" }
                el("dd") { view.residentAddress }
                el("dt") { "通数" }
                el("dd") { "\(request.copies)通" }
                CertificatePages.chosenOptions(type?.options ?? [], request.options)
                if let purpose = request.purpose {
                    el("dt") { "使用目的" }
                    el("dd") { purpose }
                }
                if request.hasLetterOfAttorney {
                    el("dt") { "委任状" }
                    el("dd") { el("a", .href("/staff/certificates/\(request.id)/letter")) { "委任状をダウンロード" } }
                }
                el("dt") { "受け取り" }
                el("dd") {
                    request.delivery.label
                    if let date = request.pickupDate { "（\(CalendarDate.japanese(date))）" }
                    if let address = request.mailingAddress { "（\(address)）" }
                }
                el("dt") { "手数料" }
                el("dd") {
                    CertificatePages.yen(request.feeYen)
                    request.payment == .online ? "（オンライン）" : "（窓口で支払い）"
                    if let charge = view.fees.last { "：\(CertificatePages.feeLabel(charge.state))" }
                }
                if let reason = request.rejectionReason {
                    el("dt") { "理由" }
                    el("dd") { reason }
                }
            }
            if held {
                el("p") { "この請求はあなたが担当しています（このページを開いている間は担当が続きます）。" }
                // The heartbeat is a frame that reloads itself, not this page: a reason half-typed below survives it.
                el(
                    "iframe", Attribute("src", "/staff/certificates/\(request.id)/heartbeat"),
                    .class("lease-heartbeat"), Attribute("title", "担当期限（開いている間は自動で延長します）"))
                actions(request, staff: staff, now: now)
                Form.button(
                    action: "/staff/certificates/\(request.id)/release", csrfToken: staff.csrfToken, label: "担当を外れる",
                    secondary: true)
            } else if request.isHeldByAnother(than: staff.id, at: now) {
                el("p", .class("notice")) { "ほかの職員が担当しています。" }
            } else if !request.status.isClosed {
                Form.button(
                    action: "/staff/certificates/\(request.id)/claim", csrfToken: staff.csrfToken, label: "担当する")
            }
            el("h2") { "履歴" }
            el("ul") {
                for event in view.events {
                    el("li") {
                        "\(JapanTime.format(event.at))　\(event.toStatus.label)\(event.note.map { "（\($0)）" } ?? "")"
                    }
                }
            }
            el("p") { el("a", .href("/staff/certificates")) { "一覧へ戻る" } }
        }
    }

    /// The lease heartbeat the detail page frames: a document of its own that reloads itself every
    /// `refreshSeconds` without JavaScript, showing when the lease ends in JST. Once the lease is gone it says
    /// so and stops reloading. The only response this site lets a page of its own origin frame.
    static func heartbeat(requestID: Int64, leaseExpiry: Date?, now: Date, refreshSeconds: Int) -> Response {
        let document = el("html", Attribute("lang", "ja")) {
            el("head") {
                void("meta", Attribute("charset", "utf-8"))
                el("title") { "担当期限（#\(requestID)）" }
                if leaseExpiry != nil {
                    void("meta", Attribute("http-equiv", "refresh"), Attribute("content", String(refreshSeconds)))
                }
                void("link", Attribute("rel", "stylesheet"), .href(Stylesheet.path))
            }
            el("body", .class("frame")) {
                if let leaseExpiry {
                    let minutes = Int((leaseExpiry.timeIntervalSince(now) / 60).rounded(.up))
                    el("p", .id("lease")) {
                        "担当期限 \(JapanTime.format(leaseExpiry))（あと\(minutes)分）。開いている間は自動で延長します。"
                    }
                } else {
                    el("p", .id("lease")) { el("strong") { "この案件の担当は外れました" } }
                }
            }
        }
        var response = Response.html(Data(("<!doctype html>" + document.render()).utf8))
        response.allowsSameOriginFraming = true
        return response
    }

    static func actions(_ request: CertificateRequest, staff: AuthenticatedStaff, now: Date) -> Node {
        let base = "/staff/certificates/\(request.id)/actions"
        return el("div", .class("actions")) {
            if CertificateRules.target(of: .start, from: request.status, delivery: request.delivery) != nil {
                Form.button(action: "\(base)/start", csrfToken: staff.csrfToken, label: "準備を始める")
            }
            if CertificateRules.target(of: .ready, from: request.status, delivery: request.delivery) != nil {
                Form.button(action: "\(base)/ready", csrfToken: staff.csrfToken, label: "交付準備完了にする")
            }
            if CertificateRules.target(of: .mail, from: request.status, delivery: request.delivery) != nil {
                Form.post(action: "\(base)/mail", csrfToken: staff.csrfToken) {
                    Form.date(name: "mailed_on", label: "郵送した日", value: CalendarDate.today(at: now))
                    Form.submit("郵送済みにする")
                }
            }
            if CertificateRules.target(of: .handOver, from: request.status, delivery: request.delivery) != nil {
                Form.post(action: "\(base)/hand_over", csrfToken: staff.csrfToken) {
                    Form.select(
                        name: "identity_document", label: "確認した本人確認書類（種類のみ記録します）",
                        options: IdentityDocument.allCases.map { FormOption($0.rawValue, $0.label) })
                    if request.payment == .counter {
                        el("p") { "手数料 \(CertificatePages.yen(request.feeYen)) を窓口で受け取ってください。" }
                    }
                    Form.submit("交付済みにする")
                }
            }
            if CertificateRules.target(of: .reject, from: request.status, delivery: request.delivery) != nil {
                Form.post(action: "\(base)/reject", csrfToken: staff.csrfToken) {
                    Form.text(name: "reason", label: "交付できない理由（請求者に伝わります）")
                    Form.submit("交付しない", secondary: true)
                }
            }
        }
    }

    static func calendar(_ dates: [(date: String, reason: String)], errors: FormErrors, staff: AuthenticatedStaff)
        -> Page
    {
        page("閉庁日の設定") {
            el("h1") { "閉庁日の設定" }
            el("p") { "土曜・日曜と12月29日〜1月3日はいつも閉庁日です。そのほかの閉庁日を追加します。" }
            el("ul") {
                for entry in dates { el("li") { "\(CalendarDate.japanese(entry.date))：\(entry.reason)" } }
            }
            Form.errorSummary(errors)
            Form.post(action: "/staff/certificates/calendar", csrfToken: staff.csrfToken) {
                Form.date(name: "date", label: "閉庁日", error: errors["date"])
                Form.text(name: "reason", label: "理由", error: errors["reason"])
                Form.submit("閉庁日を追加する")
            }
        }
    }
}
