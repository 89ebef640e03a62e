import Formats
import Foundation
import HTTP
import Identity
import Security
import ServiceKit
import Store
import Web

/// 「LINEで受け取る」 on マイページ: whether the resident's LINE is linked, and a link to the page that issues a
/// code or unlinks. The forms live on `/mypage/line` because a section is rendered without the session's CSRF
/// token.
struct LINELinkMyPageSection: MyPageSection {
    var title: String { "LINEで受け取る" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let linkedAt = try NoticeStore.fetchActiveLinkDate(residentID: residentID, on: connection)
        return [
            LINELinkPages.status(linkedAt: linkedAt),
            el("p") { el("a", .href(LINELinkRoutes.residentPath)) { "LINEの設定を開く" } },
        ]
    }
}
