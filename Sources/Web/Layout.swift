import Foundation
import HTTP
import Synchronization

/// The page frame every HTML response shares: `lang="ja"`, the viewport for phones, the stylesheet, and a
/// header that always leads back to the start page.
public struct Page: Sendable {
    public var title: String
    public var homePath: String
    public var siteName: String
    public var body: [Node]
    /// Staff pages: staff work at desks, so at desktop width the page uses the screen (filters in one row,
    /// tables full width) instead of the phone-sized column residents get.
    public var wide = false
    /// Reload the page after this many seconds (`<meta http-equiv="refresh">`): pages that must stay current
    /// without JavaScript (a resident following a counter ticket).
    public var refreshSeconds: Int?

    public init(
        title: String, siteName: String? = nil, homePath: String = "/", @NodeBuilder body: () -> [Node]
    ) {
        self.title = title
        self.siteName = siteName ?? Self.residentSiteName
        self.homePath = homePath
        self.body = body()
    }

    /// 「平取町 オンライン窓口」: the header names the town, so nobody wonders whose site this is.
    public static var residentSiteName: String { "\(TownProfile.current.name) オンライン窓口" }
    public static var staffSiteName: String { "\(TownProfile.current.name) 窓口 職員用" }

    /// Where to go or call, on every page: the office, its address, the number and the hours.
    static func footer(_ town: TownProfile) -> Node {
        el("footer", .class("site")) {
            el("p") { "お困りのときは\(town.office)の窓口、またはお電話でお問い合わせください。" }
            el("p") {
                "電話 "
                el("span", .class("phone")) { town.phone }
                "（受付時間：\(town.openingHours)）"
            }
            el("p") { "\(town.office)　\(town.address)" }
            if town.example { el("p") { "※ 電話番号・住所・受付時間は設定例です（Schemas/town.json）。" } }
        }
    }

    public func render() -> String {
        var output = HTMLOutput(capacity: estimatedLength)
        render(into: &output)
        return output.string
    }

    /// The frame's constant parts are bytes made once; only the title, the header link, the body and the
    /// town's footer (made again only when the installed profile changes) are written per page.
    func render(into output: inout HTMLOutput) {
        output.append(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>"
                as StaticString)
        output.appendEscaped(title)
        output.append(" | " as StaticString)
        output.appendEscaped(siteName)
        output.append("</title>" as StaticString)
        if let refreshSeconds {
            output.append(void("meta", Attribute("http-equiv", "refresh"), Attribute("content", String(refreshSeconds))))
        }
        output.append(Self.stylesheetLink)
        output.append("</head><body><header class=\"site\"><a href=\"" as StaticString)
        output.appendEscaped(homePath)
        output.append("\">" as StaticString)
        output.appendEscaped(siteName)
        let mainTag: StaticString =
            wide ? "</a></header><main id=\"main\" class=\"wide\">" : "</a></header><main id=\"main\">"
        output.append(mainTag)
        for node in body { output.append(node) }
        output.append("</main>" as StaticString)
        output.append(Self.cachedFooter())
        output.append("</body></html>" as StaticString)
    }

    /// The body and room for the frame (about 1 KB with the footer), so a page is one allocation.
    private var estimatedLength: Int { body.reduce(2048) { $0 + $1.estimatedLength } }

    private static let stylesheetLink = void("link", Attribute("rel", "stylesheet"), .href(Stylesheet.path))

    private static let footerCache = Mutex<(TownProfile, Node)?>(nil)

    static func cachedFooter() -> Node {
        let town = TownProfile.current
        return footerCache.withLock { cache in
            if let (cachedTown, footer) = cache, cachedTown == town { return footer }
            let footer = footer(town)
            cache = (town, footer)
            return footer
        }
    }

    /// The page's bytes, rendered straight into the body: no String and no second copy.
    public func renderData() -> Data {
        var output = HTMLOutput(capacity: estimatedLength)
        render(into: &output)
        return output.data
    }

    public func response(status: Int = 200) -> Response {
        .html(renderData(), status: status)
    }
}

/// A table wider than the screen scrolls inside its own box instead of zooming the page out. The box is a
/// named, focusable region (axe scrollable-region-focusable: a keyboard user must be able to scroll it), and the
/// table inside keeps `display: table`, so on a desk it uses the full width.
public enum Table {
    public static func scrolling(label: String, @NodeBuilder rows: () -> [Node]) -> Node {
        el(
            "div", .class("table-scroll"), Attribute("role", "region"), Attribute("tabindex", "0"),
            Attribute("aria-label", label)
        ) {
            el("table") { rows() }
        }
    }
}

/// Pages shared by every module: error pages and the stylesheet route.
public enum WebPages {
    /// Renders any HTTP error as a Japanese page; API paths keep the JSON form.
    public static let errorRenderer: Server.ErrorRenderer = { request, error in
        if request.isAPI { return Server.defaultErrorRenderer(request, error) }
        let statusTitle =
            switch error.status {
            case 404: "ページが見つかりません"
            case 403: "この操作は許可されていません"
            case 413: "送信内容が大きすぎます"
            case 400..<500: "入力内容を確認してください"
            default: "システムエラー"
            }
        let title = error.title ?? statusTitle
        // Staff see their own frame: a resident header and "back to the start page" would lose them.
        let isStaff = request.path == "/staff" || request.path.hasPrefix("/staff/")
        let home = isStaff ? "/staff/" : "/"
        let town = TownProfile.current
        var page = Page(title: title, siteName: isStaff ? Page.staffSiteName : Page.residentSiteName, homePath: home) {
            el("h1") { title }
            el("p") { error.message }
            el("p", .class("hint")) {
                "\(town.office)（電話 \(town.phone)）へお問い合わせの際は、次の番号をお伝えください：\(request.requestID)"
            }
            el("p") { el("a", .href(home)) { isStaff ? "職員用トップへ戻る" : "トップページへ戻る" } }
        }
        page.wide = isStaff
        return page.response(status: error.status)
    }

    public static let stylesheetRoutes = StylesheetRoutes()
}

public struct StylesheetRoutes: RouteCollection {
    /// Encoded once: the stylesheet never changes while the process runs. The URL changes whenever the content
    /// does, so a year is safe; the ETag lets a forced reload revalidate without the body.
    let stylesheet = CachedRepresentation(
        body: Data(Stylesheet.css.utf8), contentType: "text/css; charset=utf-8",
        cacheControl: "public, max-age=31536000, immutable")

    public func register(in routes: inout Routes) {
        routes.get(Stylesheet.path, serveStylesheet)
    }

    func serveStylesheet(_ request: Request) -> Response {
        stylesheet.response(to: request)
    }
}
