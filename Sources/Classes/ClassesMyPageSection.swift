import Formats
import Foundation
import ServiceKit
import Store
import Web

/// "スマホ教室" on マイページ: the resident's signups, each with its page (cancel, survey).
struct ClassesMyPageSection: MyPageSection {
    let catalog: ClassCatalog

    var title: String { "スマホ教室" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let signups = try ClassStore.fetchSignups(residentID: residentID, on: connection).filter(\.isLive)
        var nodes: [Node] = []
        if signups.isEmpty {
            nodes.append(el("p") { "お申し込みの教室はありません。" })
        } else {
            var items: [Node] = []
            for signup in signups.prefix(10) {
                guard let session = try ClassStore.fetchSession(id: signup.sessionID, on: connection) else { continue }
                items.append(
                    el("li") {
                        el("a", .href("/classes/mine/\(signup.id)")) { session.title }
                        "（\(session.timeText)）：\(session.status == .cancelled ? "中止" : signup.status.label)"
                    })
            }
            nodes.append(el("ul") { items })
        }
        nodes.append(el("p") { el("a", .href("/classes")) { "スマホ教室を探す・申し込む" } })
        return nodes
    }
}
