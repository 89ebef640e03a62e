import Formats
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

@Suite("Counter tickets, the board and the follow page")
struct TicketTests {
    func take(_ kiosk: Browser, _ category: String) throws -> (number: String, followPath: String) {
        _ = try kiosk.get("/kiosk")
        let taken = try kiosk.submit("/kiosk/tickets", form: [("category", category)])
        #expect(taken.status == 303)
        let printed = try kiosk.get(try #require(taken.location))
        let number = try #require(
            printed.text.range(of: "id=\"ticket-number\">").map { range in
                String(printed.text[range.upperBound...].prefix(5))
            })
        let token = try #require(taken.location?.split(separator: "/").last)
        return (number, "/tickets/\(token)")
    }

    @Test func thePrintedTicketCarriesAQRCodeOfItsFollowURL() throws {
        let app = try TestApplication()
        let kiosk = app.browser()
        _ = try kiosk.get("/kiosk")
        let taken = try kiosk.submit("/kiosk/tickets", form: [("category", "zei")])
        let printed = try kiosk.get(try #require(taken.location))
        let token = try #require(taken.location?.split(separator: "/").last)
        let url = "http://127.0.0.1:\(app.application.server.port)/tickets/\(token)"
        let expected = try QRCode(text: url).svg(
            title: "番号札の順番を確かめるページ（QR コード）", size: .millimetres(30))
        #expect(printed.text.contains(expected))
        #expect(printed.text.contains("class=\"qr-code\""))
        #expect(try app.browser().get("/tickets/\(token)").text.contains("前にお待ちの方：0人"))
    }

    @Test func numbersRestartEachJSTDayPerCategory() throws {
        let app = try TestApplication()
        let kiosk = app.browser()
        // 2026-04-01 23:59:59 JST is 14:59:59Z.
        app.clock.set(Date(timeIntervalSince1970: 1_775_055_599))
        #expect(try take(kiosk, "juminhyo-koseki").number == "A-001")
        #expect(try take(kiosk, "juminhyo-koseki").number == "A-002")
        #expect(try take(kiosk, "zei").number == "B-001")
        app.clock.advance(by: 1)  // 2026-04-02 00:00:00 JST
        #expect(try take(kiosk, "juminhyo-koseki").number == "A-001")
        #expect(try take(kiosk, "zei").number == "B-001")
        let days = try app.database.read {
            try $0.query("SELECT DISTINCT service_date FROM counter_tickets ORDER BY 1").map {
                try $0.get(0, as: String.self)
            }
        }
        #expect(days == ["2026-04-01", "2026-04-02"])
        #expect(
            try CertificateFixtures.count(
                app.database,
                "SELECT count(*) FROM usage_events WHERE kind = 'ticket_taken' AND channel = 'counter'") == 5)
    }

    @Test func theBoard_refreshesItself_changesWithTheQueue_andAnswers304ForTheSameBytes() throws {
        let app = try TestApplication()
        let kiosk = app.browser()
        for _ in 0..<3 { _ = try take(kiosk, "juminhyo-koseki") }
        let board = try app.request("GET", "/board")
        #expect(board.status == 200)
        #expect(board.text.contains("<meta http-equiv=\"refresh\" content=\"15\">"))
        #expect(board.text.contains("<td class=\"count\">3人</td>"))
        #expect(board.text.contains("約15分"), "no history yet: 5 minutes each, 3 ahead, 1 desk")
        let tag = try #require(board.headers["etag"])
        #expect(try app.request("GET", "/board", headers: [("If-None-Match", tag)]).status == 304)
        #expect(try app.request("GET", "/board.css").status == 200)

        try Fixtures.makeStaff(app.database, loginID: "clerk")
        let clerk = app.browser()
        try clerk.signInAsStaff("clerk")
        _ = try clerk.get("/staff/tickets")
        #expect(try clerk.submit("/staff/tickets/call-next", form: [("counter", "1")]).status == 303)
        let after = try app.request("GET", "/board", headers: [("If-None-Match", tag)])
        #expect(after.status == 200)
        #expect(after.text.contains("<div class=\"number\">A-001</div>"))
        #expect(after.text.contains("<td class=\"count\">2人</td>"))
    }

    @Test func theFollowPage_showsPositionAndEstimate_andALinkedResidentHearsWhenThreeAhead() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        let kiosk = app.browser()
        var follows: [String] = []
        for _ in 0..<5 { follows.append(try take(kiosk, "juminhyo-koseki").followPath) }
        let phone = app.browser()
        try phone.signInAsResident()
        let page = try phone.get(follows[4])
        #expect(page.text.contains("前にお待ちの方：4人"))
        #expect(page.text.contains("待ち時間の目安：約20分"))
        #expect(page.headers["cache-control"] == "no-store")
        #expect(try app.request("GET", "/tickets/not-a-real-token-at-all-0000000").status == 404)
        _ = try phone.submit(follows[4] + "/notify", form: [])
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM resident_messages") == 0)

        try Fixtures.makeStaff(app.database, loginID: "clerk")
        let clerk = app.browser()
        try clerk.signInAsStaff("clerk")
        _ = try clerk.get("/staff/tickets")
        _ = try clerk.submit("/staff/tickets/call-next", form: [("counter", "1")])
        let message = try app.database.read {
            try $0.queryFirst("SELECT resident_id, subject, body FROM resident_messages")
        }
        #expect((try message?.get("resident_id", as: Int64.self)) == residentID)
        #expect((try message?.get("subject", as: String.self)) == "【番号札 A-005】まもなく呼ばれます")
        #expect((try message?.get("body", as: String.self))?.contains("3人") == true)
        _ = try clerk.get("/staff/tickets")
        _ = try clerk.submit("/staff/tickets/call-next", form: [("counter", "1")])
        #expect(try CertificateFixtures.count(app.database, "SELECT count(*) FROM resident_messages") == 1, "once")

        // Done, no-show, and a ticket moved to another category keeps its printed number.
        let called = try #require(
            try app.database.read {
                try $0.scalar(
                    "SELECT id FROM counter_tickets WHERE status = 'called' ORDER BY id LIMIT 1", as: Int64.self)
            })
        _ = try clerk.get("/staff/tickets")
        _ = try clerk.submit("/staff/tickets/\(called)/finish", form: [("status", "no_show")])
        let third = try #require(
            try app.database.read {
                try $0.scalar("SELECT id FROM counter_tickets WHERE number = 3", as: Int64.self)
            })
        _ = try clerk.get("/staff/tickets")
        _ = try clerk.submit("/staff/tickets/\(third)/move", form: [("category", "zei")])
        let moved = try phone.get(follows[2])
        #expect(moved.text.contains("番号札 A-003"))
        #expect(moved.text.contains("税の証明"))
        _ = try clerk.get("/staff/tickets")
        _ = try clerk.submit("/staff/tickets/call-next", form: [("counter", "2")])
        #expect(try phone.get(follows[2]).text.contains("呼び出し中です。2番窓口へお越しください。"))
        let api = try app.request("GET", "/api/v1/tickets")
        #expect(api.status == 200)
        #expect(api.text.contains("\"calling\":\"A-003\""))
    }
}
