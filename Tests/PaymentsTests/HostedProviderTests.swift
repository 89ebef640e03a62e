import Foundation
import HTTPClient
import Store
import TestSupport
import Testing

@testable import Payments

/// The GOV.UK-Pay-shaped provider over libcurl, against the fake: create → next_url → return → status fetch.
@Suite struct HostedProviderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func createGoesToNextURLAndTheReturnFetchesTheStatus() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(amountYen: 450))
        let browser = harness.app.browser()
        let started = try harness.startCheckout(charge, browser: browser)
        #expect(started.status == 303)
        let remote = try #require(fake.payments.first)
        #expect(started.location == "\(fake.baseURL)/secure/\(remote.id)")
        #expect(remote.amount == 450)
        #expect(remote.returnURL == "http://127.0.0.1:8080\(try #require(charge.payPath))/return")
        #expect(try harness.payment(charge.paymentID).providerReference == remote.id)
        #expect(try harness.payment(charge.paymentID).provider == "hosted")

        fake.complete(remote.id, as: .success)
        let back = try browser.get(try #require(charge.payPath) + "/return")
        #expect(back.status == 303)
        #expect(back.location == "/testfees/1")
        let payment = try harness.payment(charge.paymentID)
        #expect(payment.state == .captured)
        #expect(payment.method == .creditCard)
        #expect(try harness.events(charge.paymentID).map(\.to) == [.created, .authorized, .captured])
        #expect(try harness.events(charge.paymentID).last?.actorReference == "hosted")
    }

    @Test func aProviderTimeoutOnCreateLeavesThePaymentCreated() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake, timeoutMilliseconds: 300)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        fake.failNext(with: .slow(seconds: 1.5))
        let browser = harness.app.browser()
        let refused = try harness.startCheckout(charge, browser: browser)
        #expect(refused.status == 503)
        #expect(refused.text.contains("お支払いはまだ完了していません"))
        let payment = try harness.payment(charge.paymentID)
        #expect(payment.state == .created)
        #expect(payment.providerReference == nil)
        #expect(try harness.events(charge.paymentID).count == 1)
        // Pressing again once the provider answers works.
        #expect(try harness.startCheckout(charge, browser: browser).status == 303)
    }

    @Test func aTimeoutOnTheStatusFetchLeavesItCreatedUntilTheNextFetchDecides() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake, timeoutMilliseconds: 300)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try harness.startCheckout(charge, browser: browser)
        let remote = try #require(fake.payments.first)
        fake.complete(remote.id, as: .success)
        fake.failNext(with: .slow(seconds: 1.5))
        #expect(try browser.get(try #require(charge.payPath) + "/return").status == 503)
        #expect(try harness.payment(charge.paymentID).state == .created)
        fake.failNext(with: .serverError)
        #expect(try browser.get(try #require(charge.payPath) + "/return").status == 503)
        #expect(try harness.payment(charge.paymentID).state == .created)
        #expect(try browser.get(try #require(charge.payPath) + "/return").status == 303)
        #expect(try harness.payment(charge.paymentID).state == .captured)
    }

    @Test func aPaymentWhoseWebhookNeverCameIsSettledByTheStatusFetch() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let paid = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1))
        let expired = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2))
        let browser = harness.app.browser()
        _ = try harness.startCheckout(paid, browser: browser)
        _ = try harness.startCheckout(expired, browser: browser)
        let remote = fake.payments
        fake.complete(remote[0].id, as: .success)
        fake.complete(remote[1].id, as: .expired)
        // The payer closed the tab: no return, no webhook.
        try harness.module.job.runOnce()
        #expect(try harness.payment(paid.paymentID).state == .created, "not asked before it is stale")
        harness.app.clock.advance(by: 11 * 60)
        try harness.module.job.runOnce()
        #expect(try harness.payment(paid.paymentID).state == .captured)
        #expect(try harness.payment(expired.paymentID).state == .expired)
        #expect(try harness.events(paid.paymentID).last?.actorType == "provider")
    }

    @Test func settlementReportedByTheProviderSettlesThePayment() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        let browser = harness.app.browser()
        _ = try harness.startCheckout(charge, browser: browser)
        let remote = try #require(fake.payments.first)
        fake.complete(remote.id, as: .success)
        fake.settle(remote.id)
        _ = try browser.get(try #require(charge.payPath) + "/return")
        #expect(try harness.payment(charge.paymentID).state == .settled)
        #expect(try harness.events(charge.paymentID).map(\.to) == [.created, .authorized, .captured, .settled])
    }

    @Test func environmentSettingsNeedEveryVariableAndNameTheMissingOne() throws {
        let fake = try FakePaymentProvider()
        let directory = TemporaryDirectory()
        var environment = try fake.environment(in: directory)
        let settings = try #require(try HostedProviderSettings.fromEnvironment(environment))
        #expect(settings.apiBase == fake.baseURL)
        #expect(settings.apiKey.value == fake.apiKey)
        #expect(!String(describing: settings.apiKey).contains(fake.apiKey))
        #expect(try HostedProviderSettings.fromEnvironment([:]) == nil)
        environment["MADOGUCHI_PAYMENT_WEBHOOK_SECRET_FILE"] = nil
        let error = try #require(
            throws: HostedProviderSettings.ReadError.self,
            performing: { try HostedProviderSettings.fromEnvironment(environment) })
        #expect(error.variable == "MADOGUCHI_PAYMENT_WEBHOOK_SECRET_FILE")
    }

    // MARK: The GOV.UK Pay spec

    private func validate(schema: String, bodies: [Data], in directory: TemporaryDirectory) throws -> (Int32, String) {
        var arguments = [
            Self.fixtures.appendingPathComponent("validate_govuk_pay.py").path,
            Self.fixtures.appendingPathComponent("govuk-pay/publicapi_spec.json").path, schema,
        ]
        for (index, body) in bodies.enumerated() {
            let path = directory.path("\(schema)-\(index).json")
            try body.write(to: URL(fileURLWithPath: path))
            arguments.append(path)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func theAdaptersRequestsAndTheFakesAnswersMatchGOVUKPaysSpec() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let browser = harness.app.browser()
        for (index, outcome) in [FakePaymentProvider.Outcome.success, .failed, .expired, .capturable].enumerated() {
            let charge = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: Int64(index + 1)))
            _ = try harness.startCheckout(charge, browser: browser)
            fake.complete(fake.payments[index].id, as: outcome)
            _ = try browser.get(try #require(charge.payPath) + "/return")
        }
        _ = try EasyHandle().perform(
            method: "GET", url: fake.baseURL + "/v1/payments/nosuchpayment",
            headers: [("Authorization", "Bearer \(fake.apiKey)")])
        let directory = TemporaryDirectory()
        let requests = fake.requestBodies.filter { $0.path == "/v1/payments" }.map(\.body)
        #expect(requests.count == 4)
        let (requestStatus, requestErrors) = try validate(
            schema: "CreateCardPaymentRequest", bodies: requests, in: directory)
        #expect(requestStatus == 0, "\(requestErrors)")
        let bySchema = Dictionary(grouping: fake.answers, by: \.schema)
        #expect(Set(bySchema.keys) == ["CreatePaymentResult", "PaymentWithAllLinks", "RequestError"])
        for (schema, answers) in bySchema {
            let (status, errors) = try validate(schema: schema, bodies: answers.map(\.body), in: directory)
            #expect(status == 0, "\(schema): \(errors)")
        }
    }

    @Test func theValidatorRefusesWhatTheSpecRefuses() throws {
        let directory = TemporaryDirectory()
        let bad = Data(#"{"amount":"300","description":"x","reference":"r","return_url":"u","colour":"red"}"#.utf8)
        let (status, errors) = try validate(schema: "CreateCardPaymentRequest", bodies: [bad], in: directory)
        #expect(status == 1)
        #expect(errors.contains("amount"))
        #expect(errors.contains("colour"))
    }
}
