import Foundation

public enum CertificateStatus: String, Sendable, Codable, CaseIterable {
    /// Made, the online fee not paid yet.
    case submitted
    case paid
    /// Made, to be paid at pickup: the 担当課 may prepare it now.
    case payAtCounter = "pay_at_counter"
    case inProgress = "in_progress"
    case ready
    case mailed
    case handedOver = "handed_over"
    case rejected

    public var label: String {
        switch self {
        case .submitted: "お支払い待ち"
        case .paid: "受付済み（支払済み）"
        case .payAtCounter: "受付済み（窓口でお支払い）"
        case .inProgress: "準備中"
        case .ready: "交付準備完了"
        case .mailed: "郵送済み"
        case .handedOver: "交付済み"
        case .rejected: "交付できませんでした"
        }
    }

    /// States a clerk may claim from the queue.
    public var isWorkable: Bool { self == .paid || self == .payAtCounter || self == .inProgress }
    public var isClosed: Bool { self == .handedOver || self == .mailed || self == .rejected }
}

public enum Delivery: String, Sendable, Codable, CaseIterable {
    case counter
    case mail

    public var label: String { self == .counter ? "窓口で受け取る" : "郵送（住民登録の住所へ）" }
}

public enum PaymentChoice: String, Sendable, Codable, CaseIterable {
    case online
    case counter

    public var label: String { self == .online ? "オンラインで支払う" : "受け取るときに窓口で支払う" }
}

public enum RequestChannel: String, Sendable, Codable {
    case web, line, counter
}

/// The identity document a clerk checked at hand-over: its kind only, never its number.
public enum IdentityDocument: String, Sendable, Codable, CaseIterable {
    case myNumberCard = "my_number_card"
    case driversLicense = "drivers_license"
    case passport
    case healthInsurance = "health_insurance"
    case other

    public var label: String {
        switch self {
        case .myNumberCard: "マイナンバーカード"
        case .driversLicense: "運転免許証"
        case .passport: "パスポート"
        case .healthInsurance: "健康保険証・資格確認書"
        case .other: "その他の本人確認書類"
        }
    }
}

/// A request as validated, before it is stored.
public struct NewCertificateRequest: Sendable, Equatable {
    public var typeCode: String
    public var copies: Int
    public var requester: Requester
    /// Option code → "yes" | "no" | a 年度 ("2025").
    public var options: [String: String]
    public var purpose: String?
    public var delivery: Delivery
    public var pickupDate: String?
    public var mailingAddress: String?
    public var payment: PaymentChoice
    public var feeYen: Int
    public var letterOfAttorney: LetterOfAttorney?
}

public struct LetterOfAttorney: Sendable, Equatable {
    public let filename: String
    public let contentType: String
    public let data: Data
}

/// A stored request.
public struct CertificateRequest: Sendable, Equatable {
    public let id: Int64
    public let residentID: Int64
    public let typeCode: String
    public let department: String
    public let copies: Int
    public let requester: Requester
    public let options: [String: String]
    public let purpose: String?
    public let delivery: Delivery
    public let pickupDate: String?
    public let mailingAddress: String?
    public let payment: PaymentChoice
    public let feeYen: Int
    public let channel: RequestChannel
    public let priority: Int
    public let status: CertificateStatus
    public let createdAt: Date
    public let updatedAt: Date
    public let expectedReadyAt: Date
    public let claimedByStaffID: Int64?
    public let leaseExpiresAt: Date?
    public let readyAt: Date?
    public let mailedOn: String?
    public let handedOverAt: Date?
    public let identityDocument: IdentityDocument?
    public let counterPaidYen: Int?
    public let rejectionReason: String?
    public let hasLetterOfAttorney: Bool

    /// Whether `staffID` holds an unexpired lease on it at `now`.
    public func isHeld(by staffID: Int64, at now: Date) -> Bool {
        claimedByStaffID == staffID && (leaseExpiresAt.map { $0 > now } ?? false)
    }

    public func isHeldByAnother(than staffID: Int64, at now: Date) -> Bool {
        claimedByStaffID != nil && claimedByStaffID != staffID && (leaseExpiresAt.map { $0 > now } ?? false)
    }
}

/// The moves a clerk may make, checked before any write.
public enum CertificateRules {
    public static let defaultLeaseSeconds: TimeInterval = 600

    public enum StaffAction: String, Sendable, CaseIterable {
        case start, ready, mail, handOver = "hand_over", reject
    }

    public static func target(of action: StaffAction, from status: CertificateStatus, delivery: Delivery)
        -> CertificateStatus?
    {
        switch (action, status) {
        case (.start, .paid), (.start, .payAtCounter): .inProgress
        case (.ready, .inProgress) where delivery == .counter: .ready
        case (.mail, .inProgress) where delivery == .mail: .mailed
        case (.handOver, .ready): .handedOver
        case (.reject, .submitted), (.reject, .paid), (.reject, .payAtCounter), (.reject, .inProgress): .rejected
        default: nil
        }
    }
}
