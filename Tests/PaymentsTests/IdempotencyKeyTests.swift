import Foundation
import HTTPClient
import Identity
import Store
import Synchronization
import TestSupport
import Testing

@testable import Payments

/// `POST /api/v1/payments` with an `Idempotency-Key`, over real HTTP.
@Suite struct IdempotencyKeyTests {
    @Test func theSameKeyAndBodyReplaysTheFirstAnswerByteForByte() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let body = PaymentsHarness.createBody()
        let first = try harness.create(token: token, key: "order-2026-11-0001", body: body)
        #expect(first.status == 201)
        let object = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
        #expect(object["amount_yen"] as? Int == 300)
        #expect((object["state"] as? [String: Any])?["status"] as? String == "created")
        #expect((object["state"] as? [String: Any])?["finished"] as? Bool == false)
        #expect((object["pay_path"] as? String)?.hasPrefix("/payments/") == true)

        harness.app.clock.advance(by: 23 * 3600)
        let again = try harness.create(token: token, key: "order-2026-11-0001", body: body)
        #expect(again.status == 201)
        #expect(again.body == first.body)
        #expect(again.headers["idempotent-replayed"] == "true")
        #expect(try harness.paymentCount() == 1)
    }

    @Test func theSameKeyWithAnotherBodyIs409AndChangesNothing() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        #expect(try harness.create(token: token, key: "k1", body: PaymentsHarness.createBody()).status == 201)
        let other = try harness.create(token: token, key: "k1", body: PaymentsHarness.createBody(amount: "301"))
        #expect(other.status == 409)
        #expect(other.text.contains("idempotency_key_reused"))
        #expect(try harness.paymentCount() == 1)
    }

    @Test(arguments: [nil, "", "has space", "ümlaut", "under_score", String(repeating: "a", count: 256)])
    func aMalformedKeyIs422(key: String?) throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let response = try harness.create(token: token, key: key, body: PaymentsHarness.createBody())
        #expect(response.status == 422)
        #expect(response.text.contains("Idempotency-Key"))
        #expect(try harness.paymentCount() == 0)
    }

    @Test func aKeyOf255LettersDigitsAndHyphensIsAccepted() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let key = String(repeating: "aZ9-", count: 63) + "xyz"
        #expect(key.count == 255)
        #expect(try harness.create(token: token, key: key, body: PaymentsHarness.createBody()).status == 201)
    }

    @Test func afterTwentyFourHoursTheKeyMakesANewPaymentAndTheDailyPassPurgesOldAnswers() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let body = PaymentsHarness.createBody()
        let first = try harness.create(token: token, key: "monthly", body: body)
        harness.app.clock.advance(by: 24 * 3600)
        let later = try harness.create(token: token, key: "monthly", body: body)
        #expect(later.status == 201)
        #expect(later.body != first.body)
        #expect(try harness.paymentCount() == 2)

        _ = try harness.create(token: token, key: "other", body: body)
        harness.app.clock.advance(by: 24 * 3600 + 1)
        try harness.module.job.runDaily(at: harness.app.clock.now())
        let left = try harness.app.database.read {
            try $0.scalar("SELECT count(*) FROM payment_idempotency_keys", as: Int.self)
        }
        #expect(left == 0)
    }

    @Test func keysOfDifferentCallersNeverMeet() throws {
        let harness = try PaymentsHarness()
        let billing = try harness.makeToken(name: "billing")
        let kiosk = try harness.makeToken(name: "kiosk")
        let body = PaymentsHarness.createBody()
        let first = try harness.create(token: billing, key: "same", body: body)
        let second = try harness.create(token: kiosk, key: "same", body: body)
        #expect(first.status == 201 && second.status == 201)
        #expect(first.body != second.body)
        #expect(try harness.paymentCount() == 2)
    }

    @Test func twoHundredConcurrentRequestsWithOneKeyMakeExactlyOnePayment() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let body = PaymentsHarness.createBody()
        let answers = Mutex<[(Int, Data)]>([])
        DispatchQueue.concurrentPerform(iterations: 200) { _ in
            let response = try? harness.create(token: token, key: "concurrent-one", body: body)
            answers.withLock { $0.append((response?.status ?? -1, response?.body ?? Data())) }
        }
        let all = answers.withLock { $0 }
        #expect(all.count == 200)
        #expect(all.allSatisfy { $0.0 == 201 })
        #expect(Set(all.map(\.1)).count == 1)
        #expect(try harness.paymentCount() == 1)
    }

    @Test(arguments: ["0", "-1", "1.5", "10000001", "\"300\"", "3e2", "null"])
    func anAmountThatIsNotAWholeYenInRangeIs422NamingTheField(amount: String) throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let response = try harness.create(
            token: token, key: "bad-amount", body: PaymentsHarness.createBody(amount: amount))
        #expect(response.status == 422)
        #expect(response.text.contains("invalid_amount_yen"))
        #expect(try harness.paymentCount() == 0)
        // The refusal is not stored: the key is still free for a corrected body.
        #expect(try harness.create(token: token, key: "bad-amount", body: PaymentsHarness.createBody()).status == 201)
    }

    @Test func withoutATokenIs401AndWithoutTheScope403() throws {
        let harness = try PaymentsHarness()
        let reader = try harness.makeToken(name: "reader", scopes: ["payments:read"])
        #expect(try harness.create(token: nil, key: "k", body: PaymentsHarness.createBody()).status == 401)
        #expect(try harness.create(token: reader, key: "k", body: PaymentsHarness.createBody()).status == 403)
        #expect(try harness.paymentCount() == 0)
    }

    @Test func anUnknownResidentAsPayerIs422() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let body = PaymentsHarness.createBody().replacingOccurrences(
            of: "\"guest_reference\":\"W-0001\"", with: "\"resident_id\":9999")
        let response = try harness.create(token: token, key: "k", body: body)
        #expect(response.status == 422)
        #expect(response.text.contains("invalid_payer"))
    }

    @Test func theCreatedPaymentReadsBackAndIsPaidThroughItsPayPath() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let created = try harness.create(token: token, key: "k", body: PaymentsHarness.createBody())
        let object = try #require(try JSONSerialization.jsonObject(with: created.body) as? [String: Any])
        let id = try #require(object["payment_id"] as? Int)
        let read = try harness.app.request(
            "GET", "/api/v1/payments/\(id)", headers: [("Authorization", "Bearer \(token)")])
        #expect(read.status == 200)
        #expect(read.body == created.body)
        #expect(try harness.app.request("GET", "/api/v1/payments/\(id)").status == 401)
    }

    @Test func theTokensLastUseIsWrittenWithThePaymentAndARevokedTokenCreatesNothingAtItsNextRequest() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        let created = harness.app.clock.now()
        #expect(try harness.create(token: token, key: "k1", body: PaymentsHarness.createBody()).status == 201)
        let lastUse = { () throws -> Date? in
            try harness.app.database.read { try APITokenStore.fetchToken(name: "billing", on: $0) }?.lastUsedAt
        }
        #expect(try lastUse() == created)
        // Within the touch interval the creation writes no last use again.
        harness.app.clock.advance(by: 30)
        #expect(try harness.create(token: token, key: "k2", body: PaymentsHarness.createBody()).status == 201)
        #expect(try lastUse() == created)
        harness.app.clock.advance(by: 60)
        let later = harness.app.clock.now()
        #expect(try harness.create(token: token, key: "k3", body: PaymentsHarness.createBody()).status == 201)
        #expect(try lastUse() == later)

        // Revoked straight in the database, as `madoguchi token revoke` does from another process.
        try harness.app.database.write { _ = try APITokenStore.revokeToken(name: "billing", at: later, on: $0) }
        // A new key and an answered one alike: the token is checked before any stored answer is replayed.
        for key in ["k4", "k1"] {
            #expect(try harness.create(token: token, key: key, body: PaymentsHarness.createBody()).status == 401)
        }
        #expect(try harness.paymentCount() == 3)
    }

    @Test func theAnswerIsTheStoredRowAsTheReadRouteShowsIt() throws {
        let harness = try PaymentsHarness()
        let token = try harness.makeToken()
        // A time with a fraction of a millisecond: the answer, built without reading the row back, shows the
        // millisecond the column keeps, as the read does.
        harness.app.clock.advance(by: 0.1234567)
        let created = try harness.create(token: token, key: "k", body: PaymentsHarness.createBody())
        let object = try #require(try JSONSerialization.jsonObject(with: created.body) as? [String: Any])
        let id = try #require(object["payment_id"] as? Int)
        let stored = try harness.payment(Int64(id))
        let expected = PaymentJSON(stored, charge: try harness.app.database.read {
            try harness.module.workflow.charge(for: stored, on: $0)
        })
        #expect(created.body == expected.jsonData())
        let events = try harness.app.database.read { try PaymentStore.fetchEvents(paymentID: Int64(id), on: $0) }
        #expect(events.map(\.to) == [.created])
    }
}
