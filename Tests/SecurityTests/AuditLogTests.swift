import Cryptography
import Foundation
import Security
import Store
import TestSupport
import Testing

@Suite("Audit log: append-only, hash-chained, filterable and exportable")
struct AuditLogTests {
    let directory = TemporaryDirectory()

    static let april1 = UTCTimestamp.parse("2026-04-01T00:00:00.000Z")!

    func makeDatabase() throws -> Database {
        try Fixtures.makeDatabase(in: directory)
    }

    /// Appends `count` events, one write each, a minute apart from 2026-04-01T00:00Z.
    func appendEvents(_ count: Int, to database: Database) throws {
        for index in 0..<count {
            let event = AuditEvent(
                actor: .staff(id: 7), action: "resident.read", subjectType: "resident", subjectID: String(100 + index),
                clientAddress: "192.0.2.1", requestID: "req-\(index)")
            try database.write {
                try AuditLog.append(event, at: Self.april1.addingTimeInterval(Double(index) * 60), on: $0)
            }
        }
    }

    func allRecords(_ database: Database) throws -> [AuditRecord] {
        try database.read { try AuditLog.fetch(AuditFilter(limit: 10_000), on: $0) }.reversed()
    }

    // MARK: The chain

    @Test func appends_linkEachRowToTheOneBefore_andVerifyIntact() throws {
        let database = try makeDatabase()
        try appendEvents(4, to: database)
        // Several appends in one write closure chain just the same.
        try database.write { connection in
            try AuditLog.append(AuditEvent(actor: .system, action: "backup.start"), at: Self.april1, on: connection)
            try AuditLog.append(AuditEvent(actor: .system, action: "backup.finish"), at: Self.april1, on: connection)
        }
        let records = try allRecords(database)
        #expect(records.map(\.id) == [1, 2, 3, 4, 5, 6])
        #expect(records[0].previousHash == AuditLog.genesisHash)
        for (earlier, later) in zip(records, records.dropFirst()) {
            #expect(later.previousHash == earlier.hash)
        }
        #expect(Set(records.map(\.hash)).count == records.count)
        #expect(try AuditLog.verify(database) == .intact(rows: 6))
        let (verification, head) = try AuditLog.verifyChain(database)
        #expect(verification == .intact(rows: 6))
        #expect(head == records.last?.hash)
    }

    @Test func emptyLog_isIntact_withTheGenesisHashAsHead() throws {
        let database = try makeDatabase()
        let (verification, head) = try AuditLog.verifyChain(database)
        #expect(verification == .intact(rows: 0))
        #expect(head == String(repeating: "0", count: 64))
    }

    @Test func concurrentAppends_throughTheSerialWriter_formOneUnbrokenChain() async throws {
        let database = try makeDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await database.write {
                        try AuditLog.append(
                            AuditEvent(actor: .resident(id: Int64(index)), action: "application.submit"),
                            at: Self.april1, on: $0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try AuditLog.verify(database) == .intact(rows: 200))
    }

    @Test func verify_walksLogsLongerThanOnePage() throws {
        let database = try makeDatabase()
        let rows = 2_500  // spans three pages of AuditLog.pageSize
        try database.write { connection in
            for index in 0..<rows {
                try AuditLog.append(
                    AuditEvent(
                        actor: .job(name: "notices-send"), action: "notice.send", subjectType: "notice",
                        subjectID: String(index)),
                    at: Self.april1, on: connection)
            }
        }
        #expect(try AuditLog.verify(database) == .intact(rows: rows))
    }

    // MARK: Tampering

    @Test func updateAndDelete_throughTheApplication_areRefusedByTheTriggers() throws {
        let database = try makeDatabase()
        try appendEvents(2, to: database)
        let before = try allRecords(database)

        let update = #expect(throws: SQLiteError.self) {
            try database.write { try $0.run("UPDATE audit_log SET subject_id = '999' WHERE id = 1") }
        }
        #expect(update?.message.contains("audit_log is append-only") == true)
        let delete = #expect(throws: SQLiteError.self) {
            try database.write { try $0.run("DELETE FROM audit_log WHERE id = 2") }
        }
        #expect(delete?.message.contains("audit_log is append-only") == true)

