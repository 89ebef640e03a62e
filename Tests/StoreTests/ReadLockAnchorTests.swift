import Foundation
import Store
import TestSupport
import Testing

/// The writer keeps a read transaction open between batches (see `ReadLockAnchor`). It may change what a
/// read costs, never what it sees, and it must not hold the WAL back.
@Suite("Read-lock anchor: cheaper reads without stale snapshots or an ever-growing WAL")
struct ReadLockAnchorTests {
    let directory = TemporaryDirectory()

    @Test func aWriteFromAnotherConnection_isSeenByTheNextRead_atOnce() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE note (text TEXT)") }
        // A second Database on the same file stands in for another process (a CLI job): it writes while the
        // first one's anchor holds an older snapshot.
        let other = try Database(path: directory.path("test.sqlite"))
        for round in 1...5 {
            try other.write { try $0.run("INSERT INTO note VALUES (?)", "from elsewhere \(round)") }
            #expect(try database.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) } == round)
        }
        try database.write { try $0.run("INSERT INTO note VALUES ('here')") }
        #expect(try other.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) } == 6)
        other.close()
    }

    @Test func theWAL_isRestartedFromItsStart_soItStaysBounded() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE page (body BLOB)") }
        let blob = Data(repeating: 0x5A, count: 3_000)
        // 3,000 commits of about a page each: three times SQLite's automatic checkpoint threshold. Only a
        // WAL that is reset after each full checkpoint stays near that threshold; a pinned snapshot would
        // make it grow past 12 MB.
        for _ in 0..<3_000 {
            try database.write { try $0.run("INSERT INTO page VALUES (?)", blob) }
            _ = try database.read { try $0.scalar("SELECT count(*) FROM page", as: Int.self) }
        }
        let walBytes = try FileManager.default.attributesOfItem(atPath: directory.path("test.sqlite-wal"))[.size]
            as? Int ?? 0
        #expect(walBytes < 8 * 1_048_576, "WAL is \(walBytes) bytes")
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM page", as: Int.self) } == 3_000)
    }
}
