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

    /// The frame is written from constant bytes now, not built as elements: the optional parts must still land
    /// where the elements put them, and the town's footer must follow the installed profile.
    @Test func theFrame_placesRefreshAndWide_andEndsWithTheFooter() {
        var page = Page(title: "呼び出し", siteName: "窓口") { el("p") { "本文" } }
        page.refreshSeconds = 30
        page.wide = true
        let html = page.render()
        #expect(
            html.contains(
                "<title>呼び出し | 窓口</title><meta http-equiv=\"refresh\" content=\"30\"><link rel=\"stylesheet\""))
        #expect(html.contains("</head><body><header class=\"site\"><a href=\"/\">窓口</a></header>"))
        #expect(html.contains("<main id=\"main\" class=\"wide\"><p>本文</p></main><footer class=\"site\">"))
        #expect(html.contains(TownProfile.current.phone))
        #expect(String(decoding: page.renderData(), as: UTF8.self) == html)
    }

    @Test func nodes_joinTextsBlocksAndElements_inOrder_escapingOnce() {
        let inner: [Node] = [.text("<a>"), el("b") { "&" }]
        let node = el("p") {
            "一"
            inner
            Node.fragment([.text("\""), .fragment([.text("二"), Node.trustedMarkup("<br>")])])
        }
        #expect(node.render() == "<p>一&lt;a&gt;<b>&amp;</b>&quot;二<br></p>")
        #expect(Node.fragment(inner).render() == "&lt;a&gt;<b>&amp;</b>")
        #expect(Node.empty.render() == "")
        #expect(el("i") {}.render() == "<i></i>")
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
