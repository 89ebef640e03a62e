import Foundation
import Store
import Web

/// A block of マイページ that a service module fills in: "申請の状況", "証明書の請求", "LINE 通知の設定"…
/// App registers one per module; マイページ renders them in order below the profile summary.
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
    func render(staff: AuthenticatedStaff, connection: Connection) throws -> [Node]
}

extension StaffDashboardTile {
    public var minimumRole: StaffRole { .clerk }
}
