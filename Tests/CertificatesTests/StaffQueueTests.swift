import Cryptography
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

@Suite("The staff queue with leases")
struct StaffQueueTests {
    struct Setup {
        let app: TestApplication
        let residentID: Int64
        let requestID: Int64
        let first: Browser
        let second: Browser
    }

    func setUp(delivery: Delivery = .counter) throws -> Setup {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        try Fixtures.makeStaff(app.database, loginID: "clerk1")
        try Fixtures.makeStaff(app.database, loginID: "clerk2")
        let workflow = try CertificateFixtures.workflow(app.database, fees: nil)
        let made = try workflow.submit(
            CertificateFixtures.juminhyo(delivery: delivery, payment: delivery == .mail ? .online : .counter),
            residentID: residentID, channel: .web, token: SecureRandom.token(), at: app.clock.now())
        let first = app.browser()
        try first.signInAsStaff("clerk1")
        let second = app.browser()
        try second.signInAsStaff("clerk2")
        return Setup(app: app, residentID: residentID, requestID: made.request.id, first: first, second: second)
    }

    func act(_ browser: Browser, _ id: Int64, _ action: String, _ form: [(String, String)] = []) throws
        -> BrowserResponse
    {
        // A clerk who does not hold the item sees no action forms; the queue page's form carries the token.
        if try browser.get("/staff/certificates/\(id)").csrfToken == nil { _ = try browser.get("/staff/certificates") }
        return try browser.submit("/staff/certificates/\(id)/actions/\(action)", form: form)
    }

    func status(_ setup: Setup) throws -> CertificateStatus? {
        try setup.app.database.read { try CertificateStore.fetchRequest(id: setup.requestID, on: $0) }?.status
    }

    @Test func twoClerksNeverHoldOneItem_andAnExpiredLeaseReturnsIt() throws {
        let setup = try setUp()
        let id = setup.requestID
        _ = try setup.first.get("/staff/certificates")
        let claimed = try setup.first.submit("/staff/certificates/claim-next", form: [])
        #expect(claimed.location == "/staff/certificates/\(id)")

        #expect(try setup.second.get("/staff/certificates/\(id)").text.contains("ほかの職員が担当しています"))
        _ = try setup.second.get("/staff/certificates")
        let refused = try setup.second.submit("/staff/certificates/\(id)/claim", form: [])
        #expect(refused.location == "/staff/certificates/\(id)?message=held")
        let secondTry = try act(setup.second, id, "start")
        #expect(secondTry.location == "/staff/certificates/\(id)?message=conflict")
        #expect(try status(setup) == .payAtCounter)
        _ = try setup.second.get("/staff/certificates")
        #expect(
            try setup.second.submit("/staff/certificates/claim-next", form: []).location
                == "/staff/certificates?message=empty")

