import Foundation
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Payments

/// 領収書, the receipt notice, マイページ's お支払い and the dashboard tile, over real HTTP.
@Suite struct ReceiptTests {
    @Test func aPaidFeeHasAPrintableReceiptAndTheResidentAReceiptNotice() throws {
        let harness = try PaymentsHarness()
        let residentID = try Fixtures.makeResident(harness.app.database)
        let charge = try harness.requestFee(
            PaymentsHarness.feeRequest(amountYen: 1_350, payer: .resident(id: residentID)))
        let payPath = try #require(charge.payPath)
        #expect(try harness.app.browser().get(payPath + "/receipt").status == 404)

        try harness.payInSandbox(charge, outcome: "pay", method: "credit_card")
        let payer = harness.app.browser()
        try payer.signInAsResident()
        let receipt = try payer.get(payPath + "/receipt")
        #expect(receipt.status == 200)
        let number = "R2026-" + String(format: "%06d", charge.paymentID)
        #expect(receipt.text.contains(number))
        #expect(receipt.text.contains("￥1,350－"))
        #expect(receipt.text.contains("但し　住民票の写し 1通（証明書手数料）として"))
        #expect(receipt.text.contains("令和8年4月1日"))
        #expect(receipt.text.contains(Fixtures.residentProfile().fullName + " 様"))
        #expect(receipt.text.contains("会計管理者"))
        #expect(receipt.text.contains("クレジットカード"))
        #expect(receipt.headers["cache-control"] == "no-store")

        let messages = try harness.app.database.read {
            try ResidentMessages.fetchMessages(residentID: residentID, on: $0)
        }
        #expect(messages.count == 1)
        #expect(messages.first?.subject == "【領収書】お支払いを受け付けました")
        #expect(messages.first?.body.contains(number) == true)
        #expect(messages.first?.source == "payments")
    }

    /// The pay link is a bearer token: forwarded, or left in a shared PC's history. Its holder used to see the
    /// payer's name on the receipt; now only the payer signed in does, and anyone else gets the blank 「　様」.
    @Test func aReceiptThroughThePayLinkNamesThePayerOnlyToThePayerSignedIn() throws {
        let harness = try PaymentsHarness()
        let residentID = try Fixtures.makeResident(harness.app.database)
        let charge = try harness.requestFee(PaymentsHarness.feeRequest(payer: .resident(id: residentID)))
        try harness.payInSandbox(charge, outcome: "pay")
        let name = Fixtures.residentProfile().fullName
        let holder = try harness.app.browser().get(try #require(charge.payPath) + "/receipt")
        #expect(holder.status == 200)
        #expect(holder.text.contains("　　　　　　　　 様"))
        #expect(!holder.text.contains(name))
        let clerk = harness.app.browser()
        _ = try Fixtures.makeStaff(harness.app.database, loginID: "madoguchi")
        try clerk.signInAsStaff("madoguchi")
        #expect(!(try clerk.get(try #require(charge.payPath) + "/receipt").text.contains(name)), "staff sessions too")
    }

    @Test func aGuestsReceiptLeavesTheAddresseeBlankAndItsNoticeIsFoundByThePayment() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        try harness.payInSandbox(charge, outcome: "pay")
        let receipt = try harness.app.browser().get(try #require(charge.payPath) + "/receipt")
        #expect(receipt.status == 200)
        #expect(receipt.text.contains("　　　　　　　　 様"))
        let messages = try harness.app.database.read {
            try ResidentMessages.fetchMessages(source: "payments", recordID: charge.paymentID, on: $0)
        }
        #expect(messages.count == 1)
    }

    @Test func myPageListsTheResidentsPaymentsWithPayAndReceiptLinks() throws {
        let harness = try PaymentsHarness()
        let residentID = try Fixtures.makeResident(harness.app.database)
        let paid = try harness.requestFee(
            PaymentsHarness.feeRequest(subjectID: 1, amountYen: 300, payer: .resident(id: residentID)))
        let open = try harness.requestFee(
            PaymentsHarness.feeRequest(subjectID: 2, amountYen: 450, payer: .resident(id: residentID)))
        _ = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 3, amountYen: 999))
        try harness.payInSandbox(paid, outcome: "pay")
        let browser = harness.app.browser()
        try browser.signInAsResident()
        let page = try browser.get("/mypage")
        #expect(page.status == 200)
        #expect(page.text.contains("お支払い"))
        #expect(page.text.contains("\(try #require(paid.payPath))/receipt"))
        #expect(page.text.contains("href=\"\(try #require(open.payPath))\""))
        #expect(!page.text.contains("999円"), "another payer's fee")
    }

    @Test func theDashboardTileCountsTodaysPaymentsOnlineAndAtTheCounter() throws {
        let harness = try PaymentsHarness()
        let online = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 1, amountYen: 300))
        let counter = try harness.requestFee(PaymentsHarness.feeRequest(subjectID: 2, amountYen: 200))
        try harness.payInSandbox(online, outcome: "pay")
        let clerk = try StaffClient.logIn(harness, "madoguchi", role: .clerk)
        _ = try clerk.post(
            "/api/v1/staff/payments/\(counter.paymentID)/counter", #"{"method":"cash","cash_received_yen":500}"#)
        let dashboard = try clerk.browser.get("/staff/")
        #expect(dashboard.text.contains("本日のお支払い"))
        #expect(dashboard.text.contains("オンライン：1 件　300円"))
        #expect(dashboard.text.contains("窓口：1 件　200円"))
    }
}

@Suite struct PaymentsDemoDataTests {
    @Test func theDemoResidentGetsAPaidFeeAndOneToPayOnce() throws {
        let harness = try PaymentsHarness()
        let residentID = try Fixtures.makeResident(harness.app.database)
        let now = harness.app.clock.now()
        #expect(try PaymentsDemoData.seed(workflow: harness.workflow, residentID: residentID, at: now) == 2)
        #expect(try PaymentsDemoData.seed(workflow: harness.workflow, residentID: residentID, at: now) == 0)
        let states = try harness.app.database.read {
            try PaymentStore.fetchPayments(residentID: residentID, on: $0)
        }.map(\.state)
        #expect(Set(states) == [.captured, .created])
    }
}

/// The 日計表 and the 領収書 print on A4 pages of their own (CSS named pages), so another printout's margins
/// (the KPI report's, the class flyer's) never decide theirs.
@Suite struct PaymentPrintPagesTests {
    @Test func theCashCloseAndTheReceiptAreNamedA4Pages() throws {
        let harness = try PaymentsHarness()
        let charge = try harness.requestFee(PaymentsHarness.feeRequest())
        try harness.payInSandbox(charge, outcome: "pay")
        let receipt = try harness.app.browser().get(try #require(charge.payPath) + "/receipt")
        #expect(receipt.text.contains(#"<section class="receipt""#))
        let supervisor = try StaffClient.logIn(harness, "kaikei", role: .supervisor)
        let close = try supervisor.browser.get("/staff/payments/close")
        #expect(close.status == 200)
        #expect(close.text.contains(#"<section class="cash-close""#))

        let stylesheetPath = try #require(
            close.text.firstMatch(of: /href="(\/assets\/madoguchi-[0-9a-f]+\.css)"/).map { String($0.1) })
        let css = try supervisor.browser.get(stylesheetPath).text
        for rule in [
            "@page cash-close { size: A4 portrait;", "@page receipt { size: A4 portrait;",
            ".cash-close { page: cash-close; }", ".receipt { page: receipt;",
        ] {
            #expect(css.contains(rule), "\(rule)")
        }
    }
}
