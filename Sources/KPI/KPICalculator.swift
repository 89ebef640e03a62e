import Formats
import Foundation
import Identity
import ServiceKit
import Store

/// Turns usage events, entered figures and LINE counts into one fiscal year's `KPIReport`, every figure from
/// one read snapshot.
public struct KPICalculator: Sendable {
    public let catalog: IndicatorCatalog
    public let census: any LINELinkedResidents

    public init(catalog: IndicatorCatalog, census: any LINELinkedResidents) {
        self.catalog = catalog
        self.census = census
    }

    public static let guestNote =
        "アカウントを作らずに（ゲストとして）申請した人は、誰であるかを記録しないため、申請1件ごとに1人と数えます。"

    /// The fiscal years R12 and R17 name.
    static let r12 = 2030
    static let r17 = 2035

    public func report(fiscalYear: Int, now: Date, on connection: Connection) throws -> KPIReport {
        let year = FiscalYear(fiscalYear)
        let today = CalendarDate.today(at: now)
        let asOfDay = min(max(today, year.firstDay), year.lastDay)
        let context = Context(
            fiscalYear: fiscalYear, asOfDay: asOfDay,
            asOfEnd: (JapanTime.startOfDay(asOfDay) ?? now).addingTimeInterval(86_400),
            months: Self.months(of: fiscalYear),
            figures: try KPIStore.fetchCurrentFigures(fiscalYear: fiscalYear, on: connection),
            districts: try ResidentStore.fetchDistricts(on: connection).map { ($0.code, $0.name) })
        let indicators = try catalog.indicators.map { try figure(for: $0, context, on: connection) }
        let followers = try KPIStore.fetchLatestReadyFollowerDay(onOrBefore: asOfDay, on: connection)
        return KPIReport(
            fiscalYear: fiscalYear, fiscalYearLabel: KPIFormat.fiscalYearLabel(fiscalYear), asOfDay: asOfDay,
            months: context.months, indicators: indicators,
            line: LineFigures(
                activeLinks: try census.activeLinks(atEndOf: asOfDay, on: connection), followersDay: followers?.day,
                followers: followers?.followers, blocks: followers?.blocks),
            guestNote: Self.guestNote)
    }

    struct Context {
        let fiscalYear: Int
        let asOfDay: String
        let asOfEnd: Date
        let months: [String]
        let figures: [EnteredFigure: Int]
        let districts: [(code: String, name: String)]
    }

    /// `2030-04` … `2031-03`.
    static func months(of fiscalYear: Int) -> [String] {
        (0..<12).map { index in
            let month = (index + 3) % 12 + 1
            let year = month >= 4 ? fiscalYear : fiscalYear + 1
            return String(format: "%04d-%02d", year, month)
        }
    }

    /// What one indicator's method counts; the rest of the figure (targets, judgement) is the same for all.
    struct Counted {
        var value: Double?
        var caveat: String?
        var monthly: [Int]?
        var byChannel: [Breakdown]?
        var byModule: [Breakdown]?
        var byDistrict: [Breakdown]?
        var cumulative: Int?
        var districtsCovered: Int?
        var paperPagesSaved: Int?
        var estimatedSavingThousandYen: Double?
        var numerator: Int?
        var denominator: Int?
    }

    func figure(for indicator: Indicator, _ context: Context, on connection: Connection) throws -> IndicatorFigure {
        let counted: Counted
        switch indicator.method {
        case .distinctResidents: counted = try countPersons(indicator, context, on: connection)
        case .count: counted = try countEvents(indicator, context, on: connection)
        case .ratio: counted = try divide(indicator, context, on: connection)
        case .entered: counted = try readEntered(indicator, context, on: connection)
        }
        let target = Self.target(indicator, fiscalYear: context.fiscalYear)
        let expected = Self.expected(indicator, fiscalYear: context.fiscalYear)
        return IndicatorFigure(
            id: indicator.id, label: indicator.label, planReference: indicator.planReference, unit: indicator.unit,
            method: indicator.method, value: counted.value,
            valueText: KPIFormat.value(counted.value, unit: indicator.unit),
            baselineText: indicator.baselineLabel ?? KPIFormat.value(indicator.baseline, unit: indicator.unit),
            targetR12Text: Self.targetText(indicator, indicator.targetR12),
            targetR17Text: Self.targetText(indicator, indicator.targetR17), target: target, expected: expected,
            achievementPercent: Self.achievement(indicator, value: counted.value, target: target),
            judgement: Self.judge(
                indicator, value: counted.value, expected: expected, districtsCovered: counted.districtsCovered),
            note: indicator.note, caveat: counted.caveat, monthly: counted.monthly, byChannel: counted.byChannel,
            byModule: counted.byModule, byDistrict: counted.byDistrict, cumulative: counted.cumulative,
            districtsCovered: counted.districtsCovered, paperPagesSaved: counted.paperPagesSaved,
            estimatedSavingThousandYen: counted.estimatedSavingThousandYen, numeratorValue: counted.numerator,
            denominatorValue: counted.denominator)
    }

