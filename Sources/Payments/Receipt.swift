import Formats
import Foundation
import Identity
import ServiceKit
import Store
import Web

/// 領収書: one per captured payment, printable on A4. The number is the capture year (JST) and the payment id,
/// so it never changes and never repeats.
struct Receipt: Sendable, Equatable {
    let number: String
    /// 宛名: the payer's name when the payer is the one viewing, else blank (written in by hand, as on a counter
    /// receipt).
    let addressee: String?
    let amountYen: Int
    /// 但し書き
    let description: String
    let purposeLabel: String
    let paidOn: String
    let method: PaymentMethod?
    let issuer: String

    static func number(for payment: StoredPayment) -> String {
        number(id: payment.id, year: CalendarDate.today(at: payment.capturedAt ?? payment.createdAt).prefix(4))
    }

    /// `R2026-000001`: the payment's id in the Japanese year it was captured (or created).
    static func number(id: Int64, year: some StringProtocol) -> String {
        let id = String(id)
        return "R\(year)-" + String(repeating: "0", count: max(0, 6 - id.count)) + id
    }

    /// Nil unless the payment was captured. The name is filled in only for `viewerResidentID`'s own payment.
    static func load(
        _ payment: StoredPayment, purposes: PurposeCatalog, viewerResidentID: Int64?, on connection: Connection
    ) throws -> Receipt? {
        guard payment.state.isPaid, let capturedAt = payment.capturedAt else { return nil }
        var addressee: String? = nil
        if case .resident(let id) = payment.payer, id == viewerResidentID {
            addressee = try ResidentStore.fetchResident(id: id, on: connection)?.profile.fullName
        }
        let town = TownProfile.current
        return Receipt(
            number: number(for: payment), addressee: addressee, amountYen: payment.amountYen,
            description: payment.description, purposeLabel: purposes.label(payment.purpose),
            paidOn: Wareki.date(at: capturedAt) ?? JapanTime.formatDate(capturedAt), method: payment.method,
            issuer: "\(town.name)　会計管理者（\(town.office)）")
    }

    func page(backPath: String) -> Page {
        Page(title: "領収書") {
            el("section", .class("receipt"), Attribute("aria-labelledby", "receipt-title")) {
                el("h1", .id("receipt-title")) { "領収書" }
                el("p", .class("receipt-number")) { "No. \(number)" }
                el("p", .class("receipt-addressee")) { "\(addressee ?? "　　　　　　　　") 様" }
                el("p", .class("receipt-amount")) { "金額　￥\(YenText.format(amountYen).dropLast())－" }
                el("p") { "但し　\(description)（\(purposeLabel)）として" }
                el("p") { "上記の金額を正に領収いたしました。" }
                el("dl", .class("summary")) {
                    el("dt") { "領収日" }
                    el("dd") { paidOn }
                    if let method {
                        el("dt") { "お支払い方法" }
                        el("dd") { method.label }
                    }
                    el("dt") { "発行者" }
                    el("dd") { issuer }
                }
            }
            el("p") { el("a", .href(backPath)) { "お支払いのページへ戻る" } }
        }
    }
}

extension PaymentWorkflow {
    /// The receipt notice, in the write that captures the payment: to the resident, or for a guest findable by
    /// the payment's id.
    func sendReceiptMessage(_ payment: StoredPayment, at time: Date, on connection: Connection) throws {
        let residentID: Int64? = if case .resident(let id) = payment.payer { id } else { nil }
        try ResidentMessages.send(
            subject: "【領収書】お支払いを受け付けました",
            body: """
                次のお支払いを受け付けました。
                内容：\(payment.description)
                金額：\(YenText.format(payment.amountYen))
                領収書番号：\(Receipt.number(for: payment))
                領収書は、マイページの「お支払い」またはお支払いのページから表示・印刷できます。
                """, to: residentID, source: PaymentsModule.name, recordID: payment.id, at: time, on: connection)
    }
}

/// "本日のお支払い" on the staff dashboard: today's captured payments (JST), online and at the counter.
struct PaymentsDashboardTile: StaffDashboardTile {
    let now: @Sendable () -> Date

    var title: String { "本日のお支払い" }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        let day = CalendarDate.today(at: now())
        guard let start = JapanTime.startOfDay(day),
            let end = JapanTime.startOfDay(CalendarDate.adding(days: 1, to: day))
        else { return [] }
        let rows = try PaymentStore.countCaptured(from: start, to: end, on: connection)
        let online = rows.first { $0.channel == "web" } ?? (0, 0, "web")
        let counter = rows.first { $0.channel == "counter" } ?? (0, 0, "counter")
        return [
            el("p") { "オンライン：\(online.count) 件　\(YenText.format(online.total))" },
            el("p") { "窓口：\(counter.count) 件　\(YenText.format(counter.total))" },
            el("p") { el("a", .href("/staff/payments")) { "お支払いの一覧・窓口での受領" } },
        ]
    }
}
