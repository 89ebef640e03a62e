import Foundation
import Store
import TestSupport
import Testing

@Suite("Connection: typed binding and reading on a temp-file WAL database")
struct ConnectionTests {
    let directory = TemporaryDirectory()

    @Test func database_isInWALModeWithForeignKeysAndFullSync() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let (mode, foreignKeys, synchronous) = try database.write { connection in
            (
                try connection.scalar("PRAGMA journal_mode", as: String.self),
                try connection.scalar("PRAGMA foreign_keys", as: Int.self),
                try connection.scalar("PRAGMA synchronous", as: Int.self)
            )
        }
        #expect(mode == "wal")
        #expect(foreignKeys == 1)
        #expect(synchronous == 2, "2 is FULL")
    }

    @Test func values_roundTripThroughEveryStorageClass() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let instant = Date(timeIntervalSince1970: 1_900_000_000.123)
        try database.write { connection in
            try connection.execute(
                "CREATE TABLE sample (i INTEGER, r REAL, t TEXT, b BLOB, flag INTEGER, at TEXT, missing TEXT)")
            try connection.run(
                "INSERT INTO sample VALUES (?, ?, ?, ?, ?, ?, ?)", Int64.max, 0.5, "平取町 振内", Data([0, 1, 255]),
                true, instant, String?.none)
            try connection.run("INSERT INTO sample (b) VALUES (?)", Data())
        }
        let rows = try database.read { try $0.query("SELECT * FROM sample ORDER BY rowid") }
        let row = rows[0]
        #expect(try row.get("i", as: Int64.self) == Int64.max)
        #expect(try row.get("r", as: Double.self) == 0.5)
        #expect(try row.get("t", as: String.self) == "平取町 振内")
        #expect(try row.get("b", as: Data.self) == Data([0, 1, 255]))
        #expect(try row.get("flag", as: Bool.self) == true)
        #expect(try row.get("at", as: Date.self) == instant)
        #expect(try row.get("missing", as: String?.self) == nil)
        #expect(try rows[1].get("b", as: Data.self) == Data(), "an empty blob stays a blob, not NULL")
    }

    @Test func reading_aColumnAsTheWrongType_throwsNamingTheColumn() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let row = try #require(try database.read { try $0.queryFirst("SELECT 'text' AS label") })
        #expect(throws: RowDecodingError.self) { try row.get("label", as: Int.self) }
        #expect(throws: RowDecodingError.self) { try row.get("absent", as: String.self) }
    }

    @Test func timestamps_areStoredAsUTCText() throws {
        let date = Date(timeIntervalSince1970: 1_775_001_600)  // 2026-04-01T00:00:00Z
        #expect(UTCTimestamp.format(date) == "2026-04-01T00:00:00.000Z")
        #expect(UTCTimestamp.parse("2026-04-01T00:00:00.000Z") == date)
        #expect(UTCTimestamp.parse("2026-04-01T00:00:00Z") == date)
        #expect(UTCTimestamp.parse("2026-04-01 00:00:00") == nil)
        #expect(UTCTimestamp.parse("2026-13-01T00:00:00Z") == nil)
    }

    @Test func sqliteError_neverPrintsBoundValues() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE person (name TEXT NOT NULL UNIQUE)") }
        try database.write { try $0.run("INSERT INTO person VALUES (?)", "山田花子") }
        let error = try #require(throws: SQLiteError.self) {
            try database.write { try $0.run("INSERT INTO person VALUES (?)", "山田花子") }
        }
        #expect(error.isUniqueViolation)
        #expect(error.sql == "INSERT INTO person VALUES (?)")
        #expect(!error.description.contains("山田花子"))
        #expect(!String(reflecting: error).contains("山田花子"))
    }

    @Test func readers_seeOneSnapshotForTheWholeClosure() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        try database.write { try $0.execute("CREATE TABLE counter (n INTEGER)") }
        let counts = try database.read { connection -> (Int?, Int?) in
            let before = try connection.scalar("SELECT count(*) FROM counter", as: Int.self)
            _ = try database.write { try $0.run("INSERT INTO counter VALUES (1)") }
            let after = try connection.scalar("SELECT count(*) FROM counter", as: Int.self)
            return (before, after)
        }
        #expect(counts.0 == 0)
        #expect(counts.1 == 0, "a write committed mid-read is invisible to that read")
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM counter", as: Int.self) } == 1)
    }

    @Test func readers_cannotWrite() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        #expect(throws: SQLiteError.self) {
            try database.read { try $0.execute("CREATE TABLE nope (x)") }
        }
    }
}
