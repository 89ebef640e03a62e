import App
import Foundation
import HTTPClient
import Identity
import Security
import ServiceKit
import Store
import Synchronization
import TestSupport
import Testing

@testable import Payments

/// A charging module's stand-in: records every `feeChanged` Payments sends it, and can be told to fail so a
/// test sees the payment's change roll back with it.
final class RecordingFeeSubjects: FeeSubjectHandler {
    let module: String
    private let received = Mutex<[FeeCharge]>([])
    private let failing = Mutex(false)

    init(module: String = "testfees") { self.module = module }

    var charges: [FeeCharge] { received.withLock { $0 } }
    func failNextCalls(_ fail: Bool) { failing.withLock { $0 = fail } }

    struct RefusedByHandler: Error {}

    func feeChanged(_ charge: FeeCharge, at time: Date, on connection: Connection) throws {
        if failing.withLock({ $0 }) { throw RefusedByHandler() }
        received.withLock { $0.append(charge) }
    }
}

/// The wired app with a recording fee subject handler, and the calls a charging module would make.
struct PaymentsHarness {
    let app: TestApplication
    let subjects: RecordingFeeSubjects

    /// With `provider`, the hosted-checkout adapter talks to it (timing out after `timeoutMilliseconds`);
    /// without, the sandbox is the provider.
    init(provider: FakePaymentProvider? = nil, timeoutMilliseconds: Int = 2_000) throws {
        let subjects = RecordingFeeSubjects()
        self.subjects = subjects
        app = try TestApplication {
            $0.additionalFeeSubjects = [subjects]
            if let provider {
                var settings = HostedProviderSettings(
                    apiBase: provider.baseURL, apiKey: PaymentSecret(provider.apiKey),
                    webhookSecret: PaymentSecret(provider.webhookSecret), publicBase: "http://127.0.0.1:8080")
                settings.timeoutMilliseconds = timeoutMilliseconds
                $0.paymentProvider = settings
            }
        }
    }

    var webhookURL: String { app.baseURL + "/payments/webhook/hosted" }

    /// Presses 支払いへ進む; returns the response (303 to the provider's next_url when it worked).
    func startCheckout(_ charge: FeeCharge, browser: Browser) throws -> BrowserResponse {
        let payPath = try #require(charge.payPath)
        _ = try browser.get(payPath)
        return try browser.submit(payPath + "/checkout", form: [])
    }

    func webhookRows() throws -> [(eventID: String, outcome: String?)] {
        try app.database.read {
            try $0.query("SELECT event_id, outcome FROM payment_webhook_events ORDER BY id").map {
                (try $0.get("event_id"), try $0.get("outcome"))
            }
        }
    }

    var module: PaymentsModule {
        app.application.modules.compactMap { $0 as? PaymentsModule }.first!
    }

    var workflow: PaymentWorkflow { module.workflow }

    static func feeRequest(
        subjectID: Int64 = 1, amountYen: Int = 300, key: String? = nil, payer: FeePayer = .guest(reference: "G0001"),
        module: String = "testfees"
    ) -> FeeRequest {
        FeeRequest(
            purpose: .certificateFee, subject: FeeSubject(module: module, id: subjectID), payer: payer,
            amountYen: amountYen, description: "住民票の写し 1通", idempotencyKey: key ?? "fee-\(subjectID)",
            returnPath: "/testfees/\(subjectID)")
    }

    /// `requestFee` inside a write of its own, as the charging module's request would call it.
    func requestFee(_ request: FeeRequest) throws -> FeeCharge {
        let collector: any FeeCollector = module
        let now = app.clock.now()
        return try app.database.write { try collector.requestFee(request, at: now, on: $0) }
    }

    func payment(_ id: Int64) throws -> StoredPayment {
        try #require(try app.database.read { try PaymentStore.fetchPayment(id: id, on: $0) })
    }

    func events(_ id: Int64) throws -> [PaymentEvent] {
        try app.database.read { try PaymentStore.fetchEvents(paymentID: id, on: $0) }
    }

    /// A new API token with `scopes`, as `madoguchi token create` makes one.
    func makeToken(name: String = "billing", scopes: [String] = ["payments:create", "payments:read"]) throws -> String {
        let token = APITokenRules.generateToken()
        let now = app.clock.now()
        try app.database.write {
            _ = try APITokenStore.insertToken(
                name: name, tokenHash: APITokenRules.hash(token), scopes: scopes, at: now, on: $0)
        }
        return token
    }

    static func createBody(amount: String = "300", subjectID: Int64 = 1, description: String = "水道料金 11月分")
        -> String
    {
        """
        {"purpose":"water_charge","subject":{"module":"testfees","id":\(subjectID)},\
        "payer":{"guest_reference":"W-0001"},"amount_yen":\(amount),"description":"\(description)",\
        "return_path":"/"}
        """
    }

    /// `POST /api/v1/payments` on a fresh connection.
    func create(token: String?, key: String?, body: String) throws -> EasyHandle.Response {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let key { headers.append(("Idempotency-Key", key)) }
        return try app.request("POST", "/api/v1/payments", headers: headers, body: Data(body.utf8))
    }

    func paymentCount() throws -> Int {
        try app.database.read { try $0.scalar("SELECT count(*) FROM payments", as: Int.self) } ?? -1
    }

    /// Walks the sandbox checkout as a payer's browser would: the pay page, 支払いへ進む, the sandbox's button,
    /// back to the return URL. Returns the final redirect's Location.
    @discardableResult
    func payInSandbox(_ charge: FeeCharge, outcome: String, method: String = "qr_code", browser: Browser? = nil)
        throws -> String?
    {
        let browser = browser ?? app.browser()
        let payPath = try #require(charge.payPath)
        #expect(try browser.get(payPath).status == 200)
        let started = try browser.submit(payPath + "/checkout", form: [])
        #expect(started.status == 303)
        let checkoutPath = try #require(started.location)
        #expect(checkoutPath.hasPrefix("/payments/sandbox/"))
        #expect(try browser.get(checkoutPath).status == 200)
        let completed = try browser.submit(checkoutPath, form: [("method", method), ("outcome", outcome)])
        #expect(completed.status == 303)
        let returnPath = try #require(completed.location)
        #expect(returnPath == payPath + "/return")
        let returned = try browser.get(returnPath)
        #expect(returned.status == 303)
        return returned.location
    }
}

/// A staff member calling `/api/v1/staff/...` with the console's session cookie and its CSRF token.
struct StaffClient {
    let browser: Browser
    let csrfToken: String
    let staffID: Int64

    static func logIn(_ harness: PaymentsHarness, _ loginID: String, role: StaffRole) throws -> StaffClient {
        try signIn(
            harness, loginID, staffID: try Fixtures.makeStaff(harness.app.database, loginID: loginID, role: role))
    }

    /// A new session for a staff member who already exists (the last one timed out).
    static func signIn(_ harness: PaymentsHarness, _ loginID: String, staffID id: Int64) throws -> StaffClient {
        let browser = harness.app.browser()
        try browser.signInAsStaff(loginID)
        _ = try browser.get("/staff/")
        return StaffClient(browser: browser, csrfToken: try #require(browser.csrfToken), staffID: id)
    }

    func get(_ path: String) throws -> BrowserResponse { try browser.json("GET", path) }

    func post(_ path: String, _ body: String) throws -> BrowserResponse {
        try browser.json("POST", path, body: body, headers: [("X-CSRF-Token", csrfToken)])
    }
}
