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
        let requests = try CertificateStore.fetchRequests(residentID: residentID, limit: 20, on: connection)
        var nodes: [Node] = []
        if requests.isEmpty {
            nodes.append(el("p") { "まだ証明書の請求はありません。" })
        } else {
            nodes.append(
                el("ul") {
                    for request in requests {
                        el("li") {
                            el("a", .href("/certificates/\(request.id)")) {
                                catalog.type(code: request.typeCode)?.name ?? request.typeCode
                            }
                            "（\(request.copies)通）：\(request.status.label)"
                            if !request.status.isClosed && request.status != .ready {
                                "（交付準備の予定：\(JapanTime.format(request.expectedReadyAt))）"
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
