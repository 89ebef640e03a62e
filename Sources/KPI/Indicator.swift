import Foundation
import ServiceKit

/// Which usage events an indicator counts. Every list is "any of"; a missing list (or `source`) matches all,
/// so a new module's events are counted by adding a definition, not code.
public struct EventSelector: Codable, Sendable, Equatable {
    /// The writing module's `ServiceModule.name`; nil counts every module.
    public let source: String?
    public let kinds: [String]?
    public let channels: [UsageChannel]
    public let subjectCodes: [String]?

    enum CodingKeys: String, CodingKey {
        case source, kinds, channels
        case subjectCodes = "subject_codes"
    }

    public init(source: String? = nil, kinds: [String]? = nil, channels: [UsageChannel], subjectCodes: [String]? = nil)
    {
        self.source = source
        self.kinds = kinds
        self.channels = channels
        self.subjectCodes = subjectCodes
    }
}

/// A figure an admin enters per fiscal year on `/staff/kpi/figures`.
public enum EnteredFigure: String, Codable, Sendable, CaseIterable {
    /// 印刷等コスト (用紙代、インク等代、機器購入・修繕費), in 千円.
    case printCost = "print_cost"
    /// DX推進による職員数 (予算人数、フルタイム勤務者).
    case staffHeadcount = "staff_headcount"
    /// ホームページアクセス数, in 件.
    case homepageAccess = "homepage_access"
    /// 住民基本台帳人口, the LINE registration rate's denominator.
    case population

    public var label: String {
        switch self {
        case .printCost: "印刷等コスト（千円）"
        case .staffHeadcount: "職員数（予算人数・フルタイム勤務者）"
        case .homepageAccess: "ホームページアクセス数（件）"
        case .population: "住民基本台帳人口（人）"
        }
    }
}

/// One side of a ratio: counted events, active LINE links at the fiscal year's end (or today), or an entered
/// figure with a counted default for the years nobody entered it.
public struct RatioTerm: Codable, Sendable, Equatable {
    public enum Source: String, Codable, Sendable {
        case events
        case activeLineLinks = "active_line_links"
        case entered
    }
    public enum Fallback: String, Codable, Sendable {
        /// Residents with an account at the fiscal year's end (or today).
        case registeredResidents = "registered_residents"
    }

    public let of: Source
    public let events: EventSelector?
    public let figure: EnteredFigure?
    public let fallback: Fallback?

    public init(of: Source, events: EventSelector? = nil, figure: EnteredFigure? = nil, fallback: Fallback? = nil) {
        self.of = of
        self.events = events
        self.figure = figure
        self.fallback = fallback
    }
}

/// One row of the plan's めざすべき目標値 table (or a reference figure without a target), as data in
/// `Schemas/kpi/indicators.json`.
public struct Indicator: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable {
        /// Distinct pseudonymous persons with at least `min_events` matching events in the fiscal year.
        case distinctResidents = "distinct_residents"
        /// Matching events in the fiscal year.
        case count
        /// numerator ÷ denominator, in percent.
        case ratio
        /// An admin's figure for the fiscal year.
        case entered
    }
    public enum Direction: String, Codable, Sendable {
        case higher
        case lower
    }

    public let id: String
    public let label: String
    /// Where the plan states it: `第5章 1`, `第3章 2`; nil for reference figures outside the table.
    public let planReference: String?
    public let unit: String
    public let direction: Direction
    /// "50%以上": reaching the target is enough, and the label says so.
    public let atLeast: Bool
    public let baseline: Double?
    /// The plan's own wording of 現状値 (`—`, `年6回以上(3地区)`), shown instead of the number.
    public let baselineLabel: String?
    /// The fiscal year 現状値 describes, the start of the straight line to R12.
    public let baselineFiscalYear: Int
    public let targetR12: Double?
    public let targetR17: Double?
    /// For the classes indicator: the districts every fiscal year must cover (3地区).
    public let targetDistricts: Int?
    public let method: Method
    public let events: EventSelector?
    public let minEvents: Int?
    public let numerator: RatioTerm?
    public let denominator: RatioTerm?
    public let figure: EnteredFigure?
    /// For an entered cost: the online acts whose `paper_pages` estimate the paper saved.
    public let paperPagesOf: EventSelector?
    /// Shown under the figure (how it is counted, e.g. that a guest counts once per application).
    public let note: String?

    enum CodingKeys: String, CodingKey {
        case id, label, unit, direction, baseline, method, events, numerator, denominator, figure, note
        case planReference = "plan_reference"
        case atLeast = "at_least"
        case baselineLabel = "baseline_label"
        case baselineFiscalYear = "baseline_fiscal_year"
        case targetR12 = "target_r12"
        case targetR17 = "target_r17"
        case targetDistricts = "target_districts"
        case minEvents = "min_events"
        case paperPagesOf = "paper_pages_of"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        label = try container.decode(String.self, forKey: .label)
        planReference = try container.decodeIfPresent(String.self, forKey: .planReference)
        unit = try container.decode(String.self, forKey: .unit)
        direction = try container.decode(Direction.self, forKey: .direction)
        atLeast = try container.decodeIfPresent(Bool.self, forKey: .atLeast) ?? false
        baseline = try container.decodeIfPresent(Double.self, forKey: .baseline)
        baselineLabel = try container.decodeIfPresent(String.self, forKey: .baselineLabel)
        baselineFiscalYear = try container.decode(Int.self, forKey: .baselineFiscalYear)
        targetR12 = try container.decodeIfPresent(Double.self, forKey: .targetR12)
        targetR17 = try container.decodeIfPresent(Double.self, forKey: .targetR17)
        targetDistricts = try container.decodeIfPresent(Int.self, forKey: .targetDistricts)
        method = try container.decode(Method.self, forKey: .method)
        events = try container.decodeIfPresent(EventSelector.self, forKey: .events)
        minEvents = try container.decodeIfPresent(Int.self, forKey: .minEvents)
        numerator = try container.decodeIfPresent(RatioTerm.self, forKey: .numerator)
        denominator = try container.decodeIfPresent(RatioTerm.self, forKey: .denominator)
        figure = try container.decodeIfPresent(EnteredFigure.self, forKey: .figure)
        paperPagesOf = try container.decodeIfPresent(EventSelector.self, forKey: .paperPagesOf)
        note = try container.decodeIfPresent(String.self, forKey: .note)
    }

    public var hasTarget: Bool { targetR12 != nil || targetR17 != nil }
}