        // The heartbeat frame of the open page keeps the lease past its first 10 minutes.
        setup.app.clock.advance(by: 9 * 60)
        let beat = try setup.first.get("/staff/certificates/\(id)/heartbeat")
        #expect(beat.text.contains("<meta http-equiv=\"refresh\" content=\"120\">"), "the frame beats every 2 min")
        setup.app.clock.advance(by: 9 * 60)
        _ = try setup.second.get("/staff/certificates")
        #expect(
            try setup.second.submit("/staff/certificates/\(id)/claim", form: []).location?.hasSuffix("message=held")
                == true)

        // Closed without a release: 10 minutes after the last heartbeat the item is free again.
        setup.app.clock.advance(by: 2 * 60)
        _ = try setup.second.get("/staff/certificates/\(id)")
        #expect(
            try setup.second.submit("/staff/certificates/\(id)/claim", form: []).location == "/staff/certificates/\(id)"
        )
        #expect(
            try act(setup.first, id, "start").location?.hasSuffix("message=conflict") == true,
            "the lapsed holder cannot act")
        let lapsed = try setup.first.get("/staff/certificates/\(id)")
        #expect(lapsed.text.contains("ほかの職員が担当しています"), "a reload after the lapse does not take it back")
        #expect(!lapsed.text.contains("http-equiv=\"refresh\""))
        #expect(try act(setup.second, id, "start").location?.hasSuffix("message=done") == true)
        #expect(try status(setup) == .inProgress)
    }

    /// The detail page used to reload itself every 5 minutes to keep the lease, losing a half-typed reason.
    @Test func theHeartbeatFrame_extendsOnlyTheHoldersLease_andIsTheOnlyFramablePage() throws {
        let setup = try setUp()
        let id = setup.requestID
        func lease() throws -> (Int64?, Date?) {
            let stored = try setup.app.database.read { try CertificateStore.fetchRequest(id: id, on: $0) }
            return (stored?.claimedByStaffID, stored?.leaseExpiresAt)
        }
        _ = try setup.first.get("/staff/certificates")
        _ = try setup.first.submit("/staff/certificates/\(id)/claim", form: [])
        let detail = try setup.first.get("/staff/certificates/\(id)")
        #expect(!detail.text.contains("http-equiv=\"refresh\""), "the page itself never reloads")
        #expect(detail.text.contains("<iframe src=\"/staff/certificates/\(id)/heartbeat\""))
        let pageCSP = try #require(detail.headers["content-security-policy"])
        #expect(pageCSP.contains("frame-ancestors 'none'"))
        #expect(detail.headers["x-frame-options"] == "DENY")
        let (holder, _) = try lease()

        setup.app.clock.advance(by: 8 * 60)
        let beat = try setup.first.get("/staff/certificates/\(id)/heartbeat")
        #expect(beat.status == 200)
        #expect(beat.text.contains("担当期限 2026年4月1日 9:18（あと10分）"), "\(beat.text)")
        #expect(
            beat.headers["content-security-policy"]
                == pageCSP.replacingOccurrences(of: "frame-ancestors 'none'", with: "frame-ancestors 'self'"),
            "only framing differs")
        #expect(beat.headers["x-frame-options"] == "SAMEORIGIN")
        let extended = try #require(try lease().1)
        #expect(abs(extended.timeIntervalSince(setup.app.clock.now()) - 600) < 1)

        let other = try setup.second.get("/staff/certificates/\(id)/heartbeat")
        #expect(other.text.contains("この案件の担当は外れました"))
        #expect(!other.text.contains("http-equiv=\"refresh\""))
        #expect(try lease() == (holder, extended), "another clerk's beat changes nothing")

        setup.app.clock.advance(by: 11 * 60)
        let lapsed = try setup.first.get("/staff/certificates/\(id)/heartbeat")
        #expect(lapsed.text.contains("この案件の担当は外れました"))
        #expect(try lease().1.map { $0 < setup.app.clock.now() } == true, "a lapsed lease is not taken back")
        #expect(try setup.first.get("/staff/certificates").headers["x-frame-options"] == "DENY")
    }

    @Test func counterPickup_readyNoticeThenHandOverWithTheDocumentKind_everyViewAudited() throws {
        let setup = try setUp()
        let id = setup.requestID
        _ = try setup.first.get("/staff/certificates")
        _ = try setup.first.submit("/staff/certificates/\(id)/claim", form: [])
        #expect(try act(setup.first, id, "ready").location?.hasSuffix("message=conflict") == true, "start comes first")
        #expect(try act(setup.first, id, "start").location?.hasSuffix("message=done") == true)
        #expect(
            try act(setup.first, id, "mail", [("mailed_on", "2026-04-01")]).location?.hasSuffix("message=conflict")
                == true)
        #expect(try act(setup.first, id, "ready").location?.hasSuffix("message=done") == true)
        #expect(try status(setup) == .ready)
        let message = try setup.app.database.read {
            try $0.queryFirst("SELECT subject, body, resident_id FROM resident_messages WHERE source = 'certificates'")
        }
        #expect((try message?.get("subject", as: String.self)) == "【住民票の写し】交付の準備ができました")
        #expect((try message?.get("body", as: String.self))?.contains("手数料600円は窓口で") == true)

        let resident = setup.app.browser()
        try resident.signInAsResident()
        #expect(try resident.get("/certificates/\(id)").text.contains("交付準備完了"))

        // Ready drops the lease: the clerk at the counter claims it again to hand it over.
        _ = try setup.second.get("/staff/certificates/\(id)")
        _ = try setup.second.submit("/staff/certificates/\(id)/claim", form: [])
        #expect(try act(setup.second, id, "hand_over").location?.hasSuffix("message=invalid") == true)
        #expect(
            try act(setup.second, id, "hand_over", [("identity_document", "my_number_card")]).location?.hasSuffix(
                "message=done") == true)
        let stored = try #require(try setup.app.database.read { try CertificateStore.fetchRequest(id: id, on: $0) })
        #expect(stored.status == .handedOver)
        #expect(stored.identityDocument == .myNumberCard)
        #expect(stored.counterPaidYen == 600)
        #expect(
            try CertificateFixtures.count(
                setup.app.database,
                "SELECT count(*) FROM usage_events WHERE source = 'certificates' AND kind = 'picked_up' AND channel = 'counter'"
            ) == 1)
        let audit = try Fixtures.auditRecords(setup.app.database)
        let reads = audit.filter { $0.action == "certificate_request.read" && $0.subjectID == String(id) }
        #expect(reads.count >= 6, "every detail view is audited")
        #expect(audit.contains { $0.action == "certificate_queue.read" })
        #expect(audit.contains { $0.action == "certificate_request.hand_over" })
    }

    @Test func mailDelivery_recordsTheMailingDateAndTellsTheResident() throws {
        let setup = try setUp(delivery: .mail)
        let id = setup.requestID
        // Online payment not yet made (no collector wired): not workable until paid.
        _ = try setup.first.get("/staff/certificates")
        #expect(
            try setup.first.submit("/staff/certificates/claim-next", form: []).location
                == "/staff/certificates?message=empty")
        try setup.app.database.write {
            _ = try CertificateStore.updateStatus(requestID: id, from: .submitted, to: .paid, at: Date(), on: $0)
        }
        #expect(
            try setup.first.submit("/staff/certificates/claim-next", form: []).location == "/staff/certificates/\(id)")
        _ = try act(setup.first, id, "start")
        #expect(
            try act(setup.first, id, "mail", [("mailed_on", "2026-04-01")]).location?.hasSuffix("message=done") == true)
        let stored = try #require(try setup.app.database.read { try CertificateStore.fetchRequest(id: id, on: $0) })
        #expect(stored.status == .mailed)
        #expect(stored.mailedOn == "2026-04-01")
        let body = try setup.app.database.read {
            try $0.scalar("SELECT body FROM resident_messages WHERE source = 'certificates'", as: String.self)
        }
        #expect(body?.contains("2026年4月1日に、住民登録の住所へ郵送しました") == true)
        #expect(
            try CertificateFixtures.count(
                setup.app.database,
                "SELECT count(*) FROM usage_events WHERE source = 'certificates' AND kind = 'mailed'") == 1)
    }

    @Test func theStaffAPI_claimsAtomicallyAndRefusesTheSecondClerk() throws {
        let setup = try setUp()
        let id = setup.requestID
        let csrf1 = try #require(try setup.first.get("/staff/").csrfToken)
        let csrf2 = try #require(try setup.second.get("/staff/").csrfToken)
        let claim = try setup.first.json(
            "POST", "/api/v1/staff/certificates/\(id)/claim", headers: [("X-CSRF-Token", csrf1)])
        #expect(claim.status == 200)
        let other = try setup.second.json(
            "POST", "/api/v1/staff/certificates/\(id)/claim", headers: [("X-CSRF-Token", csrf2)])
        #expect(other.status == 409)
        let action = try setup.second.json(
            "POST", "/api/v1/staff/certificates/\(id)/actions/start", headers: [("X-CSRF-Token", csrf2)])
        #expect(action.status == 409)
        let start = try setup.first.json(
            "POST", "/api/v1/staff/certificates/\(id)/actions/start", headers: [("X-CSRF-Token", csrf1)])
        #expect(start.status == 200)
        #expect(start.jsonObject?["status"] as? String == "in_progress")
        let detail = try setup.first.json("GET", "/api/v1/staff/certificates/\(id)")
        #expect(detail.status == 200)
    }
}
