import App
import Foundation
import HTTPClient
import Store
import TestSupport
import Testing

/// A full database over real HTTP. SQLite's `max_page_count`, set on the writer to the pages the file has,
/// fails the next write that needs a page with SQLITE_FULL exactly as a full disk does (same code, same
/// path through the writer), without a mount; Tests/Proof/full_disk.py does it on a real full filesystem.
@Suite("A full disk over HTTP")
struct FullDiskTests {
    static let unlimitedPages = 1_073_741_823

    static func capDatabaseAtItsCurrentSize(_ database: Database) throws {
        try database.write { connection in
            let pages = try connection.scalar("PRAGMA page_count", as: Int.self) ?? 0
            _ = try connection.scalar("PRAGMA max_page_count = \(pages)", as: Int.self)
        }
    }

    static func logInByAPI(_ app: TestApplication) throws -> EasyHandle.Response {
        try app.request(
            "POST", "/api/v1/sessions", headers: [("Content-Type", "application/json")],
            body: Data(
                "{\"login_id\":\"\(Fixtures.residentLoginID)\",\"password\":\"\(Fixtures.residentPassword)\"}".utf8))
    }

    static func errorCode(_ response: EasyHandle.Response) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func writesAnswer503WithAMessage_readyzTurnsUnready_readsKeepWorking_andWritesResume() throws {
        let app = try TestApplication()
        try Fixtures.makeResident(app.database)
        let reader = app.browser()
        try reader.signInAsResident()
        #expect(try app.request("GET", "/readyz").status == 200)
        let sessionsBefore = try app.database.read { try $0.scalar("SELECT count(*) FROM sessions", as: Int.self) }

        // Log in until the database has no page left: every answer is a success or the 503, never a 500.
        try Self.capDatabaseAtItsCurrentSize(app.database)
        var acknowledged = 0
        var refused: EasyHandle.Response?
        for _ in 0..<500 {
            let response = try Self.logInByAPI(app)
            if response.status == 201 {
                acknowledged += 1
                continue
            }
            refused = response
            break
        }
        let full = try #require(refused, "the capped database never filled")
        #expect(full.status == 503)
        #expect(Self.errorCode(full) == "storage_unavailable")
        #expect(full.headers["retry-after"] == "60")
        #expect(String(decoding: full.body, as: UTF8.self).contains("保存できませんでした"))

        // A resident's form gets the same answer as a Japanese page.
        let page = try app.browser().submitResidentLogin()
        #expect(page.status == 503)
        #expect(page.text.contains("ただいま保存できません"))
        #expect(page.text.contains("保存できませんでした"))
        #expect(page.headers["retry-after"] == "60")

        // Unready while writes fail, and it stays so: the once-a-second check finds SQLite's page limit full.
        #expect(try app.request("GET", "/readyz").status == 503)
        #expect(try app.request("GET", "/metrics").text.contains("madoguchi_db_writes_failing 1"))
        #expect(try reader.get("/mypage").status == 200)
        #expect(try reader.json("GET", "/api/v1/me").status == 200)
        #expect(try app.request("GET", "/readyz").status == 503)

        // Space is back: the next write commits and readiness follows it.
        try app.database.write { connection in
            _ = try connection.scalar("PRAGMA max_page_count = \(Self.unlimitedPages)", as: Int.self)
        }
        #expect(try app.request("GET", "/readyz").status == 200)
        #expect(try Self.logInByAPI(app).status == 201)
        acknowledged += 1

        // Every acknowledged login kept its session; the refused ones left nothing behind.
        let sessionsAfter = try app.database.read { try $0.scalar("SELECT count(*) FROM sessions", as: Int.self) }
        #expect(sessionsAfter == (sessionsBefore ?? 0) + acknowledged)
        #expect(try app.database.read { try $0.scalar("PRAGMA integrity_check", as: String.self) } == "ok")
    }
}