    // MARK: Methods

    func countPersons(_ indicator: Indicator, _ context: Context, on connection: Connection) throws -> Counted {
        let events = indicator.events!
        let year = context.fiscalYear
        let minEvents = indicator.minEvents ?? 1
        var counted = Counted()
        counted.value = Double(
            try KPIStore.counter(.persons, events, minEvents: minEvents, fiscalYear: year, on: connection))
        let channels = try KPIStore.counters(
            .persons, events, minEvents: minEvents, fiscalYear: year, .channel, on: connection)
        counted.byChannel = UsageChannel.allCases.map { channel in
            Breakdown(
                key: channel.rawValue, label: Self.channelLabel(channel), value: channels[channel.rawValue] ?? 0,
                counted: events.channels.contains(channel))
        }
        if events.source == nil, minEvents == 1 {
            counted.byModule = try KPIStore.counters(.persons, events, fiscalYear: year, .source, on: connection)
                .sorted { $0.key < $1.key }
                .map { Breakdown(key: $0.key, label: Self.moduleLabel($0.key), value: $0.value, counted: true) }
        }
        if minEvents == 1 {
            counted.monthly = monthly(
                try KPIStore.counters(.persons, events, fiscalYear: year, .month, on: connection), context)
            counted.cumulative = try KPIStore.cumulativePersons(events, through: year, on: connection)
            let districts = try KPIStore.counters(.persons, events, fiscalYear: year, .district, on: connection)
            if !districts.isEmpty { counted.byDistrict = byDistrict(districts, context) }
        }
        return counted
    }

    func countEvents(_ indicator: Indicator, _ context: Context, on connection: Connection) throws -> Counted {
        let events = indicator.events!
        let year = context.fiscalYear
        var counted = Counted()
        counted.value = Double(try KPIStore.counter(.events, events, fiscalYear: year, on: connection))
        counted.monthly = monthly(
            try KPIStore.counters(.events, events, fiscalYear: year, .month, on: connection), context)
        let districts = try KPIStore.counters(.events, events, fiscalYear: year, .district, on: connection)
        counted.byDistrict = byDistrict(districts, context)
        counted.districtsCovered = districts.values.filter { $0 > 0 }.count
        return counted
    }

    func divide(_ indicator: Indicator, _ context: Context, on connection: Connection) throws -> Counted {
        var counted = Counted()
        let (numerator, numeratorCaveat) = try term(indicator.numerator!, context, on: connection)
        let (denominator, denominatorCaveat) = try term(indicator.denominator!, context, on: connection)
        counted.numerator = numerator
        counted.denominator = denominator
        var caveats = [numeratorCaveat, denominatorCaveat].compactMap { $0 }
        if let numerator, let denominator, denominator > 0 {
            counted.value = Double(numerator) / Double(denominator) * 100
        } else if denominator == 0 {
            caveats.append("分母が0のため、割合は算出できません。")
        }
        counted.caveat = caveats.isEmpty ? nil : caveats.joined(separator: " ")
        return counted
    }

    func term(_ term: RatioTerm, _ context: Context, on connection: Connection) throws -> (Int?, String?) {
        switch term.of {
        case .events:
            return (try KPIStore.counter(.events, term.events!, fiscalYear: context.fiscalYear, on: connection), nil)
        case .activeLineLinks:
            return (try census.activeLinks(atEndOf: context.asOfDay, on: connection), nil)
        case .entered:
            let figure = term.figure!
            if let value = context.figures[figure] { return (value, nil) }
            switch term.fallback {
            case .registeredResidents:
                let registered = try ResidentStore.countResidents(registeredBefore: context.asOfEnd, on: connection)
                return (
                    registered,
                    "\(figure.label)が未入力のため、既定値としてアカウント登録者数（\(KPIFormat.grouped(registered))人）で計算しています。"
                )
            case nil:
                return (nil, "\(figure.label)が未入力です。")
            }
        }
    }

