import HTTP
import Web

/// The start page residents land on.
struct HomeRoutes: RouteCollection {
    func register(in routes: inout Routes) {
        routes.get("/") { _ in
            Page(title: "トップページ") {
                el("h1") { "オンライン窓口" }
                el("p") { "役場に行かなくても、スマートフォンやパソコンから手続きができます。" }
                el("p", .class("notice")) {
                    "24時間いつでも受け付けています。ご不明な点は役場の窓口でもお手伝いします。"
                }
            }.response()
        }
    }
}
