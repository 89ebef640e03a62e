import Foundation
import Notices
import Store
import TestSupport
import Testing

@Suite("Outbox: the freeze and the request state machine")
struct OutboxStoreTests {
    let directory = TemporaryDirectory()
    let owner = "test-sender"

    private func makeStore() throws -> NoticeStore {
        NoticeStore(database: try Fixtures.makeDatabase(in: directory, withDistricts: true))
    }

    private var start: Date { ManualTimeSource.defaultStart }
    private var cutoff: Date { RetryPolicy().attemptCutoff(now: start) }

    @Test func createNotice_freezesEveryRequestWithItsRecipientsPayloadAndAUniqueKey_beforeAnySend() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 1_203) { $0 % 100 != 0 }
        let created = try store.createNotice(NoticesFixtures.draft(.district("biratori")), now: start)
        #expect(created.requestCount == 3)
        #expect(created.lineRecipientCount == 1_190)
        #expect(created.fallbackCount == 13)

        let requests = try store.fetchRequests(noticeID: created.id)
        #expect(requests.map(\.recipients.count) == [500, 500, 190])
        #expect(requests.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.firstAttemptAt == nil })
        #expect(Set(requests.map(\.retryKey)).count == 3)
        #expect(requests.allSatisfy { UUID(uuidString: $0.retryKey) != nil })
        for request in requests {
            #expect(LINERequestBody.problem(in: request.payload, endpoint: .multicast) == nil)
            let body = try JSONSerialization.jsonObject(with: request.payload) as! [String: Any]
            #expect(body["to"] as? [String] == request.recipients)
        }
        let notice = try #require(try store.fetchNotice(id: created.id))
        #expect(notice.status == .queued)
        #expect(notice.recipientCount == 1_203)
        #expect(notice.requestStates == [.pending: 3])
        let deliveries = try store.fetchDeliveries(noticeID: created.id)
        #expect(deliveries.count == 1_203)
        #expect(deliveries.filter { $0.delivery == "fallback" }.allSatisfy { $0.reason == .noLink })
    }

    @Test func aDraftThatFailsForOneRecipient_storesNothingAtAll() throws {
        let store = try makeStore()
        let ids = try Fixtures.makeResidents(store.database, count: 50)
        var draft = NoticesFixtures.draft(.district("biratori"), messages: ["{氏名} 様 {受付番号}"], values: [:])
        // Every resident but the last has a value: the whole notice must be refused, not 49 of 50 sent.
        draft.residentValues = Dictionary(uniqueKeysWithValues: ids.dropLast().map { ($0, ["受付番号": "R\($0)"]) })
        #expect(throws: NoticeValidationError.unfilledPlaceholders(["受付番号"])) {
            try store.createNotice(draft, now: start)
        }
        let counts = try store.database.read { connection in
            (
                try connection.scalar("SELECT count(*) FROM notices", as: Int.self),
                try connection.scalar("SELECT count(*) FROM notice_requests", as: Int.self),
                try connection.scalar("SELECT count(*) FROM notice_recipients", as: Int.self)
            )
        }
        #expect(counts.0 == 0 && counts.1 == 0 && counts.2 == 0)
    }

    @Test func unknownResidentsAndDistricts_areRefused() throws {
        let store = try makeStore()
        let ids = try Fixtures.makeResidents(store.database, count: 2)
        #expect(throws: NoticeValidationError.unknownResidents(count: 1)) {
            try store.createNotice(NoticesFixtures.draft(.residents(ids + [9_999])), now: start)
        }
        #expect(throws: NoticeValidationError.unknownDistrict) {
            try store.createNotice(NoticesFixtures.draft(.district("tokyo")), now: start)
        }
        #expect(throws: NoticeValidationError.noRecipients) {
            try store.createNotice(NoticesFixtures.draft(.district("furenai")), now: start)
        }
    }

    @Test func scheduledNotices_areNotClaimedBeforeSendAt() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2)
        let later = start.addingTimeInterval(3_600)
        _ = try store.createNotice(NoticesFixtures.draft(.allLinked, sendAt: later), now: start)
        #expect(
            try store.claimDueRequests(
                owner: owner, limit: 10, now: start, leaseUntil: start + 60, attemptCutoff: cutoff
            ).isEmpty)
        let outlook = try store.fetchOutlook(owner: owner, now: start, attemptCutoff: cutoff)
        #expect(outlook.remaining == 0, "a notice scheduled for later is not work remaining now")
        let claimed = try store.claimDueRequests(
            owner: owner, limit: 10, now: later, leaseUntil: later + 60,
            attemptCutoff: RetryPolicy().attemptCutoff(now: later))
        #expect(claimed.count == 1)
    }

    @Test func claim_leasesToOneOwner_andAnExpiredLeaseComesBackWithTheSameKey() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 1_000)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: start)
        let keys = try store.fetchRequests(noticeID: created.id).map(\.retryKey)

        let first = try store.claimDueRequests(
            owner: "crashed", limit: 10, now: start, leaseUntil: start + 120, attemptCutoff: cutoff)
        #expect(first.map(\.retryKey) == keys)
        #expect(first.allSatisfy { $0.attempts == 1 })
        #expect(
            try store.claimDueRequests(
                owner: owner, limit: 10, now: start, leaseUntil: start + 120, attemptCutoff: cutoff
            )
            .isEmpty, "leased rows are nobody else's")

        // The sender died. Before the lease runs out nothing moves; after, the rows are pending again.
        #expect(try store.requeueExpiredLeases(now: start + 119) == 0)
        #expect(try store.requeueExpiredLeases(now: start + 120) == 2)
        let again = try store.claimDueRequests(
            owner: owner, limit: 10, now: start + 121, leaseUntil: start + 240, attemptCutoff: cutoff)
        #expect(again.map(\.retryKey) == keys, "the same retry keys, so LINE executes each request once")
        #expect(again.map(\.payload) == first.map(\.payload), "and the same bytes")
        #expect(again.allSatisfy { $0.attempts == 2 })
        let stored = try store.fetchRequests(noticeID: created.id)
        #expect(stored.allSatisfy { $0.firstAttemptAt == start }, "the key window started with the first attempt")
    }

    @Test func outcomes_200And409AreSent_otherClientErrorsFailToTheFallbackList_5xxRetries() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 4)
        let ids = try (0..<4).map { index in
            try store.createNotice(NoticesFixtures.draft(.resident(Int64(index + 1))), now: start).id
        }
        let claimed = try store.claimDueRequests(
            owner: owner, limit: 10, now: start, leaseUntil: start + 60, attemptCutoff: cutoff)
        #expect(claimed.count == 4)
        let tally = try store.recordOutcomes(
            [
                .init(requestID: claimed[0].id, result: .sent(status: 200, acceptedRequestID: "r-1")),
                .init(requestID: claimed[1].id, result: .sent(status: 409, acceptedRequestID: "r-0")),
                .init(
                    requestID: claimed[2].id,
                    result: .failed(status: 400, reason: "HTTP 400: The request body has 1 error(s)")),
                .init(requestID: claimed[3].id, result: .retry(status: 500, reason: "HTTP 500", notBefore: start + 2)),
            ], owner: owner, now: start + 1)
        #expect(tally == NoticeStore.RecordTally(sent: 2, failed: 1, retried: 1))

        let states = try ids.map { try store.fetchRequests(noticeID: $0)[0] }
        #expect(states.map(\.state) == [.sent, .sent, .failed, .pending])
        #expect(states[1].acceptedRequestID == "r-0")
        #expect(states[2].failureReason?.hasPrefix("HTTP 400") == true)
        #expect(states[3].nextAttemptAt == start + 2)
        #expect(try ids.map { try store.fetchNotice(id: $0)!.status } == [.done, .done, .needsAttention, .queued])

        let fallback = try store.fetchFallbackList()
        #expect(fallback.map(\.residentID) == [3])
        #expect(fallback[0].reason == .failed)
        #expect(fallback[0].text == "お知らせ: 窓口は4月1日 9時に開きます。")
        #expect(fallback[0].phone == "01457000000")
        #expect(try store.markFallbackHandled(noticeID: ids[2], residentID: 3, by: "staff:2", now: start + 5))
        #expect(try store.fetchFallbackList().isEmpty)
        #expect(try store.fetchFallbackList(includeHandled: true).count == 1)
    }

    @Test func aSenderThatLostItsLease_cannotOverwriteTheNewState_butA200StillCounts() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 2)
        _ = try store.createNotice(NoticesFixtures.draft(.resident(1)), now: start)
        _ = try store.createNotice(NoticesFixtures.draft(.resident(2)), now: start)
        let slow = try store.claimDueRequests(
            owner: "slow", limit: 10, now: start, leaseUntil: start + 60, attemptCutoff: cutoff)
        try store.requeueExpiredLeases(now: start + 61)
        _ = try store.claimDueRequests(
            owner: owner, limit: 10, now: start + 62, leaseUntil: start + 120, attemptCutoff: cutoff)
        let tally = try store.recordOutcomes(
            [
                .init(requestID: slow[0].id, result: .failed(status: 400, reason: "late")),
                .init(requestID: slow[1].id, result: .sent(status: 200, acceptedRequestID: "r")),
            ], owner: "slow", now: start + 63)
        #expect(tally.stale == 1)
        #expect(tally.sent == 1, "LINE accepted it: true whoever holds the lease")
        #expect(try store.fetchRequest(id: slow[0].id)?.state == .sending)
        #expect(try store.fetchRequest(id: slow[0].id)?.leaseOwner == owner)
    }

    @Test func noAnswerWithinTheKeyWindow_becomesUnknown_neverSentAgain_andGoesToTheFallbackList() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 3)
        let created = try store.createNotice(NoticesFixtures.draft(.allLinked), now: start)
        let policy = RetryPolicy()
        let claimed = try store.claimDueRequests(
            owner: owner, limit: 1, now: start, leaseUntil: start + 60, attemptCutoff: cutoff)
        try store.recordOutcomes(
            [.init(requestID: claimed[0].id, result: .retry(status: nil, reason: "timeout", notBefore: start + 10))],
            owner: owner, now: start + 5)

        // Just inside the window (minus the safety margin) it may still be tried...
        let lastChance = start + policy.keyWindow - policy.keyWindowMargin - 1
        #expect(
            try store.markUnknownAfterKeyWindow(attemptCutoff: policy.attemptCutoff(now: lastChance), now: lastChance)
                .isEmpty)
        #expect(
            try store.fetchOutlook(owner: owner, now: lastChance, attemptCutoff: policy.attemptCutoff(now: lastChance))
                .dueNow == 1)
        // ...from then on it is unknown, and nobody may claim it.
        let tooLate = lastChance + 1
        let unknown = try store.markUnknownAfterKeyWindow(
            attemptCutoff: policy.attemptCutoff(now: tooLate), now: tooLate)
        #expect(unknown == [claimed[0].id])
        #expect(
            try store.claimDueRequests(
                owner: owner, limit: 10, now: tooLate + 86_400, leaseUntil: tooLate + 86_460,
                attemptCutoff: policy.attemptCutoff(now: tooLate + 86_400)
            ).isEmpty)
        #expect(try store.fetchNotice(id: created.id)?.status == .needsAttention)
        let fallback = try store.fetchFallbackList()
        #expect(fallback.count == 3)
        #expect(fallback.allSatisfy { $0.reason == .unknown })
    }

    @Test func aClaimNeverTakesARequestPastItsWindow_evenIfMaintenanceDidNotRunYet() throws {
        let store = try makeStore()
        try Fixtures.makeResidents(store.database, count: 1)
        _ = try store.createNotice(NoticesFixtures.draft(.resident(1)), now: start)
        let claimed = try store.claimDueRequests(
            owner: owner, limit: 1, now: start, leaseUntil: start + 60, attemptCutoff: cutoff)
        try store.recordOutcomes(
            [.init(requestID: claimed[0].id, result: .retry(status: 503, reason: "HTTP 503", notBefore: start + 1))],
            owner: owner, now: start)
        let late = start + 86_400
        #expect(
            try store.claimDueRequests(
                owner: owner, limit: 1, now: late, leaseUntil: late + 60,
                attemptCutoff: RetryPolicy().attemptCutoff(now: late)
            ).isEmpty)
    }

    @Test func templates_areSavedByName_andMustParse() throws {
        let store = try makeStore()
        let id = try store.saveTemplate(name: "証明書", messages: ["{氏名} 様、できました。"], by: "staff:1", now: start)
        #expect(try store.saveTemplate(name: "証明書", messages: ["{氏名} 様、お渡しできます。"], by: "staff:1", now: start) == id)
        #expect(try store.fetchTemplate(id: id)?.messages == ["{氏名} 様、お渡しできます。"])
        #expect(throws: NoticeValidationError.self) {
            try store.saveTemplate(name: "壊れた", messages: ["{氏名"], by: "staff:1", now: start)
        }
        #expect(try store.fetchTemplates().map(\.name) == ["証明書"])
    }
}
