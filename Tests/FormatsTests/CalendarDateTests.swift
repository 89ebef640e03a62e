import Formats
import Foundation
import Testing

@Suite("Calendar dates and Japan time")
struct CalendarDateTests {
    /// 2026-04-01T00:00:00Z, 09:00 in Japan.
    static let april1 = Date(timeIntervalSince1970: 1_775_001_600)

    @Test(
        arguments: [
            ("2026-04-01", "2026-04-01"),
            ("2026/4/1", "2026-04-01"),
            ("2026.04.01", "2026-04-01"),
            ("２０２６年４月１日", "2026-04-01"),
            ("２０２６／６／１０", "2026-06-10"),
            ("2026ー6ー10", "2026-06-10"),
            (" 2024-02-29 ", "2024-02-29"),
        ])
    func parse_acceptsTheWaysResidentsWriteADate(input: String, expected: String) {
        #expect(CalendarDate.parse(input) == expected)
    }

    @Test(arguments: [
        "", "2026-02-30", "2025-02-29", "2026-13-01", "2026-04", "1899-12-31", "3000-01-01", "令和8年4月1日", "+2026-4-1",
    ])
    func parse_isNilForAnythingThatIsNotARealDate(input: String) {
        #expect(CalendarDate.parse(input) == nil)
    }

    @Test func today_andAdding_countJapaneseCalendarDays() {
        // 2026-04-01T14:59:59Z is still April 1st in Japan; one second later it is April 2nd.
        #expect(CalendarDate.today(at: Self.april1.addingTimeInterval(15 * 3600 - 1)) == "2026-04-01")
        #expect(CalendarDate.today(at: Self.april1.addingTimeInterval(15 * 3600)) == "2026-04-02")
        #expect(CalendarDate.today(at: Self.april1.addingTimeInterval(-9 * 3600)) == "2026-04-01")
        #expect(CalendarDate.today(at: Self.april1.addingTimeInterval(-9 * 3600 - 1)) == "2026-03-31")
        #expect(CalendarDate.adding(days: 7, to: "2026-03-28") == "2026-04-04")
        #expect(CalendarDate.adding(days: -1, to: "2024-03-01") == "2024-02-29")
        #expect(CalendarDate.adding(days: 1, to: "not a date") == "not a date")
    }

    @Test func utcMidnight_isStrict() {
        #expect(CalendarDate.utcMidnight("2026-04-01") == Self.april1)
        #expect(CalendarDate.utcMidnight("2026-4-1") == nil)
        #expect(CalendarDate.utcMidnight("2026-02-30") == nil)
        #expect(CalendarDate.utcMidnight("2026-+4-01") == nil, "Int() takes a sign; a date does not")
        #expect(JapanTime.startOfDay("2026-04-0１") == nil)
    }

    @Test func japanese_showsAStoredDate_andAnythingElseAsStored() {
        #expect(CalendarDate.japanese("1950-04-01") == "1950年4月1日")
        #expect(JapanTime.formatCalendarDate("2026-12-31") == "2026年12月31日")
        #expect(JapanTime.formatCalendarDate("unknown") == "unknown")
    }

    @Test func japanTime_isUTCPlusNine() {
        #expect(JapanTime.format(Date(timeIntervalSince1970: 1_775_001_600)) == "2026年4月1日 9:00")
        #expect(JapanTime.startOfDay("2026-04-01") == Date(timeIntervalSince1970: 1_775_001_600 - 9 * 3600))
        #expect(JapanTime.startOfDay("2026-02-30") == nil)
    }

    @Test func japanTime_formats() {
        let evening = Self.april1.addingTimeInterval(14 * 3600 + 5 * 60 + 7)  // 23:05:07 JST
        #expect(JapanTime.format(evening) == "2026年4月1日 23:05")
        #expect(JapanTime.formatDate(evening) == "2026年4月1日")
        #expect(JapanTime.timestamp(evening) == "2026-04-01 23:05:07")
        #expect(JapanTime.timestamp(Self.april1.addingTimeInterval(-9 * 3600)) == "2026-04-01 00:00:00")
        #expect(JapanTime.format(Self.april1.addingTimeInterval(-9 * 3600 + 0.999)) == "2026年4月1日 0:00")
    }

    /// The hand-written calendar arithmetic against Foundation's Asia/Tokyo calendar, over instants from 1970 to
    /// 2100 (leap days, year ends, the 15:00 UTC day change), and the stored-text path against the `Date` one.
    @Test func japanTime_matchesFoundationsCalendar_fromADateAndFromStoredText() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        iso.timeZone = TimeZone(identifier: "UTC")
        var instants: [Double] = [0, 951_782_399, 951_782_400, 1_709_218_800, 1_767_193_200, 4_102_412_400]
        var state: UInt64 = 0x5eed
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            instants.append(Double((state >> 33) % 4_102_444_800) + 0.25)
        }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
            let expected =
                "\(parts.year!)年\(parts.month!)月\(parts.day!)日 \(parts.hour!):"
                + (parts.minute! < 10 ? "0" : "") + "\(parts.minute!)"
            #expect(JapanTime.format(date) == expected, "\(seconds)")
            let stored = iso.string(from: date)
            #expect(JapanTime.format(storedUTC: stored) == expected, "\(stored)")
            #expect(JapanTime.format(storedUTC: String(stored.prefix(19)) + "Z") == expected, "without milliseconds")
        }
        #expect(JapanTime.format(storedUTC: "2026-04-01") == "2026-04-01", "another form is shown as stored")
        #expect(JapanTime.format(storedUTC: "2026-13-01T00:00:00Z") == "2026-13-01T00:00:00Z")
    }
}
