import Foundation
import Store
import TestSupport
import Testing

/// A clean close must leave one self-contained file: SQLite checkpoints the WAL and deletes it only when the
/// last connection on the file closes, and only a connection that may write can do so. An operator who copies
/// the `.sqlite` file after a clean stop (or a backup tool that skips `-wal`) must find every row in it.
@Suite("Closing the database: every row in the main file, no WAL left")
struct CloseTests {
    let directory = TemporaryDirectory()

    /// Copies only the main file elsewhere and counts the rows of `note` in the copy.
    private func rowsInACopyOfTheMainFileAlone() throws -> Int? {
        let copy = TemporaryDirectory("madoguchi-copy")
        try FileManager.default.copyItem(atPath: directory.path("test.sqlite"), toPath: copy.path("copy.sqlite"))
        let database = try Database(path: copy.path("copy.sqlite"))
        defer { database.close() }
        return try database.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) }
    }

    private var walExists: Bool { FileManager.default.fileExists(atPath: directory.path("test.sqlite-wal")) }

    @Test func close_checkpointsEveryRowIntoTheMainFile_andRemovesTheWAL() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE note (text TEXT)") }
        for number in 1...20 {
            try database.write { try $0.run("INSERT INTO note VALUES (?)", "note \(number)") }
            // Reads open reader connections, which must be closed too.
            _ = try database.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) }
        }
        #expect(walExists, "the rows are still in the WAL before the close")
        database.close()
        #expect(!walExists)
        #expect(try rowsInACopyOfTheMainFileAlone() == 20)
    }

    @Test func close_waitsForAReadInProgress_soTheWriterClosesLast() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write {
            try $0.execute("CREATE TABLE note (text TEXT)")
            try $0.run("INSERT INTO note VALUES ('kept')")
        }
        let reading = DispatchSemaphore(value: 0)
        let readBodyFinished = LockedFlag()
        Thread {
            _ = try? database.read { connection in
                reading.signal()
                // Long enough for close() to start while this reader is lent out.
                Thread.sleep(forTimeInterval: 0.2)
                defer { readBodyFinished.set() }
                return try connection.scalar("SELECT count(*) FROM note", as: Int.self)
            }
        }.start()
        reading.wait()
        database.close()
        #expect(readBodyFinished.isSet, "close returned before the lent reader came back")
        #expect(!walExists)
        #expect(try rowsInACopyOfTheMainFileAlone() == 1)
    }

    @Test func close_isSafeTwice_andReadsAfterItFailCleanly() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        database.close()
        database.close()
        #expect(throws: DatabaseClosedError.self) { try database.read { _ in 1 } }
    }
}

/// A flag one thread sets and another reads.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
