import ServiceKit
import Store
import Web

/// "審査待ちの申請" on the staff dashboard: a count for the clerk's department and a link to the queue.
struct ApplicationsDashboardTile: StaffDashboardTile {
    var title: String { "審査待ちの申請" }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        let count = try ApplicationStore.countOpenApplications(department: staff.department.rawValue, on: connection)
        return [
            el("p") { "\(staff.department.rawValue)：\(count) 件" },
            el("p") { el("a", .href("/staff/applications")) { "申請の一覧を開く" } },
        ]
    }
}
