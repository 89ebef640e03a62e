import App
import Cryptography
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

/// The wired path: Certificates asks the payments module for the fee, the resident pays in the sandbox
/// checkout, Payments tells `CertificateFeeHandler` in the capture's write, and a rejection refunds.
@Suite("Certificate fees through the payments module")
struct RealPaymentTests {
    @Test func aResidentPaysOnlineInTheSandbox_aDoubleSubmitMakesOneFee_andARejectionRefunds() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        try Fixtures.makeStaff(app.database, loginID: "clerk")
        let browser = app.browser()
        try browser.signInAsResident()
        let token = SecureRandom.token()
        _ = try browser.get("/certificates/new/juminhyo")
        let fields = CertificateFixtures.formFields(["payment": "online"], token: token)
        let body = CertificateFixtures.multipart(fields, csrf: try #require(browser.csrfToken))
        let confirm = try browser.send(
            "POST", "/certificates/new/juminhyo", headers: [("Content-Type", body.contentType)], body: body.data)
        #expect(confirm.text.contains("請求して支払いへ進む"))
        let confirmed = fields + [("type", "juminhyo")]
        let first = try browser.submit("/certificates/confirm", form: confirmed)
        let payPath = try #require(first.location)
        #expect(payPath.hasPrefix("/payments/"))
        #expect(try browser.submit("/certificates/confirm", form: confirmed).location == payPath)
        #expect(
            try CertificateFixtures.count(
                app.database, "SELECT count(*) FROM payments WHERE subject_module = 'certificates'")
                == 1)
        let requestID = try #require(
            try app.database.read { try $0.scalar("SELECT id FROM certificate_requests", as: Int64.self) })
        #expect(try browser.get("/certificates/\(requestID)").text.contains("手数料を支払う"))

        // The sandbox checkout, as a person would go through it.
        #expect(try browser.get(payPath).text.contains("600円"))
        let started = try browser.submit(payPath + "/checkout", form: [])
        let checkoutPath = try #require(started.location)
        _ = try browser.get(checkoutPath)
        let completed = try browser.submit(checkoutPath, form: [("method", "credit_card"), ("outcome", "pay")])
        let returned = try browser.get(try #require(completed.location))
        #expect(returned.location == "/certificates/\(requestID)")
        let status = try browser.get("/certificates/\(requestID)")
        #expect(status.text.contains("受付済み（支払済み）"))
        #expect(status.text.contains("支払済み"))

        // The clerk finds it in the queue, then rejects it: the captured fee is refunded through the protocol.
        let clerk = app.browser()
        try clerk.signInAsStaff("clerk")
        _ = try clerk.get("/staff/certificates")
        #expect(
            try clerk.submit("/staff/certificates/claim-next", form: []).location == "/staff/certificates/\(requestID)")
        _ = try clerk.get("/staff/certificates/\(requestID)")
        let rejected = try clerk.submit(
            "/staff/certificates/\(requestID)/actions/reject", form: [("reason", "本籍地が他の市町村です")])
        #expect(rejected.location?.hasSuffix("message=done") == true)
        let refunds = try CertificateFixtures.count(app.database, "SELECT count(*) FROM payment_refunds")
        #expect(refunds == 1)
        let after = try browser.get("/certificates/\(requestID)")
        #expect(after.text.contains("交付できませんでした"))
        #expect(after.text.contains("本籍地が他の市町村です"))
    }
}

@Suite("The daily work report")
struct DailyReportTests {
    @Test func theReportCountsTheDaysRequestsAndFees_asAPageAndExcelSafeCSV() throws {
        let app = try TestApplication()
        let residentID = try Fixtures.makeResident(app.database)
        let clerk = try Fixtures.makeStaff(app.database, loginID: "clerk")
        let module = try #require(app.application.modules.compactMap { $0 as? CertificatesModule }.first)
        let workflow = module.workflow
        let now = app.clock.now()
        for copies in [1, 3] {
            _ = try workflow.submit(
                CertificateFixtures.juminhyo(copies: copies, payment: .counter), residentID: residentID, channel: .web,
                token: SecureRandom.token(), at: now)
        }
        let handed = try workflow.submit(
            CertificateFixtures.juminhyo(copies: 2, payment: .counter), residentID: residentID, channel: .web,
            token: SecureRandom.token(), at: now)
        for action in [CertificateRules.StaffAction.start, .ready] {
            _ = try workflow.claim(requestID: handed.request.id, staffID: clerk, origin: .none, at: now)
            try workflow.act(
                action, requestID: handed.request.id, staffID: clerk, details: .init(), origin: .none, at: now)
        }
        _ = try workflow.claim(requestID: handed.request.id, staffID: clerk, origin: .none, at: now)
        try workflow.act(
            .handOver, requestID: handed.request.id, staffID: clerk, details: .init(identityDocument: .driversLicense),
            origin: .none, at: now)
        let browser = app.browser()
        try browser.signInAsStaff("clerk")
        let page = try browser.get("/staff/certificates/report?date=2026-04-01")
        #expect(page.status == 200)
        #expect(page.text.contains("<td>住民票の写し</td><td>オンライン</td><td>受付済み（窓口でお支払い）</td>"))
        let csv = try browser.get("/staff/certificates/report.csv?date=2026-04-01")
        #expect(csv.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(csv.text.contains("2026-04-01,住民票の写し,オンライン,受付済み（窓口でお支払い）,窓口で受け取る,2,4\r\n"))
        #expect(csv.text.contains("2026-04-01,手数料（窓口収納）,,,,,600\r\n"))
    }
}

@Suite("Certificates demo data")
struct CertificatesDemoDataTests {
    @Test func demoDataHasRequestsInEveryStateAndABoardWithPeopleWaiting() throws {
        let directory = TemporaryDirectory()
        var configuration = AppConfiguration(
            databasePath: directory.path("demo.sqlite"), host: "127.0.0.1", port: 0,
            schemasDirectory: RepositoryPaths.schemas)
        configuration.passwordIterations = 1_000
        let lines = try Madoguchi.seedDemoData(configuration: configuration, at: CertificateFixtures.now)
        #expect(lines.contains("certificate requests added for the demo resident: 8"))
        let again = try Madoguchi.seedDemoData(configuration: configuration, at: CertificateFixtures.now)
        #expect(!again.contains { $0.hasPrefix("certificate requests added") }, "nothing is created twice")
        let database = try Database(path: directory.path("demo.sqlite"))
        defer { database.close() }
        let states = try database.read {
            try $0.query("SELECT DISTINCT status FROM certificate_requests ORDER BY 1").map {
                try $0.get(0, as: String.self)
            }
        }
        #expect(Set(states) == Set(CertificateStatus.allCases.map(\.rawValue)))
        let waiting = try database.read {
            try $0.scalar("SELECT count(*) FROM counter_tickets WHERE status = 'waiting'", as: Int.self)
        }
        #expect(waiting == 9)
    }
}
