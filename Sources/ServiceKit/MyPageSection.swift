import Foundation
import Store
import Web

/// A block of マイページ that a service module fills in: "申請の状況", "証明書の請求", "LINE 通知の設定"…
/// A module lists its sections in `ServiceModule.myPageSections`; マイページ renders every module's sections in
/// module order below the profile summary.
///
/// `render` gets a reader connection inside the page's read transaction and the signed-in resident's id.
/// It must show only that resident's records (query by `residentID`, never by an id from the request).
public protocol MyPageSection: Sendable {
    /// The section's heading, e.g. "申請の状況".
    var title: String { get }
    func render(residentID: Int64, connection: Connection) throws -> [Node]
}

/// A tile on the staff dashboard (`/staff/`), e.g. "審査待ちの申請 3 件". Shown to staff whose role is at
/// least `minimumRole`. Tiles show counts and links, not residents' personal data: opening a resident's
/// record is a separate, audited page.
public protocol StaffDashboardTile: Sendable {
    var title: String { get }
    var minimumRole: StaffRole { get }
    func render(staff: StaffViewer, connection: Connection) throws -> [Node]
}

extension StaffDashboardTile {
    public var minimumRole: StaffRole { .clerk }
}

/// The signed-in staff member as the shared tier sees them: enough to choose what a tile or a module's page
/// shows (their own 担当課, their role), nothing about the session.
public struct StaffViewer: Sendable, Equatable {
    public let id: Int64
    public let role: StaffRole
    public let department: Department

    public init(id: Int64, role: StaffRole, department: Department) {
        self.id = id
        self.role = role
        self.department = department
    }
}
