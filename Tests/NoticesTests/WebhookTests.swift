import Foundation
import HTTP
import HTTPClient
import Notices
import Security
import Store
import TestSupport
import Testing

@Suite("LINE webhook, account linking and the fallback list")
struct WebhookTests {
    static let secret = "channel-secret-for-tests"
    let directory = TemporaryDirectory()
    let store: NoticeStore
    let processor: WebhookEventProcessor
    let server: LiveServer
    let clock = ManualTimeSource()

    init() throws {
        store = NoticeStore(database: try Fixtures.makeDatabase(in: directory, withDistricts: true))
        processor = WebhookEventProcessor(store: store, clock: clock.function)
        var routes = Routes()
        routes.register(
            NoticeWebhookRoutes(channelSecret: ChannelSecret(Self.secret), store: store, processor: processor))
        server = try LiveServer(routes: routes)
    }

    // MARK: Building LINE's requests

    /// A unique id in the shape of LINE's (a 26-character ULID).
    static func eventID() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(26))
    }

    static func event(
        _ type: String, user: String, id: String = eventID(), redelivery: Bool = false, text: String? = nil,
        timestamp: Int64 = 1_775_001_600_000
    ) -> [String: Any] {
        var event: [String: Any] = [
            "type": type, "mode": "active", "timestamp": timestamp, "webhookEventId": id,
            "deliveryContext": ["isRedelivery": redelivery], "source": ["type": "user", "userId": user],
        ]
        if type == "follow" {
            event["replyToken"] = "reply-token"
            event["follow"] = ["isUnblocked": false]
        }
        if let text {
            event["replyToken"] = "reply-token"
            event["message"] = ["type": "text", "id": "468789577898262530", "quoteToken": "q", "text": text]
        }
        return event
    }

    static func body(_ events: [[String: Any]]) -> Data {
        try! JSONSerialization.data(
            withJSONObject: ["destination": "U" + String(repeating: "f", count: 32), "events": events],
            options: [.sortedKeys])
    }

    /// Posts `events` signed with the channel secret, or with `signature` when given.
    @discardableResult
    func deliver(_ events: [[String: Any]], signature: String?? = .none) throws -> EasyHandle.Response {
        let body = Self.body(events)
        var headers = [("Content-Type", "application/json")]
        let signed = signature ?? LINESignature.sign(body: body, channelSecret: ChannelSecret(Self.secret))
        if let signed { headers.append(("X-Line-Signature", signed)) }
        return try server.request("POST", "/line/webhook", headers: headers, body: body)
    }

    private func storedEventCount() throws -> Int {
        try store.database.read { try $0.scalar("SELECT count(*) FROM line_webhook_events", as: Int.self) ?? 0 }
    }

    // MARK: Signature

    @Test func signature_isBase64HMACSHA256OfTheRawBody() {
        let body = Data(#"{"destination":"U0","events":[]}"#.utf8)
        let secret = ChannelSecret(Self.secret)
        // Computed independently with Python's hmac module.
        #expect(LINESignature.sign(body: body, channelSecret: secret) == "jU08KN6+FLdVl8d/FCdI/RoaUCETFMPwSGm/8/T37NU=")
        #expect(
            LINESignature.isValid("jU08KN6+FLdVl8d/FCdI/RoaUCETFMPwSGm/8/T37NU=", body: body, channelSecret: secret))
        #expect(
            !LINESignature.isValid("jU08KN6+FLdVl8d/FCdI/RoaUCETFMPwSGm/8/T37NV=", body: body, channelSecret: secret))
        #expect(!LINESignature.isValid("not base64!", body: body, channelSecret: secret))
        #expect(!LINESignature.isValid(nil, body: body, channelSecret: secret))
        #expect(!"\(secret)".contains(Self.secret), "a secret never prints")
    }

    @Test func missingOrWrongSignature_is401_andStoresNothing() throws {
        let events = [Self.event("follow", user: Fixtures.lineUserID(1))]
        #expect(try deliver(events, signature: .some(nil)).status == 401)
        let forged = LINESignature.sign(body: Self.body(events), channelSecret: ChannelSecret("someone else's secret"))
        #expect(try deliver(events, signature: .some(forged)).status == 401)
        #expect(try deliver(events, signature: .some("")).status == 401)
        #expect(try storedEventCount() == 0)
    }

    @Test func goodSignature_isAnswered200AtOnce_storedThenProcessed_andRedeliveriesAreSkipped() throws {
        try Fixtures.makeResidents(store.database, count: 1)
        let event = Self.event("unfollow", user: Fixtures.lineUserID(1))
        let response = try deliver([event])
        #expect(response.status == 200)
        #expect(response.text == "{}")
        let id = event["webhookEventId"] as! String
        #expect(
            try store.fetchWebhookEventOutcome(webhookEventID: id)?.processed == false, "answered before processing")

        var redelivered = event
        redelivered["deliveryContext"] = ["isRedelivery": true]
        #expect(try deliver([redelivered]).status == 200)
        #expect(try storedEventCount() == 1, "a redelivered webhookEventId is stored once")

        #expect(try processor.processPendingEvents() == 1)
        #expect(try store.fetchWebhookEventOutcome(webhookEventID: id)?.outcome == "unlinked")
        #expect(try deliver([redelivered]).status == 200)
        #expect(try processor.processPendingEvents() == 0, "and processed once")
    }

    @Test func emptyEvents_areLINEsConnectivityCheck_andMalformedJSONIs400() throws {
        #expect(try deliver([]).status == 200)
        let body = Data("not json".utf8)
        let signature = LINESignature.sign(body: body, channelSecret: ChannelSecret(Self.secret))
        let response = try server.request(
            "POST", "/line/webhook", headers: [("X-Line-Signature", signature), ("Content-Type", "application/json")],
            body: body)
        #expect(response.status == 400)
    }

    // MARK: Linking

    @Test func aCodeFromMyPage_sentInLINE_linksTheResident_once() throws {
        let resident = try Fixtures.makeResidents(store.database, count: 1) { _ in false }[0]
        let linking = AccountLinking(store: store)
        let code = try linking.issueCode(
            residentID: resident, issuedBy: .resident, actor: .resident(id: resident), now: clock.now())
        #expect(code.displayCode.count == 9)
        #expect(code.displayCode.allSatisfy { $0 == "-" || AccountLinking.codeAlphabet.contains($0) })
        #expect(code.expiresAt == clock.now() + 30 * 60)
        let user = Fixtures.lineUserID(77)

        // Typed on a phone: full-width and lower case.
        let typed = code.displayCode.lowercased().applyingTransform(.fullwidthToHalfwidth, reverse: true)!
        try deliver([Self.event("message", user: user, text: typed)])
        try processor.processPendingEvents()
        let link = try #require(try store.fetchActiveLink(residentID: resident))
        #expect(link.lineUserID == user)
        #expect(link.linkedBy == .resident)
        let audit = try store.database.read { try AuditLog.fetch(AuditFilter(), on: $0) }
        #expect(Set(audit.map(\.action)) == ["line_link_code.issue", "line_link.create"])
        #expect(audit.first { $0.action == "line_link.create" }?.subjectID == String(link.id))
        let usage = try store.database.read {
            try $0.query("SELECT source, kind, channel FROM usage_events").map {
                [try $0.get("source", as: String.self), try $0.get("kind"), try $0.get("channel")]
            }
        }
        #expect(usage == [["notices", "line_linked", "line"]], "the link and its usage event commit together")

        // The code is spent: sending it again from another account links nothing.
        let second = Self.event("message", user: Fixtures.lineUserID(78), text: code.displayCode)
        try deliver([second])
        try processor.processPendingEvents()
        #expect(
            try store.fetchWebhookEventOutcome(webhookEventID: second["webhookEventId"] as! String)?.outcome
                == "link_code_rejected")
        #expect(try store.fetchActiveLink(residentID: resident)?.lineUserID == user)
    }

    @Test func expiredAndSupersededCodes_doNotWork_andGuessingIsCapped() throws {
        let resident = try Fixtures.makeResidents(store.database, count: 1) { _ in false }[0]
        let linking = AccountLinking(store: store)
        let old = try linking.issueCode(
            residentID: resident, issuedBy: .counter, actor: .staff(id: 1), now: clock.now())
        let new = try linking.issueCode(
            residentID: resident, issuedBy: .counter, actor: .staff(id: 1), now: clock.now())
        let user = Fixtures.lineUserID(5)
        try deliver([Self.event("message", user: user, text: old.displayCode)])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: resident) == nil, "a newer code replaced it")

        clock.advance(by: 31 * 60)
        try deliver([Self.event("message", user: user, text: new.displayCode)])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: resident) == nil, "expired after 30 minutes")

        // Ten wrong codes in an hour, then even a right one is refused until the hour has passed.
        for _ in 0..<9 { try deliver([Self.event("message", user: user, text: "ABCD-EFGH")]) }
        let fresh = try linking.issueCode(
            residentID: resident, issuedBy: .counter, actor: .staff(id: 1), now: clock.now())
        let attempt = Self.event("message", user: user, text: fresh.displayCode)
        try deliver([attempt])
        try processor.processPendingEvents()
        #expect(
            try store.fetchWebhookEventOutcome(webhookEventID: attempt["webhookEventId"] as! String)?.outcome
                == "link_code_rate_limited")
        clock.advance(by: 3_601)
        let nextDay = try linking.issueCode(
            residentID: resident, issuedBy: .counter, actor: .staff(id: 1), now: clock.now())
        try deliver([Self.event("message", user: user, text: nextDay.displayCode)])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: resident)?.linkedBy == .counter)
        #expect(throws: AccountLinkingError.unknownResident) {
            try linking.issueCode(residentID: 9_999, issuedBy: .counter, actor: .staff(id: 1), now: clock.now())
        }
    }

    @Test func oneActiveLinkPerResidentAndPerLINEUser_aNewLinkReplacesTheOld() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 2) { _ in false }
        let linking = AccountLinking(store: store)
        let phoneA = Fixtures.lineUserID(100)
        let phoneB = Fixtures.lineUserID(200)
        func link(_ resident: Int64, from user: String) throws {
            let code = try linking.issueCode(
                residentID: resident, issuedBy: .resident, actor: .resident(id: resident), now: clock.now())
            try deliver([Self.event("message", user: user, text: code.displayCode)])
            try processor.processPendingEvents()
        }
        try link(residents[0], from: phoneA)
        try link(residents[0], from: phoneB)  // a new phone
        #expect(try store.fetchActiveLink(residentID: residents[0])?.lineUserID == phoneB)
        #expect(try store.fetchLinkHistory(residentID: residents[0]).map(\.unlinkedReason) == [nil, .replaced])
        try link(residents[1], from: phoneB)  // the same LINE account now used for another resident
        #expect(try store.fetchActiveLink(residentID: residents[0]) == nil)
        #expect(try store.fetchActiveLink(lineUserID: phoneB)?.residentID == residents[1])
    }

    @Test func unlinking_worksFromBothSides() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 2)
        let linking = AccountLinking(store: store)
        let actor = AuditActor.resident(id: residents[0])
        #expect(try linking.unlink(residentID: residents[0], reason: .resident, actor: actor, now: clock.now()))
        #expect(try store.fetchActiveLink(residentID: residents[0]) == nil)
        #expect(
            try !linking.unlink(residentID: residents[0], reason: .resident, actor: actor, now: clock.now()),
            "nothing left to unlink")

        try deliver([Self.event("message", user: Fixtures.lineUserID(2), text: "連携解除")])
        try processor.processPendingEvents()
        let history = try store.fetchLinkHistory(residentID: residents[1])
        #expect(history.first?.active == false)
        #expect(history.first?.unlinkedReason == .lineUser)
        // Both ends are in the audit log, by record id, with the resident as the actor.
        let audit = try store.database.read { try AuditLog.fetch(AuditFilter(action: "line_link.end"), on: $0) }
        #expect(Set(audit.map(\.actorID)) == [String(residents[0]), String(residents[1])])
        #expect(audit.allSatisfy { $0.subjectType == "line_link" && $0.actorType == "resident" })
        #expect(try AuditLog.verify(store.database) == .intact(rows: 2))
    }

    @Test func messageTextIsRedactedOnceProcessed_andOtherMessagesAreIgnored() throws {
        let event = Self.event("message", user: Fixtures.lineUserID(3), text: "こんにちは、山田です")
        try deliver([event])
        try processor.processPendingEvents()
        let payload = try store.database.read {
            try $0.scalar("SELECT payload FROM line_webhook_events", as: String.self)
        }
        #expect(payload?.contains("山田") == false)
        #expect(
            try store.fetchWebhookEventOutcome(webhookEventID: event["webhookEventId"] as! String)?.outcome == "ignored"
        )
    }

    // MARK: Unfollow and the fallback list

    @Test func anUnfollowedResidentsNextNotice_landsOnTheFallbackList_withTheText() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 3)
        try deliver([Self.event("unfollow", user: Fixtures.lineUserID(2))])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: residents[1]) == nil)

        let created = try store.createNotice(
            NoticesFixtures.draft(.residents(residents), messages: ["{氏名} 様、{日時}に窓口へどうぞ。"]), now: clock.now())
        #expect(created.requestCount == 2)
        let fallback = try store.fetchFallbackList(noticeID: created.id)
        #expect(fallback.count == 1)
        #expect(fallback[0].residentID == residents[1])
        #expect(fallback[0].reason == .noLink)
        #expect(fallback[0].text == "町民2 様、4月1日 9時に窓口へどうぞ。")
        #expect(fallback[0].name == "町民2")
        #expect(fallback[0].address == "平取町本町2")
        #expect(fallback[0].postalCode == "055-0101")
    }

    @Test func anUnfollowBeforeTheSend_putsTheResidentOnTheFallbackListToo_andAFollowRelinks() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 600)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: clock.now())
        try deliver([Self.event("unfollow", user: Fixtures.lineUserID(42))])
        try processor.processPendingEvents()
        let fallback = try store.fetchFallbackList(noticeID: created.id)
        #expect(fallback.map(\.residentID) == [residents[41]])
        #expect(fallback[0].reason == .unfollowed)
        #expect(fallback[0].text == "お知らせ: 窓口は4月1日 9時に開きます。")
        #expect(try store.fetchNotice(id: created.id)?.fallbackCount == 1)

        // Unblocking gives the link back.
        try deliver([Self.event("follow", user: Fixtures.lineUserID(42))])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: residents[41])?.lineUserID == Fixtures.lineUserID(42))
    }

    @Test func aLateRedeliveredUnfollow_olderThanTheFollowAlreadyApplied_changesNothing() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 1)
        let user = Fixtures.lineUserID(1)
        let blockedAt: Int64 = 1_775_001_600_000
        // The resident blocks and unblocks; LINE delivers the follow, but the unfollow only as a late redelivery.
        let follow = Self.event("follow", user: user, timestamp: blockedAt + 60_000)
        let lateUnfollow = Self.event("unfollow", user: user, redelivery: true, timestamp: blockedAt)
        try deliver([follow])
        try processor.processPendingEvents()
        try deliver([lateUnfollow])
        try processor.processPendingEvents()
        #expect(
            try store.fetchWebhookEventOutcome(webhookEventID: lateUnfollow["webhookEventId"] as! String)?.outcome
                == "stale")
        #expect(try store.fetchActiveLink(residentID: residents[0])?.lineUserID == user, "the newer follow stands")

        // Delivered together out of order, they apply in the order they happened: block, then unblock.
        let block = Self.event("unfollow", user: user, timestamp: blockedAt + 120_000)
        let unblock = Self.event("follow", user: user, timestamp: blockedAt + 180_000)
        try deliver([unblock, block])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: residents[0])?.lineUserID == user)
        #expect(try store.fetchLinkHistory(residentID: residents[0]).map(\.unlinkedReason) == [nil, .unfollow])

        // A newer unfollow still applies.
        try deliver([Self.event("unfollow", user: user, timestamp: blockedAt + 240_000)])
        try processor.processPendingEvents()
        #expect(try store.fetchActiveLink(residentID: residents[0]) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func aPushFrozenBeforeAnUnfollow_isNeverSent_andItsResidentIsOnTheFallbackList() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 3)
        let created = try store.createNotice(
            NoticesFixtures.draft(.residents(residents), messages: ["{氏名} 様、{日時}に窓口へどうぞ。"]), now: clock.now())
        #expect(created.requestCount == 3, "one push each, frozen")
        try deliver([Self.event("unfollow", user: Fixtures.lineUserID(2))])
        try processor.processPendingEvents()

        let fake = try FakeLINEAPI()
        let summary = try makeJob(store, fake, clock: clock).run()
        #expect(summary.progress.sent == 2)
        #expect(summary.workRemains == false)
        #expect(fake.stats.requests == 2, "no push for the resident who unfollowed")
        #expect(Set(fake.deliveredTexts.keys) == [Fixtures.lineUserID(1), Fixtures.lineUserID(3)])
        let fallback = try store.fetchFallbackList(noticeID: created.id)
        #expect(fallback.map(\.residentID) == [residents[1]])
        #expect(fallback.first?.reason == .unfollowed)
        #expect(fallback.first?.text == "町民2 様、4月1日 9時に窓口へどうぞ。")
        #expect(try store.fetchRequests(noticeID: created.id).map(\.state) == [.sent, .dropped, .sent])
        #expect(try store.fetchNotice(id: created.id)?.status == .done)
    }

    @Test func theBackgroundProcessor_handlesWhatTheWebhookStored_beforeItStops() throws {
        let residents = try Fixtures.makeResidents(store.database, count: 1)
        processor.start()
        try deliver([Self.event("message", user: Fixtures.lineUserID(1), text: "解除")])
        processor.stop()
        #expect(try store.fetchActiveLink(residentID: residents[0]) == nil)
    }
}
