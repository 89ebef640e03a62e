import Foundation
import Store
import TestSupport
import Testing

/// `Database.dataVersion` is what マイページ's cache trusts to see every commit, in any process.
@Suite("Data version: changes on every commit by anyone, never on a read")
struct DataVersionTests {
    let directory = TemporaryDirectory()

    @Test func commitsThroughTheWriter_andFromAnotherDatabase_changeIt_readsDoNot() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE note (text TEXT)") }
        let start = try database.dataVersion()
        _ = try database.read { try $0.scalar("SELECT count(*) FROM note", as: Int.self) }
        #expect(try database.dataVersion() == start, "a read is not a change")

        try database.write { try $0.run("INSERT INTO note VALUES ('ours')") }
        let afterOwnWrite = try database.dataVersion()
        #expect(afterOwnWrite != start, "the writer is another connection than the probe")

        // A second Database on the file stands in for another process (the CLI, a batch job).
        let other = try Database(path: directory.path("test.sqlite"))
        try other.write { try $0.run("INSERT INTO note VALUES ('theirs')") }
        other.close()
        let afterOtherWrite = try database.dataVersion()
        #expect(afterOtherWrite != afterOwnWrite)
        #expect(try database.dataVersion() == afterOtherWrite, "stable while nobody commits")
    }
}
