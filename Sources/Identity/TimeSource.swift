import Foundation

/// Where Identity reads "now". Session timeouts, throttling delays and reset-code expiry all depend on it,
/// and tests replace it with a manual clock so they can step past a 30-minute timeout without sleeping.
/// Named `TimeSource` so it does not clash with the standard library's `Clock`.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// The wall clock: what production uses.
public struct SystemTimeSource: TimeSource {
    public init() {}

    public func now() -> Date { Date() }
}

/// Times as residents and staff read them: Japan Standard Time, which has no daylight saving, so a fixed
/// +9 hours is exact and needs no time-zone database or non-Sendable formatter.
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
    public static func formatCalendarDate(_ text: String) -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            return text
        }
        return "\(year)年\(month)月\(day)日"
    }

    /// The instant at which the given JST calendar day starts, for date filters (`2026-04-01` → 2026-03-31T15:00Z).
    public static func startOfDay(_ text: String) -> Date? {
        guard let utcMidnight = UTCTimestampParsing.date(fromCalendarDate: text) else { return nil }
        return utcMidnight.addingTimeInterval(-offset)
    }

    static let offset: TimeInterval = 9 * 3600

    static func components(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        var seconds = time_t(Int64((date.timeIntervalSince1970 + offset).rounded(.down)))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min)
        )
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// Calendar dates (`YYYY-MM-DD`) as midnight UTC, through the same C calls the Store uses.
enum UTCTimestampParsing {
    static func date(fromCalendarDate text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        let seconds = timegm(&fields)
        // timegm normalises 2月30日 into March; a date that moved was not a real date.
        guard Int(fields.tm_mday) == day, Int(fields.tm_mon) == month - 1 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }
}
