import Foundation
import ServiceKit

/// Where an application is in its life. The raw value is what is stored.
public enum ApplicationStatus: String, Sendable, CaseIterable, Codable {
    /// Filled in and checked, waiting for the resident to confirm; not yet submitted.
    case draft
    case received
    case inReview = "in_review"
    case approved
    case rejected
    /// 要訂正: sent back to the resident to fix and resubmit.
    case returned
    case completed
    /// 取下げ by the resident.
    case withdrawn

    public var label: String {
        switch self {
        case .draft: "下書き"
        case .received: "受付済み"
        case .inReview: "審査中"
        case .approved: "承認"
        case .rejected: "不承認"
        case .returned: "要訂正"
        case .completed: "完了"
        case .withdrawn: "取下げ"
        }
    }

    /// Closed applications change no more; their retention period starts when they close.
    public var isClosed: Bool { self == .rejected || self == .completed || self == .withdrawn }

    /// Statuses staff see in the queue filter.
    public static let submitted: [ApplicationStatus] = [
        .received, .inReview, .approved, .returned, .rejected, .completed, .withdrawn,
    ]
}

/// How the application reached the town.
public enum ApplicationChannel: String, Sendable, CaseIterable, Codable {
    case web
    /// 書かない窓口: a clerk typed it while the resident was present or on the phone.
    case counter
    case line

    public var label: String {
        switch self {
        case .web: "オンライン"
        case .counter: "窓口"
        case .line: "LINE"
        }
    }

    var usageChannel: UsageChannel {
        switch self {
        case .web: .web
        case .counter: .counter
        case .line: .line
        }
    }
}

/// Who acted on an application, as recorded in its events.
public enum ApplicationActor: Sendable, Equatable {
    case resident(id: Int64)
    /// A guest, identified only by holding the reference and secret.
    case guest
    case staff(id: Int64)
    case system

    var columns: (type: String, id: Int64?) {
        switch self {
        case .resident(let id): ("resident", id)
        case .guest: ("guest", nil)
        case .staff(let id): ("staff", id)
        case .system: ("system", nil)
        }
    }

    /// The resident or guest who applied, as opposed to staff or the system.
    public var isApplicant: Bool {
        switch self {
        case .resident, .guest: true
        case .staff, .system: false
        }
    }

    init(type: String, id: Int64?) {
        switch (type, id) {
        case ("resident", let id?): self = .resident(id: id)
        case ("staff", let id?): self = .staff(id: id)
        case ("guest", _): self = .guest
        default: self = .system
        }
    }
}

/// One stored application.
public struct StoredApplication: Sendable, Equatable {
    public let id: Int64
    /// Nil while a draft.
    public let reference: String?
    public let procedureCode: String
    public let procedureVersion: Int
    public let department: String
    public let residentID: Int64?
    public let guestSecretHash: String?
    public let channel: ApplicationChannel
    public let enteredByStaffID: Int64?
    public let status: ApplicationStatus
    public let answers: Answers
    public let feeYen: Int
    public let retentionYears: Int
    public let createdAt: Date
    public let submittedAt: Date?
    public let updatedAt: Date
    public let assignedStaffID: Int64?
    public let assignedAt: Date?
    public let closedAt: Date?
    public let retainUntil: Date?
    public let purgedAt: Date?
    public let submissionToken: String

    public var isGuest: Bool { residentID == nil }
}

/// One row of `application_events`.
public struct ApplicationEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case status
        case assigned
        case released
        case note
    }

    public let id: Int64
    public let applicationID: Int64
    public let kind: Kind
    public let actor: ApplicationActor
    public let at: Date
    public let fromStatus: ApplicationStatus?
    public let toStatus: ApplicationStatus?
    /// What the resident was told; shown to them.
    public let message: String?
    /// Only staff see this.
    public let internalNote: String?
}

/// An attachment's metadata; the bytes are fetched separately, by staff only.
public struct AttachmentInfo: Sendable, Equatable {
    public let id: Int64
    public let applicationID: Int64
    public let field: String
    public let filename: String
    public let contentType: String
    public let size: Int
    public let sha256: String
}

/// A staff-editable response text.
public struct ResponseTemplate: Sendable, Equatable {
    public let id: Int64
    public let title: String
    /// The move it suits; nil fits any.
    public let toStatus: ApplicationStatus?
    public let body: String
}

/// The state machine: who may move an application from where to where.
public enum ApplicationRules {
    /// Moves a staff member may make.
    public static func staffTargets(from status: ApplicationStatus) -> [ApplicationStatus] {
        switch status {
        case .received: [.inReview]
        case .inReview: [.approved, .rejected, .returned]
        case .approved: [.completed]
        case .draft, .returned, .rejected, .completed, .withdrawn: []
        }
    }

    /// Every status a staff move can lead to: the statuses a response template (定型文) can be for. `received`
    /// is not one — an application arrives there by the resident's submit, with no message from the town.
    public static let staffMoveTargets: [ApplicationStatus] = ApplicationStatus.allCases.filter { target in
        ApplicationStatus.allCases.contains { staffTargets(from: $0).contains(target) }
    }

    public static func staffMayMove(from: ApplicationStatus, to: ApplicationStatus) -> Bool {
        staffTargets(from: from).contains(to)
    }

    /// A resident may withdraw (取下げ) until a clerk starts the review.
    public static func residentMayWithdraw(_ status: ApplicationStatus) -> Bool {
        status == .received || status == .returned
    }

    /// A resident may edit and resubmit only what staff returned (要訂正).
    public static func residentMayResubmit(_ status: ApplicationStatus) -> Bool {
        status == .returned
    }

    /// Moves that must carry a message to the resident: they need to know why, or what to fix.
    public static func requiresMessage(to status: ApplicationStatus) -> Bool {
        status == .returned || status == .rejected
    }

    /// The subject line of the resident message for a move.
    public static func messageSubject(procedureName: String, to status: ApplicationStatus) -> String {
        switch status {
        case .inReview: "【\(procedureName)】審査を開始しました"
        case .approved: "【\(procedureName)】申請が承認されました"
        case .rejected: "【\(procedureName)】申請は承認されませんでした"
        case .returned: "【\(procedureName)】申請内容の訂正をお願いします"
        case .completed: "【\(procedureName)】手続きが完了しました"
        case .received: "【\(procedureName)】申請を受け付けました"
        case .withdrawn: "【\(procedureName)】申請を取り下げました"
        case .draft: "【\(procedureName)】"
        }
    }

    /// When personal data of an application closed at `closedAt` may be deleted.
    public static func retainUntil(closedAt: Date, retentionYears: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(byAdding: .year, value: retentionYears, to: closedAt) ?? closedAt
    }
}
