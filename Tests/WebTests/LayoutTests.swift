import Foundation
import HTTP
import HTTPClient
import TestSupport
import Testing
import Web

@Suite("Page layout and the stylesheet route")
struct LayoutTests {
    @Test func everyPage_isJapanese_phoneSized_andLinksTheHashedStylesheet() {
        let html = Page(title: "<申請>", siteName: "窓口 職員用", homePath: "/staff/") {
            el("h1") { "申請" }
        }.render()
        #expect(html.hasPrefix("<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"))
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(html.contains("<title>&lt;申請&gt; | 窓口 職員用</title>"), "the title is escaped too")
        #expect(html.contains("<link rel=\"stylesheet\" href=\"\(Stylesheet.path)\">"))
        #expect(html.contains("<header class=\"site\"><a href=\"/staff/\">窓口 職員用</a></header>"))
        #expect(html.contains("<main id=\"main\"><h1>申請</h1></main>"))
        #expect(html.hasSuffix("</footer></body></html>"))
    }

    @Test func theStylesheetURL_carriesTheHashOfWhatItServes() throws {
        var routes = Routes()
        routes.register(WebPages.stylesheetRoutes)
        let server = try LiveServer(routes: routes)
        let response = try server.request("GET", Stylesheet.path)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] ?? response.headers["Content-Type"] == "text/css; charset=utf-8")
        let cacheControl = response.headers["cache-control"] ?? response.headers["Cache-Control"]
        #expect(cacheControl == "public, max-age=31536000, immutable")
        #expect(response.text == Stylesheet.css)
        // The fingerprint is of the served bytes, so a changed stylesheet gets a new URL.
        #expect(Stylesheet.path == "/assets/madoguchi-\(Self.fnv1a(response.body)).css")
        #expect(Self.fnv1a(Data((Stylesheet.css + " ").utf8)) != Stylesheet.hash)
        #expect(try server.request("GET", "/assets/madoguchi-0.css").status == 404, "only the current URL is served")
    }

    static func fnv1a(_ bytes: Data) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        return String(value, radix: 16)
    }
}
