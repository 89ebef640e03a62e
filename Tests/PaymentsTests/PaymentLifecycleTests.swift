import Foundation
import HTTPClient
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// A fee requested by a charging module, paid (or not) through the sandbox checkout over real HTTP.
@Suite struct PaymentLifecycleTests {
    @Test func aPaidFeeWalksCreatedAuthorizedCapturedAndTellsItsSubjectInTheSameWrite() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 300))
        #expect(charge.state == .awaitingPayment)
        #expect(charge.netPaidYen == 0)

        let page = try harness.app.browser().get(try #require(charge.payPath))
        #expect(page.text.contains("300円"))
        #expect(page.text.contains("住民票の写し 1通"))
        #expect(page.text.contains("証明書手数料"))

        let landing = try harness.payInSandbox(charge, outcome: "pay", method: "qr_code")
        #expect(landing == "/testfees/1")

        let payment = try harness.payment(charge.paymentID)
        #expect(payment.state == .captured)
        #expect(payment.state.finished)
        #expect(payment.method == .qrCode)
        #expect(payment.capturedAt == harness.app.clock.now())
        let events = try harness.events(charge.paymentID)
        #expect(events.map(\.to) == [.created, .authorized, .captured])
        #expect(events.map(\.from) == [nil, .created, .authorized])
        #expect(events.dropFirst().allSatisfy { $0.actorType == "provider" && $0.actorReference == "sandbox" })

        // The handler heard each change, the last one paid in full.
        #expect(harness.subjects.charges.map(\.state) == [.awaitingPayment, .paid])
        #expect(harness.subjects.charges.last?.netPaidYen == 300)
        #expect(harness.subjects.charges.last?.payPath == nil)

        let usage = try harness.app.database.read {
            try $0.query("SELECT kind, channel, subject_code FROM usage_events WHERE source = 'payments'")
        }
        #expect(usage.count == 1)
        #expect(try usage.first?.get("kind", as: String.self) == "paid")
        #expect(try usage.first?.get("channel", as: String.self) == "web")
        #expect(try usage.first?.get("subject_code", as: String.self) == "qr_code")

        // The pay page now says so and offers no button.
        let after = try harness.app.browser().get(try #require(charge.payPath))
        #expect(after.text.contains("支払済み"))
        #expect(!after.text.contains("支払いへ進む"))
    }

    @Test func aFailedCheckoutIsFailedAndAnAbandonedOneCancelled() throws {
        let harness = try PaymentsHarness()
        let failing = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1))
        let abandoning = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2))
        try harness.payInSandbox(failing, outcome: "fail")
        try harness.payInSandbox(abandoning, outcome: "abandon")
        #expect(try harness.payment(failing.paymentID).state == .failed)
        #expect(try harness.payment(abandoning.paymentID).state == .cancelled)
        #expect(try harness.events(failing.paymentID).map(\.to) == [.created, .failed])
        #expect(try harness.events(abandoning.paymentID).map(\.to) == [.created, .cancelled])
        #expect(Set(harness.subjects.charges.map(\.state)) == [.failed, .cancelled])
        let paid = try harness.app.database.read {
            try $0.scalar("SELECT count(*) FROM usage_events WHERE source = 'payments'", as: Int.self)
        }
        #expect(paid == 0)
    }

    @Test func aCheckoutStartedAfterNinetyMinutesExpiresAndIsRefusedWithItsState() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try browser.get(try #require(charge.payPath))
        harness.app.clock.advance(by: 90 * 60)
        let refused = try browser.submit(try #require(charge.payPath) + "/checkout", form: [])
        #expect(refused.status == 409)
        #expect(refused.text.contains("期限切れ"))
        #expect(try harness.payment(charge.paymentID).state == .expired)
        let last = try #require(try harness.events(charge.paymentID).last)
        #expect(last.from == .created && last.to == .expired && last.actorType == "system")
        #expect(harness.subjects.charges.last?.state == .expired)
    }

    @Test func theJobExpiresUnpaidCheckoutsButNotOneStillInTime() throws {
        let harness = try PaymentsHarness()
        let old = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1))
        harness.app.clock.advance(by: 60 * 60)
        let recent = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2))
        harness.app.clock.advance(by: 31 * 60)
        try harness.module.job.runOnce()
        #expect(try harness.payment(old.paymentID).state == .expired)
        #expect(try harness.payment(recent.paymentID).state == .created)
    }

    @Test func aSandboxCheckoutCompletedAfterItsLifetimeExpires() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try browser.get(try #require(charge.payPath))
        let started = try browser.submit(try #require(charge.payPath) + "/checkout", form: [])
        let checkoutPath = try #require(started.location)
        _ = try browser.get(checkoutPath)
        harness.app.clock.advance(by: 91 * 60)
        _ = try browser.submit(checkoutPath, form: [("outcome", "pay")])
        _ = try browser.get(try #require(charge.payPath) + "/return")
        #expect(try harness.payment(charge.paymentID).state == .expired)
        #expect(
            try harness.app.database.read {
                try $0.scalar("SELECT count(*) FROM usage_events WHERE source = 'payments'", as: Int.self)
            } == 0)
    }

    @Test func startingACheckoutOnAPaidFeeIsRefused409WithTheCurrentState() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try browser.get(try #require(charge.payPath))
        // The paid page has no form left; a second tab still holds the old one.
        let staleToken = try #require(browser.csrfToken)
        try harness.payInSandbox(charge, outcome: "pay", browser: browser)
        let again = try browser.post(
            try #require(charge.payPath) + "/checkout", form: [("csrf_token", staleToken)])
        #expect(again.status == 409)
        #expect(again.text.contains("支払済み"))
        #expect(again.text.contains("captured"))
        #expect(try harness.events(charge.paymentID).count == 3)
    }

    @Test func pressingPayTwiceGoesToTheSameCheckout() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try browser.get(try #require(charge.payPath))
        let first = try browser.submit(try #require(charge.payPath) + "/checkout", form: [])
        let second = try browser.submit(try #require(charge.payPath) + "/checkout", form: [])
        #expect(first.location != nil)
        #expect(first.location == second.location)
        let checkouts = try harness.app.database.read {
            try $0.scalar("SELECT count(*) FROM payment_sandbox_checkouts", as: Int.self)
        }
        #expect(checkouts == 1)
    }

    @Test func anUnknownPayLinkIs404() throws {
        let harness = try PaymentsHarness()
        #expect(try harness.app.browser().get("/payments/" + String(repeating: "x", count: 43)).status == 404)
        #expect(try harness.app.browser().get("/payments/sandbox/sbx-nothing-here-at-all").status == 404)
    }

    @Test func aHandlerThatFailsRollsTheCaptureBack() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        harness.subjects.failNextCalls(true)
        let browser = harness.app.browser()
        _ = try browser.get(try #require(charge.payPath))
        let started = try browser.submit(try #require(charge.payPath) + "/checkout", form: [])
        _ = try browser.get(try #require(started.location))
        _ = try browser.submit(try #require(started.location), form: [("outcome", "pay")])
        #expect(try browser.get(try #require(charge.payPath) + "/return").status == 500)
        #expect(try harness.payment(charge.paymentID).state == .created)
        #expect(try harness.events(charge.paymentID).count == 1)

        // Once the handler works again, the return (or a status fetch) records it.
        harness.subjects.failNextCalls(false)
        #expect(try browser.get(try #require(charge.payPath) + "/return").status == 303)
        #expect(try harness.payment(charge.paymentID).state == .captured)
    }
}
