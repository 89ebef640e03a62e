import Formats
import Foundation
import ServiceKit
import Store
import Web

/// "証明書の請求" on マイページ: the resident's requests with their status and expected-ready time.
struct CertificatesMyPageSection: MyPageSection {
    let catalog: CertificateCatalog

    var title: String { "証明書の請求" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let lines = try CertificateStore.fetchMyPageLines(residentID: residentID, limit: 20, on: connection)
        var nodes: [Node] = []
        if lines.isEmpty {
            nodes.append(el("p") { "まだ証明書の請求はありません。" })
        } else {
            nodes.append(
                el("ul") {
                    for line in lines {
                        el("li") {
                            el("a", .href("/certificates/\(line.id)")) {
                                catalog.type(code: line.typeCode)?.name ?? line.typeCode
                            }
                            "（\(line.copies)通）：\(line.status.label)"
                            if !line.status.isClosed && line.status != .ready {
                                "（交付準備の予定：\(JapanTime.format(storedUTC: line.expectedReadyAt))）"
                            }
                        }
                    }
                })
        }
        nodes.append(el("p") { el("a", .href("/certificates")) { "証明書を請求する" } })
        return nodes
    }
}

/// "証明書の請求" on the staff dashboard: how many wait, and a link to the queue.
struct CertificatesDashboardTile: StaffDashboardTile {
    var title: String { "証明書の請求" }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        let count = try CertificateStore.countQueue(on: connection)
        return [
            el("p") { "処理待ち：\(count) 件" },
            el("p") { el("a", .href("/staff/certificates")) { "証明書の請求一覧を開く" } },
        ]
    }
}
