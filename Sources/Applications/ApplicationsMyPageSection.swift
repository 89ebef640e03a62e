import Formats
import Foundation
import Identity
import ServiceKit
import Store
import Web

/// "申請の状況" on マイページ: the resident's applications with their status history, and the messages the
/// town sent them (until the notices module delivers `resident_messages` by LINE or mail).
struct ApplicationsMyPageSection: MyPageSection {
    let catalog: ProcedureCatalog

    var title: String { "申請の状況" }

    func render(residentID: Int64, connection: Connection) throws -> [Node] {
        let applications = try ApplicationStore.fetchMyPageLines(residentID: residentID, limit: 20, on: connection)
        let histories = try ApplicationStore.fetchMyPageEvents(residentID: residentID, limit: 20, on: connection)
        let messages = try ResidentMessages.fetchMessageLines(residentID: residentID, limit: 10, on: connection)
        var nodes: [Node] = []
        if applications.isEmpty {
            nodes.append(el("p") { "まだ申請はありません。" })
        } else {
            nodes.append(
                el("ul") {
                    for application in applications {
                        el("li") {
                            el("a", .href("/applications/\(application.reference ?? "")")) {
                                catalog.procedure(code: application.procedureCode)?.name ?? application.procedureCode
                            }
                            "（受付番号 "
                            ReferenceNumber.inline(application.reference ?? "")
                            "）：\(application.status.label)"
                            if application.status == .returned { el("strong") { " 訂正をお願いします" } }
                            el("details") {
                                el("summary") { "状況の履歴" }
                                ApplicationPages.residentHistory(histories[application.id] ?? [])
                            }
                        }
                    }
                })
        }
        if !messages.isEmpty {
            nodes.append(el("h3") { "役場からのお知らせ" })
            nodes.append(
                el("ul") {
                    for message in messages {
                        el("li") {
                            el("strong") { message.subject }
                            el("span", .class("date")) { "（\(JapanTime.format(storedUTC: message.createdAt))）" }
                            el("p") { ReferenceNumber.inlineText(message.body) }
                        }
                    }
                })
        }
        nodes.append(el("p") { el("a", .href("/applications")) { "新しく申請する" } })
        return nodes
    }
}
