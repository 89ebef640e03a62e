import Foundation

/// The one text form of an instant in the database: `YYYY-MM-DDTHH:MM:SS.mmmZ`, always UTC.
///
/// Hand-written rather than `ISO8601DateFormatter` because that class is neither `Sendable` nor cheap, and
/// every row written carries a timestamp.
public enum UTCTimestamp {
    public static func format(_ date: Date) -> String {
        let millisecondsSinceEpoch = (date.timeIntervalSince1970 * 1000).rounded(.down)
        var seconds = time_t(Int64((millisecondsSinceEpoch / 1000).rounded(.down)))
        let milliseconds = Int(millisecondsSinceEpoch - Double(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Digit by digit, straight into the string's storage: String(format:) was the largest single cost of
        // a durable POST in the profile, and a temporary byte array the next.
        return String(unsafeUninitializedCapacity: 24) { bytes in
            var count = 0
            func append(_ value: Int, width: Int, then separator: UInt8) {
                var scale = 1
                for _ in 1..<width { scale *= 10 }
                while scale > 0 {
                    bytes[count] = UInt8(48 + (value / scale) % 10)
                    count += 1
                    scale /= 10
                }
                bytes[count] = separator
                count += 1
            }
            append(Int(parts.tm_year) + 1900, width: 4, then: 45)
            append(Int(parts.tm_mon) + 1, width: 2, then: 45)
            append(Int(parts.tm_mday), width: 2, then: 84)
            append(Int(parts.tm_hour), width: 2, then: 58)
            append(Int(parts.tm_min), width: 2, then: 58)
            append(Int(parts.tm_sec), width: 2, then: 46)
            append(milliseconds, width: 3, then: 90)
            return count
        }
    }

    /// Accepts the stored form, with or without milliseconds. Anything else is nil.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 || bytes.count == 24, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds = 0
        if bytes.count == 24 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = number(20..<23) else { return nil }
            milliseconds = fraction
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
    }
}
