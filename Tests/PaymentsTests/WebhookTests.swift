import Foundation
import HTTPClient
import Store
import TestSupport
import Testing

@testable import Payments

/// `POST /payments/webhook/hosted` against the fake provider's signed webhooks, over real HTTP.
@Suite struct WebhookTests {
    /// A fee with a checkout at the fake; returns the fake's id for it.
    static func openCheckout(_ harness: PaymentsHarness, _ fake: FakePaymentProvider, subjectID: Int64 = 1) throws
        -> (FeeChargeID: Int64, remoteID: String)
    {
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: subjectID))
        #expect(try harness.startCheckout(charge, browser: harness.app.browser()).status == 303)
        let remote = try #require(fake.payments.last)
        return (charge.paymentID, remote.id)
    }

    @Test func aSignedWebhookIsStoredAnsweredAndAppliedAfterwards() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, remoteID) = try Self.openCheckout(harness, fake)
        fake.complete(remoteID, as: .success)
        let webhook = try fake.webhook(for: remoteID, messageID: "msg-1", createdAt: harness.app.clock.now())
        #expect(try fake.deliver(webhook, to: harness.webhookURL) == 200)
        #expect(try harness.webhookRows().map(\.eventID) == ["msg-1"])
        try harness.module.job.runOnce()
        #expect(try harness.payment(paymentID).state == .captured)
        let last = try #require(try harness.events(paymentID).last)
        #expect(last.actorType == "webhook" && last.actorReference == "msg-1")
        #expect(try harness.webhookRows().first?.outcome == "applied")
        #expect(harness.subjects.charges.last?.state == .paid)
    }

    @Test func aBadSignatureIs401AndNothingIsStored() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, remoteID) = try Self.openCheckout(harness, fake)
        fake.complete(remoteID, as: .success)
        let webhook = try fake.webhook(for: remoteID, createdAt: harness.app.clock.now())
        let forged = String(webhook.signature.reversed())
        #expect(try fake.deliver((webhook.body, forged), to: harness.webhookURL) == 401)
        var tampered = webhook.body
        tampered.append(0x20)
        #expect(try fake.deliver((tampered, webhook.signature), to: harness.webhookURL) == 401)
        #expect(try fake.deliver((webhook.body, ""), to: harness.webhookURL) == 401)
        #expect(try harness.webhookRows().isEmpty)
        try harness.module.job.runOnce()
        #expect(try harness.payment(paymentID).state == .created)
    }

    @Test func aRedeliveryIsAnswered200AndAppliedOnce() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, remoteID) = try Self.openCheckout(harness, fake)
        fake.complete(remoteID, as: .success)
        let webhook = try fake.webhook(for: remoteID, messageID: "once", createdAt: harness.app.clock.now())
        for _ in 0..<3 { #expect(try fake.deliver(webhook, to: harness.webhookURL) == 200) }
        try harness.module.job.runOnce()
        #expect(try fake.deliver(webhook, to: harness.webhookURL) == 200)
        try harness.module.job.runOnce()
        #expect(try harness.webhookRows().count == 1)
        #expect(try harness.events(paymentID).map(\.to) == [.created, .authorized, .captured])
    }

    @Test func aMessageOutsideTheFiveMinuteWindowIsRefusedAndNotStored() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, remoteID) = try Self.openCheckout(harness, fake)
        fake.complete(remoteID, as: .success)
        let now = harness.app.clock.now()
        let old = try fake.webhook(for: remoteID, createdAt: now.addingTimeInterval(-5 * 60 - 1))
        let future = try fake.webhook(for: remoteID, createdAt: now.addingTimeInterval(5 * 60 + 1))
        #expect(try fake.deliver(old, to: harness.webhookURL) == 401)
        #expect(try fake.deliver(future, to: harness.webhookURL) == 401)
        #expect(try harness.webhookRows().isEmpty)
        let edge = try fake.webhook(for: remoteID, createdAt: now.addingTimeInterval(-5 * 60 + 1))
        #expect(try fake.deliver(edge, to: harness.webhookURL) == 200)
        try harness.module.job.runOnce()
        #expect(try harness.payment(paymentID).state == .captured)
    }

    @Test func webhooksOutOfOrderNeverMoveAPaymentBack() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, remoteID) = try Self.openCheckout(harness, fake)
        let now = harness.app.clock.now()
        fake.complete(remoteID, as: .success)
        let captured = try fake.webhook(for: remoteID, eventType: "card_payment_captured", createdAt: now)
        let authorized = try fake.webhook(
            for: remoteID, eventType: "card_payment_authorised", createdAt: now.addingTimeInterval(-30),
            status: "capturable")
        #expect(try fake.deliver(captured, to: harness.webhookURL) == 200)
        #expect(try fake.deliver(authorized, to: harness.webhookURL) == 200)
        try harness.module.job.runOnce()
        #expect(try harness.payment(paymentID).state == .captured)
        #expect(try harness.webhookRows().map(\.outcome) == ["applied", "no_change"])
        #expect(try harness.events(paymentID).map(\.to) == [.created, .authorized, .captured])
    }

    @Test func aWebhookForAnUnknownPaymentIs200LoggedAndChangesNothing() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let (paymentID, _) = try Self.openCheckout(harness, fake)
        // A payment made at the provider by someone else (another system on the same account).
        let stranger = try HostedCheckoutProvider(settings: harness.module.hostedSettings!).createCheckout(
            CheckoutRequest(paymentID: 0, amountYen: 100, description: "other", reference: "x", returnPath: "/"))
        fake.complete(stranger.reference, as: .success)
        let webhook = try fake.webhook(for: stranger.reference, createdAt: harness.app.clock.now())
        #expect(try fake.deliver(webhook, to: harness.webhookURL) == 200)
        try harness.module.job.runOnce()
        #expect(try harness.webhookRows().map(\.outcome) == ["unknown_payment"])
        #expect(try harness.payment(paymentID).state == .created)
        #expect(try harness.events(paymentID).count == 1)
    }

    @Test func aWebhookThatArrivesBeforeTheCreateCommitsIsAppliedOnceThePaymentExists() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let url = harness.webhookURL
        let clock = harness.app.clock
        let delivered = DeliveredStatus()
        // The provider completes at once and calls back before answering the create.
        fake.beforeAnsweringCreate { [fake] id in
            fake.complete(id, as: .success)
            guard let webhook = try? fake.webhook(for: id, messageID: "early", createdAt: clock.now()) else { return }
            delivered.set((try? fake.deliver(webhook, to: url)) ?? -1)
            // The job runs before the reference commits, finds nothing, and leaves the event waiting.
            try? harness.module.job.runOnce()
        }
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        #expect(try harness.startCheckout(charge, browser: harness.app.browser()).status == 303)
        #expect(delivered.value == 200)
        #expect(try harness.payment(charge.paymentID).state == .captured)
        let last = try #require(try harness.events(charge.paymentID).last)
        #expect(last.actorType == "webhook" && last.actorReference == "early")
        #expect(try harness.webhookRows().map(\.outcome) == ["applied"])
    }

    @Test func anotherProvidersPathIs404() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let response = try harness.app.request(
            "POST", "/payments/webhook/other", headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
        #expect(response.status == 404)
    }
}

final class DeliveredStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int?
    func set(_ value: Int) { lock.withLock { status = value } }
    var value: Int? { lock.withLock { status } }
}
