import Foundation
import ServiceKit
import Store
import Web

/// "お支払い" on マイページ: the resident's fees, what is still to pay, and the receipts of what was paid.
struct PaymentsMyPageSection: MyPageSection {
    var title: String { "お支払い" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let lines = try PaymentStore.fetchMyPageLines(residentID: residentID, limit: 20, on: connection)
            .filter { $0.state != .cancelled || $0.channel == "counter" }
        guard !lines.isEmpty else { return [el("p") { "お支払いの記録はありません。" }] }
        return [
            el("ul", .class("payments")) {
                for line in lines {
                    el("li") {
                        "\(line.description)　\(YenText.format(line.amountYen))：\(line.state.label)"
                        if line.state == .created {
                            " "
                            el("a", .href(line.payPath)) { "支払う" }
                        }
                        if line.state.isPaid {
                            " "
                            el("a", .href(line.payPath + "/receipt")) {
                                "領収書（No. \(Receipt.number(id: line.id, year: line.receiptYear))）"
                            }
                        }
                    }
                }
            }
        ]
    }
}

extension PaymentStore {
    /// One line of マイページ's "お支払い": only what the line shows.
    struct MyPageLine: Sendable, Equatable {
        let id: Int64
        let description: String
        let amountYen: Int
        let state: PaymentState
        let channel: String
        let checkoutToken: String
        /// The Japanese year of the capture (or creation), for the receipt number; SQLite's date functions
        /// take it from the stored text, so no timestamp is parsed into a `Date` for it.
        let receiptYear: String

        var payPath: String { "/payments/\(checkoutToken)" }
    }

    /// マイページ's rows, newest first, by position: the whole `StoredPayment` (22 columns looked up by name, six
    /// timestamps parsed) cost 170,000 instructions for the demo resident's two payments (callgrind).
    static func fetchMyPageLines(residentID: Int64, limit: Int, on connection: Connection) throws -> [MyPageLine] {
        try connection.query(
            """
            SELECT id, description, amount_yen, state, channel, checkout_token,
                strftime('%Y', coalesce(captured_at, created_at), '+9 hours')
            FROM payments WHERE payer_resident_id = ? ORDER BY id DESC LIMIT ?
            """, residentID, limit
        ).map { row in
            let stateText: String = try row.get(3)
            guard let state = PaymentState(rawValue: stateText) else {
                throw RowDecodingError(column: "state", reason: "unknown state")
            }
            return MyPageLine(
                id: try row.get(0), description: try row.get(1), amountYen: try row.get(2), state: state,
                channel: try row.get(4), checkoutToken: try row.get(5), receiptYear: try row.get(6))
        }
    }
}
