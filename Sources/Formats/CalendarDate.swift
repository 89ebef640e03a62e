import Foundation

/// Calendar dates (`YYYY-MM-DD`) in Japan Standard Time, which has no daylight saving. A date is carried as
/// its text and, for arithmetic, as its midnight in UTC, through the same C calls the Store uses.
public enum CalendarDate {
    /// `2026-04-01`, `2026/4/1`, `２０２６年４月１日` → `2026-04-01`; nil for anything that is not a real date.
    public static func parse(_ text: String) -> String? {
        let halfwidth = CharacterWidth.halfwidth(text).trimmingCharacters(in: .whitespaces)
            .replacingOccurrences(of: "年", with: "-").replacingOccurrences(of: "月", with: "-")
            .replacingOccurrences(of: "日", with: "")
        let parts = halfwidth.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard parts.count == 3, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1900...2999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let text = self.text(year: year, month: month, day: day)
        guard utcMidnight(text) != nil else { return nil }
        return text
    }

    /// `2026-04-01`, zero-padded.
    public static func text(year: Int, month: Int, day: Int) -> String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// Today's date in Japan at `instant`.
    public static func today(at instant: Date) -> String {
        let day = JapanTime.components(instant)
        return text(year: day.year, month: day.month, day: day.day)
    }

    public static func adding(days: Int, to date: String) -> String {
        guard let midnight = utcMidnight(date) else { return date }
        return format(midnight.addingTimeInterval(Double(days) * 86_400))
    }

    /// `2026年4月1日`; anything that is not `YYYY-MM-DD` is shown as stored.
    public static func japanese(_ date: String) -> String {
        guard let day = components(date) else { return date }
        return "\(day.year)年\(day.month)月\(day.day)日"
    }

    /// The date's midnight in UTC, or nil unless the text is exactly `YYYY-MM-DD` and a real date.
    public static func utcMidnight(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }), let year = Int(parts[0]),
            let month = Int(parts[1]), let day = Int(parts[2]),
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

    /// Year, month and day of a stored date, loosely: display code shows what it can.
    static func components(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            return nil
        }
        return (year, month, day)
    }

    static func format(_ utcMidnight: Date) -> String {
        let day = civilTime(utcMidnight, offset: 0)
        return text(year: day.year, month: day.month, day: day.day)
    }
}

/// The wall-clock fields of an instant at a fixed offset from UTC, by calendar arithmetic: thread-safe, no
/// time-zone database or non-Sendable formatter, and no gmtime_r, which takes glibc's time-zone lock and
/// re-reads TZ on every call.
func civilTime(_ date: Date, offset: TimeInterval) -> (
    year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
) {
    civilFields(secondsSinceEpoch: Int64((date.timeIntervalSince1970 + offset).rounded(.down)))
}

func civilFields(secondsSinceEpoch seconds: Int64) -> (
    year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
) {
    var days = seconds / 86_400
    var secondOfDay = seconds % 86_400
    if secondOfDay < 0 {
        secondOfDay += 86_400
        days -= 1
    }
    // Howard Hinnant's civil_from_days (proleptic Gregorian, days since 1970-01-01).
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return (
        Int(year), Int(month), Int(day), Int(secondOfDay / 3600), Int(secondOfDay % 3600 / 60),
        Int(secondOfDay % 60)
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil); a day past the month's
/// end runs on into the next month, as timegm's does.
func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let year = month <= 2 ? year - 1 : year
    let era = (year >= 0 ? year : year - 399) / 400
    let yearOfEra = year - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}