        #expect(try allRecords(database) == before)
        #expect(try AuditLog.verify(database) == .intact(rows: 2))
    }

    @Test func editedRow_withTheTriggerDropped_isNamedByVerify() throws {
        let database = try makeDatabase()
        try appendEvents(5, to: database)

        // Someone with the file opens it directly and goes around the application.
        let attacker = try Database(path: database.path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("UPDATE audit_log SET subject_id = '999' WHERE id = 3")
        }
        attacker.close()

        guard case .broken(let rowID, let reason) = try AuditLog.verify(database) else {
            Issue.record("an edited row went unnoticed")
            return
        }
        #expect(rowID == 3)
        #expect(reason.contains("hash mismatch"))
    }

    @Test func editedRow_withItsHashRecomputed_isCaughtAtTheNextRow() throws {
        let database = try makeDatabase()
        try appendEvents(5, to: database)
        let target = try allRecords(database)[2]
        let forgedHash = AuditLog.chainHash(
            previousHash: target.previousHash,
            canonicalRow: AuditLog.canonicalRow(
                id: target.id, occurredAt: UTCTimestamp.format(target.occurredAt), actorType: target.actorType,
                actorID: target.actorID, action: target.action, subjectType: target.subjectType, subjectID: "999",
                clientAddress: target.clientAddress, requestID: target.requestID, previousHash: target.previousHash))

        let attacker = try Database(path: database.path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("UPDATE audit_log SET subject_id = '999', hash = '\(forgedHash)' WHERE id = 3")
        }
        attacker.close()

        guard case .broken(let rowID, let reason) = try AuditLog.verify(database) else {
            Issue.record("a re-hashed row went unnoticed")
            return
        }
        #expect(rowID == 4)
        #expect(reason.contains("link mismatch"))
    }

    @Test func deletedMiddleRow_isDetectedAtTheFollowingRow() throws {
        let database = try makeDatabase()
        try appendEvents(5, to: database)
        let attacker = try Database(path: database.path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_delete")
            try connection.execute("DELETE FROM audit_log WHERE id = 3")
        }
        attacker.close()

        guard case .broken(let rowID, let reason) = try AuditLog.verify(database) else {
            Issue.record("a deleted row went unnoticed")
            return
        }
        #expect(rowID == 4)
        #expect(reason.contains("link mismatch"))
    }

    @Test func deletedFirstRow_isDetectedAtTheNewFirstRow() throws {
        let database = try makeDatabase()
        try appendEvents(3, to: database)
        let attacker = try Database(path: database.path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_delete")
            try connection.execute("DELETE FROM audit_log WHERE id = 1")
        }
        attacker.close()
        guard case .broken(let rowID, let reason) = try AuditLog.verify(database) else {
            Issue.record("a deleted first row went unnoticed")
            return
        }
        #expect(rowID == 2)
        #expect(reason.contains("genesis"))
    }

    /// The documented limit: a truncated tail leaves an intact, shorter chain. Only a head hash recorded
    /// elsewhere shows it, which is why `audit verify` prints the head.
    @Test func truncatedTail_isIntactButMovesTheHead() throws {
        let database = try makeDatabase()
        try appendEvents(4, to: database)
        let recordedHead = try AuditLog.verifyChain(database).headHash
        let attacker = try Database(path: database.path)
        try attacker.write { connection in
            try connection.execute("DROP TRIGGER audit_log_no_delete")
            try connection.execute("DELETE FROM audit_log WHERE id = 4")
        }
        attacker.close()
        let (verification, head) = try AuditLog.verifyChain(database)
        #expect(verification == .intact(rows: 3))
        #expect(head != recordedHead)
    }

    // MARK: Transactions

    @Test func appendInAWriteThatThrows_rollsBackWithTheChange() throws {
        struct ReviewFailed: Error {}
        let database = try makeDatabase()
        #expect(throws: ReviewFailed.self) {
            try database.write { connection in
                try connection.run(
                    "INSERT INTO app_settings (key, value, updated_at) VALUES ('town', 'x', ?)", Self.april1)
                try AuditLog.append(
                    AuditEvent(
                        actor: .staff(id: 1), action: "setting.update", subjectType: "app_setting",
                        subjectID: "town"),
                    at: Self.april1, on: connection)
                throw ReviewFailed()
            }
        }
        let counts = try database.read { connection in
            (
                try connection.scalar("SELECT count(*) FROM audit_log", as: Int.self),
                try connection.scalar("SELECT count(*) FROM app_settings", as: Int.self)
            )
        }
        #expect(counts.0 == 0)
        #expect(counts.1 == 0)
        // The rolled-back row left no gap or stale head behind.
        try appendEvents(1, to: database)
        #expect(try allRecords(database).first?.previousHash == AuditLog.genesisHash)
        #expect(try AuditLog.verify(database) == .intact(rows: 1))
    }

    // MARK: What is stored

    @Test func storedRow_holdsExactlyTheIdsPassed_andNoOtherColumns() throws {
        let database = try makeDatabase()
        try database.write { connection in
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: 42), action: "resident.read", subjectType: "resident", subjectID: "1001",
                    clientAddress: "192.0.2.10", requestID: "3f2a9c"),
                at: Self.april1, on: connection)
            try AuditLog.append(
                AuditEvent(actor: .job(name: "nightly-backup"), action: "backup.create"), at: Self.april1,
                on: connection)
            try AuditLog.append(AuditEvent(actor: .guest, action: "login.failure"), at: Self.april1, on: connection)
            try AuditLog.append(
                AuditEvent(actor: .resident(id: 9), action: "application.read"), at: Self.april1, on: connection)
        }
        let rows = try database.read { try $0.query("SELECT * FROM audit_log ORDER BY id") }
        #expect(
            rows[0].columns == [
                "id", "occurred_at", "actor_type", "actor_id", "action", "subject_type", "subject_id",
                "client_address", "request_id", "previous_hash", "hash",
            ])
        let first = rows[0]
        #expect(first["occurred_at"] == .text("2026-04-01T00:00:00.000Z"))
        #expect(first["actor_type"] == .text("staff"))
        #expect(first["actor_id"] == .text("42"))
        #expect(first["action"] == .text("resident.read"))
        #expect(first["subject_type"] == .text("resident"))
        #expect(first["subject_id"] == .text("1001"))
        #expect(first["client_address"] == .text("192.0.2.10"))
        #expect(first["request_id"] == .text("3f2a9c"))
        #expect(rows[1]["actor_type"] == .text("job"))
        #expect(rows[1]["actor_id"] == .text("nightly-backup"))
        #expect(rows[1]["subject_id"] == .null)
        #expect(rows[2]["actor_type"] == .text("guest"))
        #expect(rows[2]["actor_id"] == .null)
        #expect(rows[3]["actor_type"] == .text("resident"))
        #expect(rows[3]["actor_id"] == .text("9"))
    }

    // MARK: The canonical form

    @Test func canonicalRow_hasTheDocumentedFormat() {
        let row = AuditLog.canonicalRow(
            id: 12, occurredAt: "2026-04-01T00:00:00.000Z", actorType: "staff", actorID: "42",
            action: "resident.read", subjectType: "resident", subjectID: nil, clientAddress: "192.0.2.1",
            requestID: nil, previousHash: AuditLog.genesisHash)
        let expected = [
            "madoguchi-audit-v1", "12", "24:2026-04-01T00:00:00.000Z", "5:staff", "2:42", "13:resident.read",
            "8:resident", "-", "9:192.0.2.1", "-", "64:" + AuditLog.genesisHash,
        ].joined(separator: "\u{1F}")
        #expect(row == expected)
        #expect(
            AuditLog.chainHash(previousHash: AuditLog.genesisHash, canonicalRow: row)
                == Digest.sha256Hex(AuditLog.genesisHash + expected))
    }

    @Test func canonicalRow_neverSerializesTwoDifferentRowsTheSame() {
        func row(subjectType: String?, subjectID: String?) -> String {
            AuditLog.canonicalRow(
                id: 1, occurredAt: "2026-04-01T00:00:00.000Z", actorType: "system", actorID: nil, action: "x",
                subjectType: subjectType, subjectID: subjectID, clientAddress: nil, requestID: nil,
                previousHash: AuditLog.genesisHash)
        }
        let rows = [
            row(subjectType: nil, subjectID: nil),
            row(subjectType: "", subjectID: nil),
            row(subjectType: nil, subjectID: ""),
            row(subjectType: "", subjectID: ""),
            row(subjectType: "-", subjectID: nil),
            row(subjectType: "a", subjectID: "b"),
            row(subjectType: "a\u{1F}1:b", subjectID: nil),
            row(subjectType: "a\u{1F}b", subjectID: nil),
            row(subjectType: "a\u{1F}-", subjectID: nil),
            row(subjectType: "a", subjectID: "\u{1F}"),
            row(subjectType: "a\u{1F}", subjectID: ""),
        ]
        #expect(Set(rows).count == rows.count)
    }

    // MARK: Reading

    @Test func fetch_filtersByEachCriterion_newestFirst() throws {
        let database = try makeDatabase()
        let minute: TimeInterval = 60
        let events: [(AuditEvent, Date)] = [
            (
                AuditEvent(actor: .staff(id: 1), action: "resident.read", subjectType: "resident", subjectID: "10"),
                Self.april1
            ),
            (
                AuditEvent(actor: .staff(id: 2), action: "resident.read", subjectType: "resident", subjectID: "11"),
                Self.april1.addingTimeInterval(minute)
            ),
            (
                AuditEvent(actor: .staff(id: 1), action: "resident.update", subjectType: "resident", subjectID: "10"),
                Self.april1.addingTimeInterval(2 * minute)
            ),
            (AuditEvent(actor: .guest, action: "login.failure"), Self.april1.addingTimeInterval(3 * minute)),
            (
                AuditEvent(actor: .staff(id: 1), action: "staff.create", subjectType: "staff", subjectID: "10"),
                Self.april1.addingTimeInterval(4 * minute)
            ),
        ]
        try database.write { connection in
            for (event, time) in events { try AuditLog.append(event, at: time, on: connection) }
        }
        func ids(_ filter: AuditFilter) throws -> [Int64] {
            try database.read { try AuditLog.fetch(filter, on: $0) }.map(\.id)
        }
        #expect(try ids(AuditFilter()) == [5, 4, 3, 2, 1])
        #expect(try ids(AuditFilter(subjectType: "resident", subjectID: "10")) == [3, 1])
        #expect(try ids(AuditFilter(actorType: "staff", actorID: "1")) == [5, 3, 1])
        #expect(try ids(AuditFilter(actorType: "guest")) == [4])
        #expect(try ids(AuditFilter(action: "resident.read")) == [2, 1])
        // from is inclusive, to exclusive.
        #expect(
            try ids(
                AuditFilter(
                    from: Self.april1.addingTimeInterval(minute), to: Self.april1.addingTimeInterval(3 * minute)))
                == [3, 2])
        #expect(try ids(AuditFilter(limit: 2)) == [5, 4])
        #expect(try ids(AuditFilter(limit: 2, offset: 2)) == [3, 2])
        #expect(try ids(AuditFilter(limit: -1)) == [])

        let newest = try database.read { try AuditLog.fetch(AuditFilter(limit: 1), on: $0) }.first
        #expect(newest?.actorType == "staff")
        #expect(newest?.actorID == "1")
        #expect(newest?.action == "staff.create")
        #expect(newest?.occurredAt == Self.april1.addingTimeInterval(4 * minute))
    }

    // MARK: Exporting

    @Test func exportCSV_isExcelSafe_andShowsTokyoTime() throws {
        let database = try makeDatabase()
        try database.write { connection in
            // 2026-03-31T15:00:00Z is 2026-04-01 00:00:00 in Tokyo: the first instant of the range.
            try AuditLog.append(
                AuditEvent(
                    actor: .job(name: "sync, nightly"), action: "=cmd|' /C calc'!A0", subjectType: "say \"hi\"",
                    subjectID: "line1\nline2", clientAddress: "@SUM(1)", requestID: "-2+3"),
                at: UTCTimestamp.parse("2026-03-31T15:00:00.000Z")!, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .staff(id: 3), action: "resident.read", subjectType: "resident", subjectID: "5",
                    clientAddress: "\tx", requestID: "+1"),
                at: Self.april1, on: connection)
            // Outside [from, to): one millisecond before from, and exactly at to.
            try AuditLog.append(
                AuditEvent(actor: .system, action: "too.early"), at: UTCTimestamp.parse("2026-03-31T14:59:59.999Z")!,
                on: connection)
            try AuditLog.append(
                AuditEvent(actor: .system, action: "too.late"), at: UTCTimestamp.parse("2026-04-01T15:00:00.000Z")!,
                on: connection)
        }
        let data = try AuditLog.exportCSV(
            from: UTCTimestamp.parse("2026-03-31T15:00:00.000Z")!, to: UTCTimestamp.parse("2026-04-01T15:00:00.000Z")!,
            database: database)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        let hashes = try allRecords(database).map(\.hash)
        let expected =
            "id,occurred_at,actor_type,actor_id,action,subject_type,subject_id,client_address,request_id,hash\r\n"
            + "1,2026-04-01 00:00:00,job,\"sync, nightly\",'=cmd|' /C calc'!A0,\"say \"\"hi\"\"\",\"line1\nline2\","
            + "'@SUM(1),'-2+3,\(hashes[0])\r\n"
            + "2,2026-04-01 09:00:00,staff,3,resident.read,resident,5,'\tx,'+1,\(hashes[1])\r\n"
        #expect(text == expected)
    }

    @Test func exportCSV_ofAnEmptyRange_isTheBOMAndHeader() throws {
        let database = try makeDatabase()
        let data = try AuditLog.exportCSV(
            from: Self.april1, to: Self.april1.addingTimeInterval(86_400), database: database)
        #expect(
            data
                == Data([0xEF, 0xBB, 0xBF])
                + Data(
                    "id,occurred_at,actor_type,actor_id,action,subject_type,subject_id,client_address,request_id,hash\r\n"
                        .utf8))
    }

    @Test func exportCSV_pagesThroughRowsSharingOneTimestamp() throws {
        let database = try makeDatabase()
        try database.write { connection in
            for index in 0..<2_100 {
                try AuditLog.append(
                    AuditEvent(actor: .system, action: "tick", subjectID: String(index)), at: Self.april1,
                    on: connection)
            }
        }
        let data = try AuditLog.exportCSV(from: Self.april1, to: Self.april1.addingTimeInterval(1), database: database)
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).split(separator: "\r\n")
        #expect(lines.count == 2_101)
        #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == (1...2_100).map { Substring(String($0)) })
    }
}
