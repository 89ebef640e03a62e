import Cryptography
import Foundation
import Store
import TestSupport
import Testing

@testable import Certificates

/// The fee path through the shared protocol, with a recording collector until the payments module lands.
@Suite("Certificate fees through the fee-collection protocol")
struct FeeTests {
    @Test func aRepeatedTokenMakesOneRequestAndOneFee_andCaptureMarksItPaid() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let residentID = try Fixtures.makeResident(database)
        let fees = RecordingFeeCollector()
        let workflow = try CertificateFixtures.workflow(database, fees: fees)
        let token = SecureRandom.token()
        let first = try workflow.submit(
            CertificateFixtures.juminhyo(copies: 2), residentID: residentID, channel: .web, token: token,
            at: CertificateFixtures.now)
        let second = try workflow.submit(
            CertificateFixtures.juminhyo(copies: 2), residentID: residentID, channel: .web, token: token,
            at: CertificateFixtures.now)
        #expect(!first.repeated && second.repeated)
        #expect(first.request.id == second.request.id)
        #expect(fees.requestCount == 1)
        #expect(first.charge?.amountYen == 600)
        #expect(second.charge?.payPath == first.charge?.payPath)
        let recorded = try #require(fees.state.withLock { $0.requests.first })
        #expect(recorded.idempotencyKey == "certificate-request-\(first.request.id)")
        #expect(recorded.description == "住民票の写し 2通")
        #expect(recorded.purpose == .certificateFee)
        #expect(first.request.status == .submitted)

        try fees.capture(CertificateWorkflow.subject(first.request.id), database: database, at: CertificateFixtures.now)
        let paid = try database.read { try CertificateStore.fetchRequest(id: first.request.id, on: $0) }
        #expect(paid?.status == .paid)
    }

    @Test func rejectingAPaidRequestRefundsThroughTheProtocol() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let residentID = try Fixtures.makeResident(database)
        let clerk = try Fixtures.makeStaff(database, loginID: "clerk")
        let fees = RecordingFeeCollector()
        let workflow = try CertificateFixtures.workflow(database, fees: fees)
        let made = try workflow.submit(
            CertificateFixtures.juminhyo(), residentID: residentID, channel: .web, token: SecureRandom.token(),
            at: CertificateFixtures.now)
        try fees.capture(CertificateWorkflow.subject(made.request.id), database: database, at: CertificateFixtures.now)
        #expect(
            try workflow.claim(requestID: made.request.id, staffID: clerk, origin: .none, at: CertificateFixtures.now))
        #expect(throws: CertificateStepRefused.invalid("交付できない理由を500文字以内で入力してください。")) {
            try workflow.act(
                .reject, requestID: made.request.id, staffID: clerk, details: .init(), origin: .none,
                at: CertificateFixtures.now)
        }
        let rejected = try workflow.act(
            .reject, requestID: made.request.id, staffID: clerk, details: .init(reason: "本籍地が他の市町村です"), origin: .none,
            at: CertificateFixtures.now)
        #expect(rejected.status == .rejected)
        #expect(rejected.rejectionReason == "本籍地が他の市町村です")
        #expect(fees.refundCount == 1)
        #expect(fees.state.withLock { $0.fees.values.first?.state } == .refunded)
        let message = try database.read {
            try $0.queryFirst("SELECT subject, body FROM resident_messages WHERE source = 'certificates'")
        }
        #expect((try message?.get("subject", as: String.self)) == "【住民票の写し】交付できませんでした")
        #expect((try message?.get("body", as: String.self))?.contains("返金") == true)
    }
}
