import Cryptography
import Foundation
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@Suite("Shared writers: resident_messages and usage_events")
struct SharedWritersTests {
    /// The one row the foreign key needs; ServiceKit sits below Identity, so no Identity factory here.
    static func insertResident(on connection: Connection) throws -> Int64 {
        try connection.run("INSERT OR IGNORE INTO districts (code, name, kana) VALUES ('biratori', '平取', 'ビラトリ')")
        try connection.run(
            """
            INSERT INTO residents (login_id, full_name, full_name_kana, birth_date, postal_code, address,
                district_code, contact_channel, registered_via, created_at, updated_at)
            VALUES ('resident@example.jp', '平取 花子', 'ビラトリ ハナコ', '1950-04-01', '055-0192', '平取町本町',
                'biratori', 'email', 'web', '2026-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z')
            """)
        return connection.lastInsertRowID
    }

    @Test func aMessageIsFoundByResident_andByItsSourceRecord_andDeliveredOnce() throws {
        let directory = try TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        defer { database.close() }
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        let ids = try database.write { connection in
            let residentID = try Self.insertResident(on: connection)
            let forResident = try ResidentMessages.send(
                subject: "件名", body: "本文", to: residentID, source: "certificates", recordID: 9, at: now,
                on: connection)
            let forGuest = try ResidentMessages.send(
                subject: "ゲスト", body: "本文", to: nil, source: "applications", recordID: 9, at: now, on: connection)
            return (residentID, forResident, forGuest)
        }
        let (byResident, byRecord, undelivered) = try database.read { connection in
            (
                try ResidentMessages.fetchMessages(residentID: ids.0, on: connection).map(\.id),
                try ResidentMessages.fetchMessages(source: "applications", recordID: 9, on: connection).map(\.id),
                try ResidentMessages.fetchUndelivered(limit: 10, on: connection).map(\.id)
            )
        }
        #expect(byResident == [ids.1])
        // The same record id in two modules is two records.
        #expect(byRecord == [ids.2])
        #expect(undelivered == [ids.1, ids.2])
        let (first, second) = try database.write { connection in
            (
                try ResidentMessages.markDelivered(id: ids.1, channel: .line, at: now, on: connection),
                try ResidentMessages.markDelivered(id: ids.1, channel: .post, at: now, on: connection)
            )
        }
        #expect(first && !second)
        let delivered = try database.read { try ResidentMessages.fetchMessages(residentID: ids.0, on: $0) }
        #expect(delivered.first?.deliveryChannel == .line)
        try database.write { try ResidentMessages.deleteMessages(source: "applications", recordID: 9, on: $0) }
        #expect(try database.read { try ResidentMessages.fetchUndelivered(limit: 10, on: $0) }.isEmpty)
    }

    @Test func aModuleNameThatIsNotLowercaseIsRefusedByTheTable() throws {
        let directory = try TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        defer { database.close() }
        #expect(throws: SQLiteError.self) {
            try database.write {
                try ResidentMessages.send(
                    subject: "件名", body: "本文", to: nil, source: "Applications", recordID: 1, at: Date(), on: $0)
            }
        }
    }

    @Test func usageKeysAreStablePerPerson_distinctAcrossPeople_andKeepTheApplicationsModulesFormat() throws {
        let directory = try TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        defer { database.close() }
        // 2026-03-31 23:30 JST is FY2025; 2026-04-01 00:30 JST is FY2026.
        let lastDayOfFY2025 = Date(timeIntervalSince1970: 1_774_967_400)
        let firstDayOfFY2026 = lastDayOfFY2025.addingTimeInterval(3600)
        try database.write { connection in
            for (person, time) in [
                (UsagePerson.resident(id: 7), lastDayOfFY2025), (.resident(id: 7), firstDayOfFY2026),
                (.guest(record: "application", id: 7), firstDayOfFY2026),
            ] {
                try UsageEvents.record(
                    UsageEvent(
                        source: "applications", kind: "submitted", channel: .web, person: person,
                        subjectCode: "water-stop"), at: time, on: connection)
            }
        }
        let rows = try database.read {
            try $0.query("SELECT resident_key, fiscal_year, subject_code, source FROM usage_events ORDER BY id")
        }
        let keys: [String] = try rows.map { try $0.get("resident_key") }
        let years: [Int] = try rows.map { try $0.get("fiscal_year") }
        #expect(keys[0] == keys[1] && keys[1] != keys[2])
        #expect(years == [2025, 2026, 2026])
        #expect(try rows.allSatisfy { try $0.get("subject_code", as: String.self) == "water-stop" })
        let secret = try database.write {
            try ServerSecretStore.fetchOrCreateSecret(name: "usage_resident_key", at: Date(), on: $0)
        }
        #expect(keys[0] == Hex.encode(Digest.hmacSHA256(key: secret, message: Array("resident:7".utf8))))
        #expect(keys[2] == Hex.encode(Digest.hmacSHA256(key: secret, message: Array("guest-application:7".utf8))))
    }

    /// The KPI's paperless estimate and by-district figures read what the acting module knew at the time.
    @Test func usageEvents_storeThePaperPagesAndTheDistrictTheModuleGives() throws {
        let directory = try TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        defer { database.close() }
        try database.write { connection in
            try UsageEvents.record(
                UsageEvent(
                    source: "certificates", kind: "requested", channel: .web, person: .resident(id: 3),
                    subjectCode: "juminhyo", paperPages: 2, districtCode: "furenai"), at: Date(), on: connection)
            try UsageEvents.record(
                UsageEvent(source: "applications", kind: "looked_up", channel: .web, person: .resident(id: 3)),
                at: Date(), on: connection)
        }
        let rows = try database.read { try $0.query("SELECT paper_pages, district_code FROM usage_events ORDER BY id") }
        #expect(try rows.map { try $0.get("paper_pages", as: Int?.self) } == [2, nil])
        #expect(try rows.map { try $0.get("district_code", as: String?.self) } == ["furenai", nil])
    }
}
