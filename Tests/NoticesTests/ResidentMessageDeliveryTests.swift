import Foundation
import Notices
import ServiceKit
import Store
import TestSupport
import Testing

@Suite("Delivering resident_messages through the outbox")
struct ResidentMessageDeliveryTests {
    let directory = TemporaryDirectory()

    /// A message as the applications module writes it, through the shared writer.
    static func insertMessage(
        _ database: Database, residentID: Int64?, applicationID: Int64? = nil, subject: String, body: String
    ) throws -> Int64 {
        try database.write { connection in
            try ResidentMessages.send(
                subject: subject, body: body, to: residentID, source: "applications", recordID: applicationID,
                at: ManualTimeSource.defaultStart, on: connection)
        }
    }

    /// A guest's application (no resident), enough for a message to point at.
    static func insertGuestApplication(_ database: Database) throws -> Int64 {
        try database.write { connection in
            try connection.run(
                """
                INSERT INTO applications (reference, procedure_code, procedure_version, department, channel, status,
                    answers, fee_yen, retention_years, created_at, submitted_at, updated_at, submission_token)
                VALUES ('ABCDEFGH', 'water-start', 1, '建設水道課', 'web', 'in_review', '{}', 0, 1, ?, ?, ?,
                    'guest-submission-token-1')
                """, ManualTimeSource.defaultStart, ManualTimeSource.defaultStart, ManualTimeSource.defaultStart)
            return connection.lastInsertRowID
        }
    }

    static func channels(_ database: Database) throws -> [Int64: String?] {
        try database.read { connection in
            var result: [Int64: String?] = [:]
            for row in try connection.query("SELECT id, delivery_channel FROM resident_messages") {
                result[try row.get("id")] = try row.get("delivery_channel", as: String?.self)
            }
            return result
        }
    }

    @Test func aRun_pushesToLinkedResidents_listsTheOthers_andNeverDeliversTwice() throws {
        let database = try Fixtures.makeDatabase(in: directory, withDistricts: true)
        let store = NoticeStore(database: database)
        // Resident 1 linked, resident 2 not.
        let ids = try Fixtures.makeResidents(database, count: 2) { $0 == 0 }
        let linked = try Self.insertMessage(
            database, residentID: ids[0], subject: "申請の状況が変わりました", body: "審査を始めました。{受付番号}はそのままです。")
        let unlinked = try Self.insertMessage(
            database, residentID: ids[1], subject: "申請の状況が変わりました", body: "訂正をお願いします。")
        let guest = try Self.insertMessage(
            database, residentID: nil, applicationID: try Self.insertGuestApplication(database), subject: "承認",
            body: "申請は承認されました。")
        let fake = try FakeLINEAPI()

        let first = try makeJob(store, fake).run()
        #expect(first.residentMessages == ResidentMessageDelivery.Tally(line: 1, fallback: 1, webLookup: 1))
        #expect(first.progress.sent == 1 && !first.needsAttention)
        // Braces in a body are text, never placeholders.
        #expect(
            fake.deliveredTexts == [
                Fixtures.lineUserID(1): ["申請の状況が変わりました\n\n審査を始めました。{受付番号}はそのままです。"]
            ])
        let fallback = try store.fetchFallbackList()
        #expect(fallback.map(\.residentID) == [ids[1]])
        #expect(fallback.first?.text == "申請の状況が変わりました\n\n訂正をお願いします。")
        #expect(try Self.channels(database) == [linked: "line", unlinked: "post", guest: "mypage"])

        // A rerun, and a new message: only the new one goes out.
        let later = try Self.insertMessage(database, residentID: ids[0], subject: "完了", body: "手続きが完了しました。")
        let second = try makeJob(store, fake).run()
        #expect(second.residentMessages == ResidentMessageDelivery.Tally(line: 1, fallback: 0, webLookup: 0))
        #expect(fake.deliveredTexts[Fixtures.lineUserID(1)]?.count == 2)
        #expect(fake.stats.accepted == 2)
        let third = try makeJob(store, fake).run()
        #expect(third.residentMessages.total == 0)
        #expect(fake.stats.accepted == 2)
        #expect(try Self.channels(database)[later] == "line")
        #expect(try store.fetchFallbackList().count == 1)
    }

    @Test func aTooLongBody_isShortenedForLINE_andPointsToMyPage() throws {
        let database = try Fixtures.makeDatabase(in: directory, withDistricts: true)
        let ids = try Fixtures.makeResidents(database, count: 1)
        _ = try Self.insertMessage(
            database, residentID: ids[0], subject: "長いお知らせ", body: String(repeating: "あ", count: 6_000))
        let tally = try ResidentMessageDelivery(store: NoticeStore(database: database)).deliverPending(
            now: ManualTimeSource.defaultStart)
        #expect(tally.line == 1)
        let notice = try #require(try NoticeStore(database: database).fetchRecentNotices().first)
        let request = try #require(try NoticeStore(database: database).fetchRequests(noticeID: notice.id).first)
        let body = try JSONSerialization.jsonObject(with: request.payload) as? [String: Any]
        let text = ((body?["messages"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        #expect(text.utf16.count <= 5_000)
        #expect(text.hasSuffix("（続きはマイページでご覧ください）"))
    }
}
