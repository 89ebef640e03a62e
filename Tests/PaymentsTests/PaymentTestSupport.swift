import App
import Foundation
import HTTPClient
import Identity
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

    init() throws {
        let subjects = RecordingFeeSubjects()
        self.subjects = subjects
        app = try TestApplication { $0.additionalFeeSubjects = [subjects] }
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