    func readEntered(_ indicator: Indicator, _ context: Context, on connection: Connection) throws -> Counted {
        var counted = Counted()
        let figure = indicator.figure!
        counted.value = context.figures[figure].map(Double.init)
        if counted.value == nil { counted.caveat = "\(figure.label)が未入力です。" }
        if let selector = indicator.paperPagesOf {
            let pages = try KPIStore.counter(.paperPages, selector, fiscalYear: context.fiscalYear, on: connection)
            counted.paperPagesSaved = pages
            counted.estimatedSavingThousandYen = Double(pages) * catalog.paperlessUnitCostYenPerPage / 1000
        }
        return counted
    }

    func monthly(_ counts: [String: Int], _ context: Context) -> [Int] {
        context.months.map { counts[$0] ?? 0 }
    }

    /// Every district of the town in its order (0 where nothing happened), then any code it does not know.
    func byDistrict(_ counts: [String: Int], _ context: Context) -> [Breakdown] {
        var rows = context.districts.map {
            Breakdown(key: $0.code, label: $0.name, value: counts[$0.code] ?? 0, counted: true)
        }
        for (code, value) in counts.sorted(by: { $0.key < $1.key }) where !rows.contains(where: { $0.key == code }) {
            rows.append(Breakdown(key: code, label: code, value: value, counted: true))
        }
        return rows
    }

    static func channelLabel(_ channel: UsageChannel) -> String {
        switch channel {
        case .web: "ウェブ"
        case .line: "LINE"
        case .counter: "窓口（代理入力）"
        }
    }

    static func moduleLabel(_ name: String) -> String {
        switch name {
        case "applications": "オンライン申請"
        case "notices": "LINE通知"
        case "payments": "オンライン納付"
        case "certificates": "証明書"
        case "classes": "スマホ教室"
        default: name
        }
    }

    // MARK: Targets

    static func targetText(_ indicator: Indicator, _ target: Double?) -> String {
        guard let target else { return "—" }
        let number = KPIFormat.number(target, unit: indicator.unit) + indicator.unit + (indicator.atLeast ? "以上" : "")
        if let districts = indicator.targetDistricts { return "年\(number)(\(districts)地区)" }
        return number
    }

    /// R12's target up to FY2030, R17's after.
    static func target(_ indicator: Indicator, fiscalYear: Int) -> Double? {
        fiscalYear <= r12 ? (indicator.targetR12 ?? indicator.targetR17) : (indicator.targetR17 ?? indicator.targetR12)
    }

    /// The straight line from 現状値 (0 where the plan writes "—": the service did not exist) in its year to
    /// R12 in FY2030, then to R17 in FY2035, flat after.
    static func expected(_ indicator: Indicator, fiscalYear: Int) -> Double? {
        guard let r12 = indicator.targetR12 else { return indicator.targetR17 }
        let start = indicator.baseline ?? 0
        let startYear = indicator.baselineFiscalYear
        if fiscalYear <= startYear { return start }
        if fiscalYear <= Self.r12 {
            let span = Double(Self.r12 - startYear)
            return span <= 0 ? r12 : start + (r12 - start) * Double(fiscalYear - startYear) / span
        }
        guard let r17 = indicator.targetR17 else { return r12 }
        if fiscalYear >= Self.r17 { return r17 }
        return r12 + (r17 - r12) * Double(fiscalYear - Self.r12) / Double(Self.r17 - Self.r12)
    }

    /// 達成率: the share of the target reached; for a figure that should fall, the share of the planned fall
    /// from 現状値 that happened.
    static func achievement(_ indicator: Indicator, value: Double?, target: Double?) -> Double? {
        guard let value, let target else { return nil }
        switch indicator.direction {
        case .higher:
            return target > 0 ? value / target * 100 : nil
        case .lower:
            if let baseline = indicator.baseline, baseline > target {
                return (baseline - value) / (baseline - target) * 100
            }
            return value > 0 ? target / value * 100 : 100
        }
    }

    static func judge(_ indicator: Indicator, value: Double?, expected: Double?, districtsCovered: Int?) -> Judgement {
        guard indicator.hasTarget, let expected else { return .noTarget }
        guard let value else { return .notAvailable }
        let onLine = indicator.direction == .higher ? value >= expected : value <= expected
        let districtsMet = indicator.targetDistricts.map { (districtsCovered ?? 0) >= $0 } ?? true
        return onLine && districtsMet ? .onTrack : .offTrack
    }
}
