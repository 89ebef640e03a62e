import ServiceKit
import Store
import Web

/// 「LINEのお知らせ」 on the staff dashboard: counts only, and links to the console.
struct NoticesDashboardTile: StaffDashboardTile {
    var title: String { "LINEのお知らせ" }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        let counts = try NoticeStore.fetchConsoleCounts(on: connection)
        return [
            el("p") { "送信中：\(counts.queued) 件 ／ 要確認：\(counts.needsAttention) 件" },
            el("p") { "郵便・電話でのお知らせ待ち：\(counts.openFallback) 人" },
            el("ul") {
                el("li") { el("a", .href("/staff/notices")) { "お知らせの一覧" } }
                el("li") { el("a", .href("/staff/notices/new")) { "お知らせを作成する" } }
                el("li") { el("a", .href("/staff/notices/fallback")) { "郵便・電話で届ける一覧" } }
            },
        ]
    }
}
