import Foundation
import Store
import TestSupport
import Testing

@testable import Payments

/// A crafted settlement report with each outcome, imported over HTTP, then imported again.
@Suite struct ReconciliationTests {
    static func upload(_ client: StaffClient, _ data: Data) throws -> BrowserResponse {
        var body = MultipartBody()
        body.add("csrf_token", client.csrfToken)
        body.addFile("report", filename: "settlement.csv", contentType: "text/csv", data: data)
        return try client.browser.send(
            "POST", "/staff/payments/reconciliation", headers: [("Content-Type", body.contentType)], body: body.data)
    }

    @Test func eachMismatchKindIsShownAndAReimportChangesNothing() throws {
        let fake = try FakePaymentProvider()
        let harness = try PaymentsHarness(provider: fake)
        let browser = harness.app.browser()
        var references: [String] = []
        for subject in 1...3 {
            let charge = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: Int64(subject), amountYen: 300))
            _ = try harness.startCheckout(charge, browser: browser)
            let remote = try #require(fake.payments.last)
            fake.complete(remote.id, as: .success)
            _ = try browser.get(try #require(charge.payPath) + "/return")
            references.append(remote.id)
        }
        // Matched, amount mismatch, missing ours; the third payment is missing theirs.
        let csv = """
            決済ID,金額,手数料,入金日
            \(references[0]),300,10,2026-04-02
            \(references[1]),350,10,2026-04-02
            unknownpaymentreference00,500,15,2026-04-02

            """
        let sjis = try #require(csv.data(using: .shiftJIS))
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let imported = try Self.upload(supervisor, sjis)
        #expect(imported.status == 303)
        #expect(imported.location == "/staff/payments/reconciliation?done=imported")

        let rows = try harness.workflow.reconciliation()
        #expect(rows.map(\.outcome) == [.matched, .amountMismatch, .missingOurs, .missingTheirs])
        #expect(rows.last?.reference == references[2])
        let payments = try harness.app.database.read { try $0.query("SELECT state FROM payments ORDER BY id") }
            .map { try $0.get("state", as: String.self) }
        #expect(payments == ["settled", "captured", "captured"])
        let page = try supervisor.browser.get("/staff/payments/reconciliation")
        for label in ["一致", "金額不一致", "当方に記録なし", "精算データになし"] { #expect(page.text.contains(label)) }
        let exported = try supervisor.browser.get("/staff/payments/reconciliation.csv")
        #expect(exported.text.contains("金額不一致,\(references[1])"))

        // The close of the capture day shows the provider's fees of its matched lines.
        #expect(try harness.workflow.dayCloseReport(day: "2026-04-01").feesYen == 20)

        let eventsBefore = try harness.app.database.read {
            try $0.scalar("SELECT count(*) FROM payment_events", as: Int.self)
        }
        let again = try Self.upload(supervisor, sjis)
        #expect(again.location == "/staff/payments/reconciliation?done=unchanged")
        // The same lines in another encoding are another file, but each line is stored once.
        #expect(try Self.upload(supervisor, Data(csv.utf8)).status == 303)
        #expect(try harness.workflow.reconciliation() == rows)
        #expect(
            try harness.app.database.read { try $0.scalar("SELECT count(*) FROM payment_events", as: Int.self) }
                == eventsBefore)
        #expect(
            try harness.app.database.read {
                try $0.scalar("SELECT count(*) FROM payment_settlement_lines", as: Int.self)
            } == 3)
    }

    @Test func aBadFileIs422NamingTheLineAndAClerkCannotImport() throws {
        let harness = try PaymentsHarness()
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let bad = try Self.upload(
            supervisor, Data("provider_reference,amount_yen,fee_yen,settled_on\nabc,1.5,0,2026-04-02\n".utf8))
        #expect(bad.status == 422)
        #expect(bad.text.contains("2 行目"))
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        #expect(try Self.upload(clerk, Data("provider_reference,amount_yen,fee_yen,settled_on\n".utf8)).status == 403)
        #expect(
            try harness.app.database.read {
                try $0.scalar("SELECT count(*) FROM payment_settlement_imports", as: Int.self)
            } == 0)
    }
}
