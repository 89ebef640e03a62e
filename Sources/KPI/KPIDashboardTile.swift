import Formats
import ServiceKit
import Store
import Web

/// 「KPI（めざすべき目標値）」 on the staff dashboard, for supervisors and admins: links only.
struct KPIDashboardTile: StaffDashboardTile {
    var title: String { "KPI（めざすべき目標値）" }
    var minimumRole: StaffRole { .supervisor }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        [
            el("ul") {
                el("li") { el("a", .href("/staff/kpi")) { "今年度の進み具合" } }
                el("li") { el("a", .href("/staff/kpi/report")) { "印刷用の進行管理表" } }
                if staff.role >= .admin { el("li") { el("a", .href("/staff/kpi/figures")) { "実績値の入力" } } }
            }
        ]
    }
}
