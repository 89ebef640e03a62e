/// The town hall's vocabulary for who works where: every module states the role a route needs and the 担当課 a
/// record belongs to in these terms, so they live in the shared tier rather than in any one module.
/// What a staff member may do. Ordered: every supervisor may do what a clerk may, every admin what a
/// supervisor may, so a route states only the minimum it needs.
public enum StaffRole: String, Sendable, CaseIterable, Comparable, Codable {
    case clerk
    case supervisor
    case admin

    private var rank: Int {
        switch self {
        case .clerk: 0
        case .supervisor: 1
        case .admin: 2
        }
    }

    public static func < (lhs: StaffRole, rhs: StaffRole) -> Bool { lhs.rank < rhs.rank }

    public var label: String {
        switch self {
        case .clerk: "担当者"
        case .supervisor: "監督者"
        case .admin: "管理者"
        }
    }
}

/// The town hall's departments (担当課). The raw value is what is stored and shown.
public enum Department: String, Sendable, CaseIterable, Codable {
    case generalAffairs = "総務課"
    case residentServices = "町民課"
    case townPlanning = "まちづくり課"
    case constructionAndWater = "建設水道課"
    case healthAndWelfare = "保健福祉課"
    case lifelongLearning = "生涯学習課"
    case tourismAndCommerce = "観光商工課"
}
