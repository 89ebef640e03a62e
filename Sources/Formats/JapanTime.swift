import Foundation

/// Times as residents and staff read them: Japan Standard Time. Japan has kept UTC+9 without daylight
/// saving since 1951, so a fixed +9 hours is exact for every time the service stores.
public enum JapanTime {
    /// `2026年4月1日 9:05`
    public static func format(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.year)年\(parts.month)月\(parts.day)日 \(parts.hour):\(twoDigits(parts.minute))"
    }

    /// `2026年4月1日`
    public static func formatDate(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.year)年\(parts.month)月\(parts.day)日"
    }

    /// A stored calendar date (`YYYY-MM-DD`) as `1950年4月1日`; anything else is shown as stored.
    public static func formatCalendarDate(_ text: String) -> String { CalendarDate.japanese(text) }

    /// `2026-04-01 09:00:00`: sortable wall-clock text for exports read by people and spreadsheets.
    public static func timestamp(_ date: Date) -> String {
        let parts = components(date)
        return CalendarDate.text(year: parts.year, month: parts.month, day: parts.day)
            + String(format: " %02d:%02d:%02d", parts.hour, parts.minute, parts.second)
    }

    /// The instant at which the given JST calendar day starts, for date filters (`2026-04-01` → 2026-03-31T15:00Z).
    public static func startOfDay(_ text: String) -> Date? {
        guard let utcMidnight = CalendarDate.utcMidnight(text) else { return nil }
        return utcMidnight.addingTimeInterval(-offset)
    }

    static let offset: TimeInterval = 9 * 3600

    static func components(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        civilTime(date, offset: offset)
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
