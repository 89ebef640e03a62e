import HTTP
import Identity
import Web

/// The start page residents land on: what the service is, and the way in.
struct HomeRoutes: RouteCollection {
    let authentication: Authentication

    func register(in routes: inout Routes) {
        routes.get("/", showHomePage)
    }

    // MARK: Handlers

    func showHomePage(_ request: Request) throws -> Response {
        let resident = try authentication.currentResident(request)
        return IdentityPages.residentPage(title: "トップページ", resident: resident) {
            el("h1") { "オンライン窓口" }
            if request.query("signed_out") == "1" { IdentityPages.success("ログアウトしました。") }
            el("p") { "役場に行かなくても、スマートフォンやパソコンから手続きができます。" }
            el("p", .class("notice")) {
                "24時間いつでも受け付けています。ご不明な点は役場の窓口でもお手伝いします。"
            }
            // The services come first: the page header links here from every page, so this is the way in.
            el("h2") { "オンライン申請" }
            el("p") { "水道の使用開始・中止、犬の登録、粗大ごみの収集など、役場への届出や申込みができます。" }
            el("p") { el("a", .class("button"), .href("/applications")) { "申請できる手続きを見る" } }
            el("p") { el("a", .href("/applications/lookup")) { "ログインせずに申請した方：申請状況の確認" } }
            el("h2") { "スマホ教室" }
            el("p") { "スマートフォンの使い方をやさしくお教えする教室です。参加は無料、貸出スマホもあります。" }
            el("p") { el("a", .href("/classes")) { "スマホ教室の日程を見る・申し込む" } }
            if resident != nil {
                el("p") { el("a", .class("button"), .href("/mypage")) { "マイページへ" } }
            } else {
                el("h2") { "はじめての方" }
                el("p") { "メールアドレスか携帯電話の番号があれば、どなたでも登録できます。" }
                el("p") { el("a", .class("button"), .href("/register")) { "新規登録" } }
                el("h2") { "登録済みの方" }
                el("p") { el("a", .class("button"), .href("/login")) { "ログイン" } }
                el("p", .class("hint")) {
                    "役場の窓口で登録した方は、窓口でお渡しした再設定コードで "
                    el("a", .href("/reset")) { "パスワードを設定" }
                    " してからログインしてください。"
                }
            }
        }.response()
    }
}
