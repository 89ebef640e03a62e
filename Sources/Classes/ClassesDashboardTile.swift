import Formats
import ServiceKit
import Store
import Web

/// "スマホ教室" on the staff dashboard: upcoming sessions and the calls still to make.
struct ClassesDashboardTile: StaffDashboardTile {
    var title: String { "スマホ教室" }

    func render(staff: StaffViewer, connection: Connection) throws -> [Node] {
        let upcoming =
            try connection.scalar(
                "SELECT count(*) FROM class_sessions WHERE status = 'scheduled'", as: Int.self) ?? 0
        let calls =
            try connection.scalar(
                "SELECT count(*) FROM class_signups WHERE call_reason IS NOT NULL AND called_at IS NULL", as: Int.self)
            ?? 0
        return [
            el("p") { "予定の教室：\(upcoming) 件" },
            el("p") { "電話連絡：\(calls) 件" },
            el("p") { el("a", .href("/staff/classes")) { "スマホ教室を開く" } },
        ]
    }
}
