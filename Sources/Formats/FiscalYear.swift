import Foundation

/// A Japanese fiscal year (年度): April 1 to March 31, by the calendar day in Japan. Named by the Gregorian
/// year its April falls in, as the `usage_events.fiscal_year` column stores it: FY2030 runs from 2030-04-01
/// to 2031-03-31 and is 令和12年度.
public struct FiscalYear: Sendable, Hashable, Comparable {
    public let startYear: Int

    public init(_ startYear: Int) { self.startYear = startYear }

    /// The fiscal year an instant falls in; 2027-03-31 23:59 JST is still FY2026.
    public init(containing instant: Date) {
        let day = JapanTime.components(instant)
        self.init(day.month >= 4 ? day.year : day.year - 1)
    }

    /// The fiscal year of a calendar date (`YYYY-MM-DD`), or nil when the text is not a real date.
    public init?(containing calendarDate: String) {
        guard CalendarDate.utcMidnight(calendarDate) != nil, let day = CalendarDate.components(calendarDate) else {
            return nil
        }
        self.init(day.month >= 4 ? day.year : day.year - 1)
    }

    public var firstDay: String { CalendarDate.text(year: startYear, month: 4, day: 1) }
    public var lastDay: String { CalendarDate.text(year: startYear + 1, month: 3, day: 31) }

    /// A fiscal year takes the era of its April 1st, with one exception by convention: FY2019 began in
    /// 平成31年 but is called 令和元年度, as the government has called it since the era changed on May 1st.
    /// (FY1988 stays 昭和63年度 although 平成 began in its January: no such convention was made then.)
    /// Nil before FY1873, when Japan's year did not yet follow the Gregorian calendar.
    public var era: (era: JapaneseEra, year: Int)? {
        if startYear == 2019 { return (.reiwa, 1) }
        return JapaneseEra.year(of: firstDay)
    }

    /// `令和12年度`; `令和元年度` for FY2019.
    public var japaneseName: String? {
        era.map { "\($0.era.name)\(JapaneseEra.yearNumeral($0.year))年度" }
    }

    /// `R12`; `R1` for FY2019: the short form writes the first year as 1.
    public var shortName: String? { era.map { "\($0.era.initial)\($0.year)" } }

    public static func < (left: FiscalYear, right: FiscalYear) -> Bool { left.startYear < right.startYear }
}
