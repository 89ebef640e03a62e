import Formats
import Foundation
import HTTP
import Web

/// The kiosk, the printed ticket, the follow page and the board.
enum TicketPages {
    /// The board is read from across the room: white and yellow on black, numbers a sixth of the screen high,
    /// and nothing that moves. Its own stylesheet, because the pages' CSP allows no inline style.
    static let boardStylesheet = CachedRepresentation(
        body: Data(
            """
            html,body{margin:0;background:#000;color:#fff;font-family:sans-serif;font-size:max(18px,2.5vw)}
            body{padding:2vw}
            h1{font-size:4vw;margin:0 0 1vw}
            .now{display:flex;flex-wrap:wrap;gap:2vw;margin-bottom:2vw}
            .counter{border:0.4vw solid #ff0;padding:1vw 2vw;min-width:25vw}
            .counter .name{font-size:3.5vw}
            .counter .number{font-size:11vw;font-weight:bold;color:#ff0;line-height:1.1}
            table{border-collapse:collapse;width:100%;font-size:3.5vw}
            th,td{border-bottom:0.2vw solid #fff;padding:0.6vw 1vw;text-align:left}
            td.count,td.wait{font-weight:bold;color:#ff0}
            .updated{font-size:2vw;color:#ccc;margin-top:1vw}

            """.utf8), contentType: "text/css; charset=utf-8", cacheControl: "public, max-age=3600")

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The board's bytes: now serving per counter, waiting and the estimate per category. It reloads itself every
    /// 15 seconds without JavaScript.
    static func board(_ state: TicketWorkflow.BoardState, service: CertificateService) -> Data {
        var html = """
            <!doctype html><html lang="ja"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1">\
            <meta http-equiv="refresh" content="15"><title>呼び出し状況 | \(escape(Page.residentSiteName))</title>\
            <link rel="stylesheet" href="/board.css"></head><body><main>\
            <h1>ただいまの呼び出し</h1><div class="now">
            """
        for counter in service.counters {
            let called = state.called.first { $0.counterNumber == counter.number }
            html += "<div class=\"counter\"><div class=\"name\">\(escape(counter.name))</div>"
            html += "<div class=\"number\">\(called.map { escape($0.displayNumber(service)) } ?? "―")</div></div>"
        }
        html += "</div><table><thead><tr><th scope=\"col\">受付</th><th scope=\"col\">お待ちの方</th>"
        html += "<th scope=\"col\">待ち時間の目安</th></tr></thead><tbody>"
        for category in state.categories {
            let waiting = category.waiting.count
            html += "<tr><td>\(escape(category.category.name))</td><td class=\"count\">\(waiting)人</td>"
            html +=
                "<td class=\"wait\">\(waiting == 0 ? "すぐご案内" : WaitEstimator.label(category.estimate(ahead: waiting)))</td></tr>"
        }
        html += "</tbody></table><p class=\"updated\">\(escape(CalendarDate.japanese(state.serviceDate)))　15秒ごとに更新</p>"
        html += "</main></body></html>"
        return Data(html.utf8)
    }

    static func kiosk(_ service: CertificateService, csrfToken: String) -> Page {
        Page(title: "番号札") {
            el("h1") { "番号札をお取りください" }
            el("p") { "ご用件を押してください。番号札が出ます。" }
            for category in service.categories {
                Form.post(action: "/kiosk/tickets", csrfToken: csrfToken) {
                    Form.hidden(name: "category", value: category.code)
                    el("button", Attribute("type", "submit"), .class("kiosk-button")) { category.name }
                }
            }
        }
    }

    static func printed(_ ticket: CounterTicket, follow: TicketWorkflow.Follow?, service: CertificateService, qr: Node?)
        -> Page
    {
        Page(title: "番号札 \(ticket.displayNumber(service))") {
            el("h1") { "番号札" }
            el("p", .class("ticket-number"), .id("ticket-number")) { ticket.displayNumber(service) }
            el("p") { service.category(code: ticket.categoryCode)?.name ?? "" }
            if let follow {
                el("p") { "前にお待ちの方：\(follow.ahead)人（\(WaitEstimator.label(follow.estimateSeconds))）" }
            }
            el("p") { "スマートフォンで読み取ると、順番と待ち時間の目安が見られます。" }
            if let qr { qr }
            el("p") { el("a", .href("/tickets/\(ticket.followToken)")) { "順番を確かめるページ" } }
            el("p") { el("a", .href("/kiosk")) { "次の方へ" } }
        }
    }

    static func follow(_ follow: TicketWorkflow.Follow, service: CertificateService, csrfToken: String?) -> Page {
        let ticket = follow.ticket
        var page = Page(title: "番号札 \(ticket.displayNumber(service))") {
            el("h1") { "番号札 \(ticket.displayNumber(service))" }
            el("p") { service.category(code: ticket.categoryCode)?.name ?? "" }
            switch ticket.status {
            case .waiting:
                el("p", .id("position")) { el("strong") { "前にお待ちの方：\(follow.ahead)人" } }
                el("p", .id("estimate")) { "待ち時間の目安：\(WaitEstimator.label(follow.estimateSeconds))" }
                if let csrfToken, ticket.residentID == nil {
                    Form.post(action: "/tickets/\(ticket.followToken)/notify", csrfToken: csrfToken) {
                        el("p", .class("hint")) { "LINE 連携済みの方は、あと3人になったら LINE でお知らせします。" }
                        Form.submit("順番が近づいたら LINE で知らせる", secondary: true)
                    }
                } else if ticket.residentID != nil {
                    el("p") { "あと3人になったら LINE でお知らせします。" }
                }
            case .called:
                el("p", .id("position")) {
                    el("strong") { "呼び出し中です。\(ticket.counterNumber.map { "\($0)番窓口" } ?? "窓口")へお越しください。" }
                }
            case .done, .noShow:
                el("p", .id("position")) { "この番号札の受付は終わりました。" }
            }
            el("p", .class("hint")) { "このページは30秒ごとに新しくなります。" }
        }
        if ticket.status == .waiting || ticket.status == .called { page.refreshSeconds = 30 }
        return page
    }
}
