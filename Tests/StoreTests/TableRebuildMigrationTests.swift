import Foundation
import Store
import TestSupport
import Testing

/// 0007 rebuilds resident_messages inside a transaction with foreign keys on: the notices that point at messages
/// must point at the same messages afterwards, and a message whose notice would lose it must stop the migration.
@Suite("Migrations that rebuild a table keep its rows and whatever points at them")
struct TableRebuildMigrationTests {
    let directory = TemporaryDirectory()

    @Test func messagesKeepTheirIds_theirNotices_andBecomeSourceRecords() throws {
        let database = try Database(path: directory.path("before.sqlite"))
        defer { database.close() }
        try Migrator(directory: try directory.migrations(through: 6)).migrate(database)
        try database.write { connection in
            try insertReceivedApplication(on: connection)
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
        try Migrator(directory: try directory.migrations(through: 7)).migrate(database)
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

    /// 0009 rebuilds usage_events with the KPI's two new dimensions; every earlier event keeps its id and
    /// values (the KPI counts history), the new columns start empty, and the channel rule still holds.
    @Test func theUsageEventRebuild_keepsEveryEvent_andStillRefusesAnUnknownChannel() throws {
        let database = try Database(path: directory.path("usage.sqlite"))
        defer { database.close() }
        try Migrator(directory: try directory.migrations(through: 8)).migrate(database)
        let key = String(repeating: "a", count: 64)
        try database.write { connection in
            try connection.run(
                """
                INSERT INTO usage_events (id, occurred_at, source, kind, channel, resident_key, subject_code, fiscal_year)
                VALUES (5, '2026-03-31T14:59:59.000Z', 'applications', 'submitted', 'web', ?, 'water-stop', 2025),
                       (9, '2026-04-01T00:00:00.000Z', 'applications', 'submitted', 'counter', ?, NULL, 2026)
                """, key, key)
        }
        let applied = try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        #expect(applied.contains(9))
        let rows = try database.read {
            try $0.query(
                "SELECT id, channel, subject_code, fiscal_year, paper_pages, district_code FROM usage_events ORDER BY id"
            )
        }
        #expect(try rows.map { try $0.get("id", as: Int64.self) } == [5, 9])
        #expect(try rows.map { try $0.get("channel", as: String.self) } == ["web", "counter"])
        #expect(try rows.map { try $0.get("fiscal_year", as: Int.self) } == [2025, 2026])
        #expect(try rows.first?.get("subject_code", as: String?.self) == "water-stop")
        #expect(try rows.allSatisfy { try $0.get("paper_pages", as: Int?.self) == nil })
        #expect(try rows.allSatisfy { try $0.get("district_code", as: String?.self) == nil })
        #expect(throws: SQLiteError.self) {
            try database.write { connection in
                try connection.run(
                    """
                    INSERT INTO usage_events (occurred_at, source, kind, channel, resident_key, fiscal_year)
                    VALUES ('2026-04-01T00:00:00.000Z', 'applications', 'submitted', 'fax', ?, 2026)
                    """, key)
            }
        }
    }
}
