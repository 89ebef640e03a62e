import Foundation
import Store
import TestSupport
import Testing

@Suite("Serial writer: transactions and group commit")
struct WriterTests {
    let directory = TemporaryDirectory()

    struct Refused: Error {}

    @Test func write_thatThrows_rollsBackAndRethrowsTheFirstError() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE note (body TEXT)") }
        #expect(throws: Refused.self) {
            try database.write { connection in
                try connection.run("INSERT INTO note VALUES ('half-written')")
                throw Refused()
            }
        }
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) } == 0)
    }

    @Test func savepoint_thatThrows_undoesOnlyItsOwnPart() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE note (body TEXT)") }
        try database.write { connection in
            try connection.run("INSERT INTO note VALUES ('kept')")
            _ = try? connection.savepoint {
                try connection.run("INSERT INTO note VALUES ('undone')")
                throw Refused()
            }
        }
        let bodies = try database.read {
            try $0.query("SELECT body FROM note").map { try $0.get("body", as: String.self) }
        }
        #expect(bodies == ["kept"])
    }

    /// Holds the writer inside a first write until `count` more writes are queued behind it, so the next
    /// batch is known to contain all of them. Waits on the queue depth itself, not on a timer.
    private func queueBehindABlockedWrite(
        _ database: Database, count: Int, writes: @escaping @Sendable (Int) async throws -> Int64
    ) async throws -> [Result<Int64, Error>] {
        let gate = Gate()
        let blocker = Task { try await database.write { _ in gate.wait() } }
        while database.writerStatistics.queueDepth > 0 || !gate.isWaiting { await Task.yield() }
        let results = try await withThrowingTaskGroup(of: (Int, Result<Int64, Error>).self) { group in
            for index in 0..<count {
                group.addTask {
                    do { return (index, .success(try await writes(index))) } catch { return (index, .failure(error)) }
                }
            }
            while database.writerStatistics.queueDepth < count { await Task.yield() }
            gate.open()
            var results = [Result<Int64, Error>?](repeating: nil, count: count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
        try await blocker.value
        return results
    }

    @Test func groupCommit_of200ConcurrentWrites_acknowledgesAllInOneCommit() async throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try await database.write { try $0.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER)") }
        let commitsBefore = database.writerStatistics.commits

        let results = try await queueBehindABlockedWrite(database, count: 200) { index in
            try await database.write { connection in
                try connection.run("INSERT INTO item (n) VALUES (?)", index)
                return connection.lastInsertRowID
            }
        }

        let ids = try results.map { try $0.get() }
        #expect(Set(ids).count == 200)
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM item", as: Int.self) } == 200)
        let statistics = database.writerStatistics
        #expect(statistics.commits - commitsBefore == 2, "the blocking write, then all 200 together")
        // Reopening proves the rows were committed, not just visible to this process.
        database.close()
        let reopened = try Database(path: directory.path("test.sqlite"))
        #expect(try reopened.read { try $0.scalar("SELECT count(*) FROM item", as: Int.self) } == 200)
    }

    @Test func groupCommit_oneFailingWrite_leavesTheOthersCommitted() async throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try await database.write { try $0.execute("CREATE TABLE item (n INTEGER NOT NULL UNIQUE)") }
        try await database.write { try $0.run("INSERT INTO item VALUES (-1)") }

        let results = try await queueBehindABlockedWrite(database, count: 200) { index in
            try await database.write { connection in
                // Write 100 inserts its row and then violates UNIQUE: both must be undone.
                try connection.run("INSERT INTO item VALUES (?)", index)
                if index == 100 { try connection.run("INSERT INTO item VALUES (-1)") }
                return Int64(index)
            }
        }

        for (index, result) in results.enumerated() {
            if index == 100 {
                #expect(throws: SQLiteError.self) { try result.get() }
            } else {
                #expect(try result.get() == Int64(index))
            }
        }
        let stored = try database.read {
            try $0.query("SELECT n FROM item WHERE n >= 0").map { try $0.get("n", as: Int.self) }
        }
        #expect(stored.count == 199)
        #expect(!stored.contains(100))
    }

    /// The writer runs a batch without savepoints and, when a write throws, runs the whole batch again with
    /// them: every answer must come from the run that committed, never from the one rolled back.
    @Test func groupCommit_rerunAfterAFailingWrite_answersWhatTheCommittedRunWrote() async throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try await database.write { try $0.execute("CREATE TABLE item (token TEXT NOT NULL UNIQUE)") }
        try await database.write { try $0.run("INSERT INTO item VALUES ('taken')") }

        let results = try await queueBehindABlockedWrite(database, count: 50) { index in
            try await database.write { connection in
                // A fresh value each time the body runs: a rolled-back run's value is in no row.
                let token = UUID().uuidString
                try connection.run("INSERT INTO item VALUES (?)", token)
                if index == 30 { try connection.run("INSERT INTO item VALUES ('taken')") }
                return Int64(bitPattern: UInt64(truncatingIfNeeded: token.hashValue))
            }
        }
        let stored = try database.read {
            try $0.query("SELECT token FROM item WHERE token <> 'taken'").map { try $0.get("token", as: String.self) }
        }
        let storedHashes = Set(stored.map { Int64(bitPattern: UInt64(truncatingIfNeeded: $0.hashValue)) })
        #expect(stored.count == 49)
        for (index, result) in results.enumerated() {
            if index == 30 {
                #expect(throws: SQLiteError.self) { try result.get() }
            } else {
                #expect(storedHashes.contains(try result.get()), "write \(index) answered a rolled-back run's value")
            }
        }
    }

    @Test func withoutGroupCommit_everyWriteCommitsAlone() async throws {
        var configuration = DatabaseConfiguration()
        configuration.groupCommit = false
        let database = try Fixtures.makeDatabase(in: directory, configuration: configuration)
        try await database.write { try $0.execute("CREATE TABLE item (n INTEGER)") }
        let before = database.writerStatistics.commits
        _ = try await queueBehindABlockedWrite(database, count: 20) { index in
            try await database.write {
                try $0.run("INSERT INTO item VALUES (?)", index); return 0
            }
        }
        #expect(database.writerStatistics.commits - before == 21)
    }

    @Test func writeWithCompletion_returnsAtOnce_andReportsAfterTheCommit() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE item (n INTEGER NOT NULL UNIQUE)") }
        let done = DispatchSemaphore(value: 0)
        let outcomes = Outcomes()
        for value in [1, 1] {
            database.write(
                { connection in
                    try connection.run("INSERT INTO item VALUES (?)", value)
                    return value
                },
                completion: { result in
                    // Visible to a fresh reader by now: the completion comes after the commit.
                    let stored = try? database.read { try $0.scalar("SELECT count(*) FROM item", as: Int.self) }
                    outcomes.append((result.map { _ in true }.get, stored))
                    done.signal()
                })
        }
        done.wait()
        done.wait()
        let results = outcomes.all
        #expect(results.count == 2)
        #expect(results.filter { (try? $0.0()) == true }.count == 1, "the duplicate fails alone")
        #expect(results.allSatisfy { $0.1 == 1 })
    }

    @Test func writes_afterClose_failCleanly() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        database.close()
        #expect(throws: DatabaseClosedError.self) { try database.write { _ in 1 } }
    }

    /// A full database (SQLite's page limit, which fails a write with SQLITE_FULL as a full disk does) in the
    /// middle of a group commit. SQLite answers SQLITE_FULL on a one-row INSERT by rolling back the whole
    /// transaction (https://sqlite.org/lang_transaction.html), so the writes before the failing one in the
    /// batch are gone too: none of them may be acknowledged, every one is refused with
    /// `StorageUnavailableError`, and nothing refused is stored. Writes stay refused until one commits again.
    @Test func groupCommit_onAFullDatabase_acknowledgesNothingSQLiteRolledBack() async throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try await database.write { try $0.execute("CREATE TABLE item (n INTEGER NOT NULL, body BLOB NOT NULL)") }
        #expect(FileManager.default.fileExists(atPath: directory.path("test.sqlite-reserve")))
        try await database.write { connection in
            let pages = try connection.scalar("PRAGMA page_count", as: Int.self) ?? 0
            _ = try connection.scalar("PRAGMA max_page_count = \(pages + 40)", as: Int.self)
        }

        let results = try await queueBehindABlockedWrite(database, count: 200) { index in
            try await database.write { connection in
                try connection.run("INSERT INTO item VALUES (?, zeroblob(3000))", index)
                return Int64(index)
            }
        }

        let acknowledged = Set(results.compactMap { try? $0.get() }.map(Int.init))
        #expect(acknowledged.count < 200)
        for result in results {
            if case .failure(let error) = result { #expect(error is StorageUnavailableError, "\(error)") }
        }
        let stored = try database.read {
            Set(try $0.query("SELECT n FROM item").map { try $0.get("n", as: Int.self) })
        }
        #expect(stored == acknowledged)
        #expect(!database.isAcceptingWrites)

        try await database.write { _ = try $0.scalar("PRAGMA max_page_count = 1073741823", as: Int.self) }
        #expect(database.isAcceptingWrites)
        try await database.write { try $0.run("INSERT INTO item VALUES (-1, zeroblob(3000))") }
        #expect(try database.read { try $0.scalar("PRAGMA integrity_check", as: String.self) } == "ok")
    }
}

/// Results gathered from the writer thread.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [(() throws -> Bool, Int?)] = []
    func append(_ outcome: (() throws -> Bool, Int?)) { lock.withLock { storage.append(outcome) } }
    var all: [(() throws -> Bool, Int?)] { lock.withLock { storage } }
}

/// A one-shot barrier a write closure can wait on while the test queues more writes.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false
    private var waiting = false

    var isWaiting: Bool { condition.withLock { waiting } }

    func wait() {
        condition.lock()
        waiting = true
        while !opened { condition.wait() }
        condition.unlock()
    }

    func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }
}
