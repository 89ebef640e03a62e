import Cryptography
import Foundation
import Notices
import Store
import TestSupport
import Testing

@testable import Certificates

/// 交付準備完了 reaches the resident through `resident_messages`: by LINE when linked, otherwise on the
/// printed fallback list, as Notices delivers every module's messages.
@Suite("Ready notices through resident_messages")
struct ReadyNoticeTests {
    @Test func aReadyCertificateIsPushedToALinkedResident_andListedForTheOther() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory, withDistricts: true)
        let residents = try Fixtures.makeResidents(database, count: 2) { $0 == 0 }
        let clerk = try Fixtures.makeStaff(database, loginID: "clerk")
        let workflow = try CertificateFixtures.workflow(database, fees: nil)
        let now = CertificateFixtures.now
        for resident in residents {
            let made = try workflow.submit(
                CertificateFixtures.juminhyo(payment: .counter), residentID: resident, channel: .web,
                token: SecureRandom.token(), at: now)
            #expect(try workflow.claim(requestID: made.request.id, staffID: clerk, origin: .none, at: now))
            try workflow.act(
                .start, requestID: made.request.id, staffID: clerk, details: .init(), origin: .none, at: now)
            try workflow.act(
                .ready, requestID: made.request.id, staffID: clerk, details: .init(), origin: .none, at: now)
        }
        let fake = try FakeLINEAPI()
        var configuration = NoticesJobConfiguration(accessToken: ChannelAccessToken(fake.configuration.accessToken))
        configuration.apiBase = fake.baseURL
        configuration.requestTimeout = 2
        let store = NoticeStore(database: database)
        let result = try NoticesJob(store: store, configuration: configuration).run()
        #expect(result.residentMessages.line == 1)
        #expect(result.residentMessages.fallback == 1)
        let pushed = try #require(fake.deliveredTexts[Fixtures.lineUserID(1)]?.first)
        #expect(pushed.hasPrefix("【住民票の写し】交付の準備ができました"))
        #expect(pushed.contains("2026年4月2日以降、役場の窓口でお受け取りください"))
        let fallback = try store.fetchFallbackList()
        #expect(fallback.map(\.residentID) == [residents[1]])
        #expect(fallback.first?.text.contains("交付の準備ができました") == true)
    }
}
