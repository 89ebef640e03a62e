import Foundation
import HTTP
import TestSupport
import Testing

@testable import Applications

/// The catalog never changes while the server runs, so it is encoded once at start-up and revalidated with
/// its ETag (issue #10). The bytes are the ones every request used to encode.
@Suite("The catalog is encoded once and served with an ETag")
struct CatalogCachingTests {
    func catalog() throws -> ProcedureCatalog { try ApplicationFixtures.catalog() }

    @Test func theCatalogJSON_isTheSameBytes_withAPublicCache_and304OnItsTag() throws {
        let app = try TestApplication()
        let response = try app.request("GET", "/api/v1/procedures")
        #expect(response.status == 200)
        let expected = try Response.json(["procedures": try catalog().procedures.map(ProcedureJSON.init)]).body
        #expect(response.body == expected)
        #expect(response.headers["cache-control"] == "public, max-age=300")
        let tag = try #require(response.headers["etag"])
        let again = try app.request("GET", "/api/v1/procedures", headers: [("If-None-Match", tag)])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(again.headers["etag"] == tag)

        let one = try app.request("GET", "/api/v1/procedures/water-stop")
        #expect(one.status == 200)
        #expect(
            one.body
                == (try Response.json(ProcedureJSON(try #require(try catalog().procedure(code: "water-stop")))).body))
        let oneTag = try #require(one.headers["etag"])
        #expect(oneTag != tag)
        #expect(
            try app.request("GET", "/api/v1/procedures/water-stop", headers: [("If-None-Match", oneTag)]).status == 304)
        #expect(try app.request("GET", "/api/v1/procedures/no-such-thing").status == 404)
    }

    @Test func theGuestCatalogPage_isTheSameBytes_variesByCookie_and304OnItsTag() throws {
        let app = try TestApplication()
        let response = try app.request("GET", "/applications")
        #expect(response.status == 200)
        #expect(response.text == ApplicationPages.catalog(try catalog(), query: "", resident: nil).render())
        #expect(response.headers["cache-control"] == "public, max-age=60")
        #expect(response.headers["vary"] == "Cookie")
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        let tag = try #require(response.headers["etag"])
        let again = try app.request("GET", "/applications", headers: [("If-None-Match", "W/\"x\", \(tag)")])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(try app.request("GET", "/applications?q=", headers: [("If-None-Match", tag)]).status == 304)

        let search = try app.request("GET", "/applications?q=%E6%B0%B4%E9%81%93", headers: [("If-None-Match", tag)])
        #expect(search.status == 200, "a search is rendered for its query")
        #expect(search.headers["etag"] == nil)
        #expect(search.headers["cache-control"] == "no-store")
        #expect(search.text.contains("水道使用開始届"))
        #expect(!search.text.contains("粗大ごみ収集申込"))
    }

    @Test func aSignedInResident_getsTheirOwnPage_neverTheCachedOne() throws {
        let app = try TestApplication()
        _ = try Fixtures.makeResident(app.database, profile: ApplicationFixtures.profile)
        let guestTag = try #require(try app.request("GET", "/applications").headers["etag"])
        let browser = app.browser()
        try browser.signInAsResident()
        let page = try browser.get("/applications", headers: [("If-None-Match", guestTag)])
        #expect(page.status == 200)
        #expect(page.headers["etag"] == nil)
        #expect(page.headers["cache-control"] == "no-store", "the page names the resident")
        #expect(page.text.contains("マイページ"))
    }
}
