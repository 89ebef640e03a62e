import Foundation

public enum TicketStatus: String, Sendable, Codable {
    case waiting
    /// 呼出中: called to a counter, not yet done.
    case called
    case done
    case noShow = "no_show"

    public var label: String {
        switch self {
        case .waiting: "お待ちください"
        case .called: "呼び出し中"
        case .done: "終了"
        case .noShow: "不在"
        }
    }
}

public struct CounterTicket: Sendable, Equatable {
    public let id: Int64
    public let categoryCode: String
    public let issuedCategoryCode: String
    public let serviceDate: String
    public let number: Int
    public let followToken: String
    public let status: TicketStatus
    public let takenAt: Date
    public let calledAt: Date?
    public let finishedAt: Date?
    public let counterNumber: Int?
    public let residentID: Int64?

    /// 「A-012」: the issuing category's letter, so a moved ticket keeps the number printed on it.
    public func displayNumber(_ service: CertificateService) -> String {
        let prefix = service.category(code: issuedCategoryCode)?.prefix ?? "?"
        return prefix + "-" + String(format: "%03d", number)
    }
}

/// The wait estimate (待たない): the median of the category's last services × the tickets ahead ÷ the desks
/// that serve the category. The median, not the mean, so one long 相続 case does not double everyone's wait.
public enum WaitEstimator {
    /// How many recent services the median looks at.
    public static let window = 20
    /// Until a category has a service on record: the naive guess.
    public static let defaultServiceSeconds: Double = 300

    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Seconds until a ticket with `ahead` tickets before it is called.
    public static func estimate(ahead: Int, recentServiceSeconds: [Double], openDesks: Int) -> Double {
        let perTicket = median(Array(recentServiceSeconds.suffix(window))) ?? defaultServiceSeconds
        return perTicket * Double(ahead) / Double(max(openDesks, 1))
    }

    /// 「約15分」, never less than 「まもなく」.
    public static func label(_ seconds: Double) -> String {
        let minutes = Int((seconds / 60).rounded(.up))
        return minutes <= 1 ? "まもなく" : "約\(minutes)分"
    }
}
