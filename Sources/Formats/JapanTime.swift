import Foundation

/// Times as residents and staff read them: Japan Standard Time. Japan has kept UTC+9 without daylight
/// saving since 1951, so a fixed +9 hours is exact for every time the service stores.
public enum JapanTime {
    /// `2026年4月1日 9:05`
    public static func format(_ date: Date) -> String {
        let parts = components(date)
        return dateTimeText(
            year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute)
    }

    /// A stored UTC timestamp (`2026-04-01T00:05:00.000Z`, the Store's one text form, with or without the
    /// milliseconds) as `format` shows it, straight from the text: a page listing rows need not parse each
    /// into a `Date` (timegm) only to take it apart again. Text in any other form is shown as stored.
    public static func format(storedUTC text: String) -> String {
        var text = text
        let seconds = text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 20 || bytes.count == 24, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54,
                bytes[13] == 0x3A, bytes[16] == 0x3A, bytes[bytes.count - 1] == 0x5A
            else { return nil }
            func number(_ start: Int, _ count: Int) -> Int64? {
                var value: Int64 = 0
                for index in start..<(start + count) {
                    let digit = bytes[index] &- 48
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
            else { return nil }
            return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        }
        guard let seconds else { return text }
        let parts = civilFields(secondsSinceEpoch: seconds + Int64(offset))
        return dateTimeText(
            year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute)
    }

    /// `2026年4月1日 9:05`, digit by digit into the string's storage: interpolating five numbers cost more
    /// than the rest of a history line (callgrind, マイページ).
    static func dateTimeText(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> String {
        guard year >= 0 else { return "\(year)年\(month)月\(day)日 \(hour):\(twoDigits(minute))" }
        // 年, 月, 日 are three UTF-8 bytes each; 19 digits are the most an Int has.
        return String(unsafeUninitializedCapacity: 48) { bytes in
            var count = 0
            func digits(_ value: Int, minimumWidth: Int) {
                var scale = 1
                var width = 1
                while scale * 10 <= value || width < minimumWidth {
                    scale *= 10
                    width += 1
                }
                while scale > 0 {
                    bytes[count] = UInt8(48 + (value / scale) % 10)
                    count += 1
                    scale /= 10
                }
            }
            func literal(_ text: StaticString) {
                for index in 0..<text.utf8CodeUnitCount {
                    bytes[count] = text.utf8Start[index]
                    count += 1
                }
            }
            digits(year, minimumWidth: 1)
            literal("年")
            digits(month, minimumWidth: 1)
            literal("月")
            digits(day, minimumWidth: 1)
            literal("日 ")
            digits(hour, minimumWidth: 1)
            literal(":")
            digits(minute, minimumWidth: 2)
            return count
        }
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
