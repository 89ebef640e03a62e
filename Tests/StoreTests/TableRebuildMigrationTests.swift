import Foundation
import Store
import TestSupport
import Testing

/// 0007 rebuilds resident_messages inside a transaction with foreign keys on: the notices that point at messages
/// must point at the same messages afterwards, and a message whose notice would lose it must stop the migration.
@Suite("Migrations that rebuild a table keep its rows and whatever points at them")
struct TableRebuildMigrationTests {
    let directory = TemporaryDirectory()

    /// A migrations folder holding only the files up to `version`, so a database can stop before 0007.
    func migrations(through version: Int) throws -> URL {
        let folder = URL(fileURLWithPath: directory.path("migrations-\(version)"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.migrations.path)
        where name.hasSuffix(".sql") && Int(name.prefix(4))! <= version {
            try FileManager.default.copyItem(
                at: RepositoryPaths.migrations.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    @Test func messagesKeepTheirIds_theirNotices_andBecomeSourceRecords() throws {
        let database = try Database(path: directory.path("before.sqlite"))
        defer { database.close() }
        try Migrator(directory: try migrations(through: 6)).migrate(database)
        try database.write { connection in
            try connection.run(
                """
                INSERT INTO applications (id, reference, procedure_code, procedure_version, department, channel, status,
                    answers, fee_yen, retention_years, created_at, submitted_at, updated_at, submission_token)
                VALUES (41, 'ABCDEFGH', 'water-start', 1, '建設水道課', 'web', 'received', '{}', 0, 1,
                    '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', 'submission-token-0041')
                """)
            try connection.run(
                """
                INSERT INTO resident_messages (id, application_id, subject, body, created_at, source, delivered_at,
                    delivery_channel)
                VALUES (7, 41, '件名', '本文', '2026-05-01T00:00:00.000Z', 'applications', '2026-05-01T01:00:00.000Z',
                    'mypage'),
                       (8, 41, '二通目', '本文', '2026-05-02T00:00:00.000Z', 'applications', NULL, NULL)
                """)
            try connection.run(
                """
                INSERT INTO notices (id, title, messages, audience_kind, audience, personalised, send_at, created_by,
                    created_at, recipient_count, fallback_count, resident_message_id)
                VALUES (3, 'お知らせ', '["本文"]', 'resident', '{}', 1, '2026-05-01T00:00:00.000Z', 'job',
                    '2026-05-01T00:00:00.000Z', 0, 0, 7)
                """)
        }
        let applied = try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        #expect(applied.contains(7))
        let (rows, noticeMessage, violations, usageColumns) = try database.read { connection in
            (
                try connection.query(
                    "SELECT id, source, record_id, delivery_channel FROM resident_messages ORDER BY id"),
                try connection.scalar("SELECT resident_message_id FROM notices WHERE id = 3", as: Int64.self),
                try connection.query("PRAGMA foreign_key_check").count,
                try connection.query("PRAGMA table_info(usage_events)").map { try $0.get("name", as: String.self) }
            )
        }
        #expect(try rows.map { try $0.get("id", as: Int64.self) } == [7, 8])
        #expect(try rows.allSatisfy { try $0.get("source", as: String.self) == "applications" })
        #expect(try rows.allSatisfy { try $0.get("record_id", as: Int64.self) == 41 })
        #expect(try rows.first?.get("delivery_channel", as: String?.self) == "mypage")
        #expect(noticeMessage == 7)
        #expect(violations == 0)
        #expect(usageColumns.contains("subject_code") && !usageColumns.contains("procedure_code"))
    }

    /// 0008 rebuilds notice_requests the same way; the recipients that point at a request keep pointing at it.
    @Test func theOutboxRebuild_keepsRequestsAndTheirRecipients() throws {
        let database = try Database(path: directory.path("outbox.sqlite"))
        defer { database.close() }
        try Migrator(directory: try migrations(through: 7)).migrate(database)
        try database.write { connection in
            try connection.run("INSERT INTO districts (code, name, kana) VALUES ('biratori', '平取', 'ビラトリ')")
            try connection.run(
                """
                INSERT INTO residents (id, login_id, full_name, full_name_kana, birth_date, postal_code, address,
                    district_code, contact_channel, registered_via, created_at, updated_at)
                VALUES (5, 'r@example.jp', '平取 花子', 'ビラトリ ハナコ', '1950-04-01', '055-0192', '平取町',
                    'biratori', 'line', 'web', '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z')
                """)
            try connection.run(
                """
                INSERT INTO notices (id, title, messages, audience_kind, audience, personalised, send_at, created_by,
                    created_at, recipient_count, fallback_count)
                VALUES (3, 'お知らせ', '["本文"]', 'resident', '{}', 0, '2026-05-01T00:00:00.000Z', 'job',
                    '2026-05-01T00:00:00.000Z', 1, 0)
                """)
            try connection.run(
                """
                INSERT INTO notice_requests (id, notice_id, endpoint, recipients, recipient_count, payload, retry_key,
                    state, next_attempt_at, sent_at, created_at)
                VALUES (11, 3, 'push', '["U0123"]', 1, '{}', '123e4567-e89b-12d3-a456-426614174000', 'sent',
                    '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:01.000Z', '2026-05-01T00:00:00.000Z')
                """)
            try connection.run(
                """
                INSERT INTO notice_recipients (notice_id, resident_id, line_user_id, request_id, delivery)
                VALUES (3, 5, 'U0123', 11, 'line')
                """)
        }
        let applied = try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        #expect(applied.contains(8))
        let (state, recipientRequest, violations) = try database.read { connection in
            (
                try connection.scalar("SELECT state FROM notice_requests WHERE id = 11", as: String.self),
                try connection.scalar("SELECT request_id FROM notice_recipients WHERE notice_id = 3", as: Int64.self),
                try connection.query("PRAGMA foreign_key_check").count
            )
        }
        #expect(state == "sent")
        #expect(recipientRequest == 11)
        #expect(violations == 0)
    }
}
