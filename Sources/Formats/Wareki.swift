import Foundation

/// Dates in the Japanese calendar (和暦), as forms, certificates and official letters write them.
public enum Wareki {
    /// `2026-04-01` → `令和8年4月1日`, `2019-05-01` → `令和元年5月1日`, `2019-04-30` → `平成31年4月30日`;
    /// nil for a date before 1873 or text that is not a real date.
    public static func date(_ calendarDate: String) -> String? {
        guard let (era, year) = JapaneseEra.year(of: calendarDate), let day = CalendarDate.components(calendarDate)
        else { return nil }
        return "\(era.name)\(JapaneseEra.yearNumeral(year))年\(day.month)月\(day.day)日"
    }

    /// The calendar day in Japan at `instant`, in the Japanese calendar.
    public static func date(at instant: Date) -> String? { date(CalendarDate.today(at: instant)) }

    /// `2026-04-01` → `令和8年`.
    public static func year(_ calendarDate: String) -> String? {
        guard let (era, year) = JapaneseEra.year(of: calendarDate) else { return nil }
        return "\(era.name)\(JapaneseEra.yearNumeral(year))年"
    }
}
