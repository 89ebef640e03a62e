import Foundation
import HTTP

/// The page frame every HTML response shares: `lang="ja"`, the viewport for phones, the stylesheet, and a
/// header that always leads back to the start page.
public struct Page: Sendable {
    public var title: String
    public var homePath: String
    public var siteName: String
    public var body: [Node]

    public init(
        title: String, siteName: String = "窓口（オンライン窓口）", homePath: String = "/", @NodeBuilder body: () -> [Node]
    ) {
        self.title = title
        self.siteName = siteName
        self.homePath = homePath
        self.body = body()
    }

    public func render() -> String {
        var output = HTMLOutput()
        render(into: &output)
        return output.string
    }

    func render(into output: inout HTMLOutput) {
        output.append("<!doctype html>" as StaticString)
        document.render(into: &output)
    }

    private var document: Node {
        el("html", Attribute("lang", "ja")) {
            el("head") {
                void("meta", Attribute("charset", "utf-8"))
                void(
                    "meta", Attribute("name", "viewport"),
                    Attribute("content", "width=device-width, initial-scale=1"))
                el("title") { "\(title) | \(siteName)" }
                void("link", Attribute("rel", "stylesheet"), .href(Stylesheet.path))
            }
            el("body") {
                el("header", .class("site")) { el("a", .href(homePath)) { siteName } }
                el("main", .id("main")) { body }
                el("footer", .class("site")) { "お困りのときは役場の窓口またはお電話でお問い合わせください。" }
            }
        }
    }

    /// The page's bytes, rendered straight into the body: no String and no second copy.
    public func renderData() -> Data {
        var output = HTMLOutput()
        render(into: &output)
        return output.data
    }

    public func response(status: Int = 200) -> Response {
        .html(renderData(), status: status)
    }
}

/// Pages shared by every module: error pages and the stylesheet route.
public enum WebPages {
    /// Renders any HTTP error as a Japanese page; API paths keep the JSON form.
    public static let errorRenderer: Server.ErrorRenderer = { request, error in
        if request.isAPI { return Server.defaultErrorRenderer(request, error) }
        let title =
            switch error.status {
            case 404: "ページが見つかりません"
            case 403: "この操作は許可されていません"
            case 413: "送信内容が大きすぎます"
            case 400..<500: "入力内容を確認してください"
            default: "システムエラー"
            }
        // Staff see their own frame: a resident header and "back to the start page" would lose them.
        let isStaff = request.path == "/staff" || request.path.hasPrefix("/staff/")
        let home = isStaff ? "/staff/" : "/"
        return Page(title: title, siteName: isStaff ? "窓口 職員用" : "窓口（オンライン窓口）", homePath: home) {
            el("h1") { title }
            el("p") { error.message }
            el("p", .class("hint")) { "お問い合わせの際は、次の番号をお伝えください：\(request.requestID)" }
            el("p") { el("a", .href(home)) { isStaff ? "職員用トップへ戻る" : "トップページへ戻る" } }
        }.response(status: error.status)
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
