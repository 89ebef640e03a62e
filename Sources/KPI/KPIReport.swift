import Formats
import Foundation

/// One fiscal year's indicators, as the dashboard, the printed report, the CSV, the CLI and the API show them.
public struct KPIReport: Sendable, Codable, Equatable {
    public let fiscalYear: Int
    /// 令和12年度
    public let fiscalYearLabel: String
    /// The JST day the figures describe: the fiscal year's last day once it is over, today while it runs.
    public let asOfDay: String
    /// The twelve JST months of the year, April first (`2030-04` … `2031-03`).
    public let months: [String]
    public let indicators: [IndicatorFigure]
    public let line: LineFigures
    /// Shown on every page that shows online users.
    public let guestNote: String

    public func indicator(_ id: String) -> IndicatorFigure? { indicators.first { $0.id == id } }
}

/// Where an indicator stands against the straight line from 現状値 to R12 and on to R17.
public enum Judgement: String, Sendable, Codable {
    case onTrack = "on_track"
    case offTrack = "off_track"
    /// Nothing to judge yet: no value (nothing entered, a population of 0).
    case notAvailable = "not_available"
    /// A reference figure without a plan target.
    case noTarget = "no_target"

    public var label: String {
        switch self {
        case .onTrack: "順調"
        case .offTrack: "遅れ"
        case .notAvailable: "判定不可"
        case .noTarget: "参考値"
        }
    }
}

public struct Breakdown: Sendable, Codable, Equatable {
    public let key: String
    public let label: String
    public let value: Int
    /// False for what is shown beside the figure but not part of it (counter acts beside online users).
    public let counted: Bool
}

public struct IndicatorFigure: Sendable, Codable, Equatable {
    public let id: String
    public let label: String
    public let planReference: String?
    public let unit: String
    public let method: Indicator.Method
    /// nil when it cannot be given: nothing entered, or a ratio over 0.
    public let value: Double?
    public let valueText: String
    public let baselineText: String
    public let targetR12Text: String
    public let targetR17Text: String
    /// The plan's target for this year's stretch (R12 up to FY2030, then R17).
    public let target: Double?
    /// Where the straight line from 現状値 puts this year.
    public let expected: Double?
    /// 達成率 against `target`, in percent.
    public let achievementPercent: Double?
    public let judgement: Judgement
    public let note: String?
    /// A caveat about this year's figure, e.g. that the population is a default.
    public let caveat: String?
    /// Per month in `KPIReport.months` order, for counted indicators.
    public let monthly: [Int]?
    public let byChannel: [Breakdown]?
    public let byModule: [Breakdown]?
    public let byDistrict: [Breakdown]?
    /// Distinct persons since the first fiscal year with events, through this one.
    public let cumulative: Int?
    public let districtsCovered: Int?
    /// For an entered cost: the paper the online acts saved, as 千円 at the configured unit cost.
    public let paperPagesSaved: Int?
    public let estimatedSavingThousandYen: Double?
    public let numeratorValue: Int?
    public let denominatorValue: Int?
}

public struct LineFigures: Sendable, Codable, Equatable {
    /// Residents with an active link at the end of `asOfDay`.
    public let activeLinks: Int
    /// LINE's own count on the newest ready day up to `asOfDay`: followers − blocks.
    public let followersDay: String?
    public let followers: Int?
    public let blocks: Int?
    public var reachableFollowers: Int? {
        guard let followers, let blocks else { return nil }
        return followers - blocks
    }
}

/// Number formatting shared by every view of a report.
enum KPIFormat {
    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output.append(",") }
            output.append(character)
        }
        return value < 0 ? "-" + output : output
    }

    static func number(_ value: Double, unit: String) -> String {
        if unit == "%" { return String(format: "%.1f", value) }
        if value == value.rounded() { return grouped(Int(value)) }
        return String(format: "%.1f", value)
    }

    static func value(_ value: Double?, unit: String) -> String {
        guard let value else { return "—" }
        return number(value, unit: unit) + unit
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.1f%%", value)
    }

    static func fiscalYearLabel(_ year: Int) -> String {
        FiscalYear(year).japaneseName ?? "\(year)年度"
    }

    /// `2030-04` → `4月`
    static func monthLabel(_ month: String) -> String {
        guard let number = Int(month.suffix(2)) else { return month }
        return "\(number)月"
    }
}

extension KPIReport {
    /// The API's and the CLI's JSON: snake_case keys like every other `/api/v1` answer.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }
}
