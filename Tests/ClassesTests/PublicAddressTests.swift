import App
import Formats
import Foundation
import TestSupport
import Testing
import Web

@testable import Classes

/// Links that leave the building (the flyer's QR code on a notice board, the LINE class notice) point at the
/// configured public address, never at the request's Host: anyone can send a Host, and the flyer prints it.
@Suite struct PublicAddressTests {
    static let hostileHost = [("Host", "evil.example")]
    static let qrTitle = "この教室の申し込みページを開く QR コード"

    /// What the flyer's QR code says, read back by zbarimg: the flyer must draw exactly the symbol of `url`.
    static func expectFlyerQR(_ flyer: BrowserResponse, reads url: String) throws {
        let code = try QRCode(text: url)
        #expect(flyer.text.contains(code.svg(title: qrTitle, size: .millimetres(40))), "the QR code of \(url)")
        #expect(try QRCodeTools.zbarDecode(size: code.size, isDark: code.isDark) == url)
        #expect(!flyer.text.contains("evil.example"))
    }

    @Test func aHostileHost_reachesNeitherTheFlyerQR_norTheLINENoticeLink_theConfiguredAddressDoes() throws {
        let publicBase = "https://madoguchi.town.example.jp"
        let app = try TestApplication { $0.publicBaseURL = publicBase }
        try Fixtures.seedDistricts(app.database)
        try Fixtures.makeStaff(app.database, loginID: "machi", department: .townPlanning)
        let id = try ClassesFixtures.makeSession(app)

        let flyer = try app.browser().get("/classes/\(id)/flyer", headers: Self.hostileHost)
        #expect(flyer.status == 200)
        try Self.expectFlyerQR(flyer, reads: "\(publicBase)/classes/\(id)")

        let staff = app.browser()
        try staff.signInAsStaff("machi")
        let page = try staff.get("/staff/classes/\(id)", headers: Self.hostileHost)
        #expect(page.status == 200)
        #expect(page.text.contains("申込ページ=\(publicBase)/classes/\(id)?via=line"), "the LINE notice's link")
        #expect(!page.text.contains("evil.example"))
    }

    @Test func withNoAddressConfigured_theLinksUseTheListenAddress_notTheHost() throws {
        let app = try TestApplication(developmentMode: true)
        try Fixtures.seedDistricts(app.database)
        let id = try ClassesFixtures.makeSession(app)
        let flyer = try app.browser().get("/classes/\(id)/flyer", headers: Self.hostileHost)
        try Self.expectFlyerQR(flyer, reads: "\(app.baseURL)/classes/\(id)")
    }
}
