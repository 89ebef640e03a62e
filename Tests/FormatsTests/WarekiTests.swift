import Formats
import Foundation
import Testing

@Suite("Japanese calendar (和暦)")
struct WarekiTests {
    @Test(
        arguments: [
            ("2026-04-01", "令和8年4月1日"),
            ("2030-04-01", "令和12年4月1日"),
            ("2019-05-01", "令和元年5月1日"),
            ("2019-04-30", "平成31年4月30日"),
            ("1989-01-08", "平成元年1月8日"),
            ("1989-01-07", "昭和64年1月7日"),
            ("1950-04-01", "昭和25年4月1日"),
            ("1926-12-25", "昭和元年12月25日"),
            ("1926-12-24", "大正15年12月24日"),
            ("1912-07-30", "大正元年7月30日"),
            ("1912-07-29", "明治45年7月29日"),
            ("1873-01-01", "明治6年1月1日"),
        ])
    func date_namesTheEraAndItsYear(input: String, expected: String) {
        #expect(Wareki.date(input) == expected)
    }

    @Test(arguments: ["1872-12-31", "2026-02-30", "2026-4-1", "", "令和8年4月1日"])
    func date_isNilBeforeTheGregorianCalendarOrForAnythingElse(input: String) {
        #expect(Wareki.date(input) == nil)
        #expect(Wareki.year(input) == nil)
    }

    @Test func year_andInstants() {
        #expect(Wareki.year("2019-12-31") == "令和元年")
        #expect(Wareki.year("2026-01-01") == "令和8年")
        // 2019-04-30T15:00:00Z is the first instant of 令和 in Japan.
        #expect(Wareki.date(at: Date(timeIntervalSince1970: 1_556_636_400)) == "令和元年5月1日")
        #expect(Wareki.date(at: Date(timeIntervalSince1970: 1_556_636_399)) == "平成31年4月30日")
    }

    @Test func eras_areNewestFirst_withTheirInitials() {
        #expect(JapaneseEra.all.map(\.name) == ["令和", "平成", "昭和", "大正", "明治"])
        #expect(JapaneseEra.all.map(\.initial) == ["R", "H", "S", "T", "M"])
        #expect(JapaneseEra.year(of: "2026-04-01")?.era == .reiwa)
        #expect(JapaneseEra.year(of: "2026-04-01")?.year == 8)
        #expect(JapaneseEra.yearNumeral(1) == "元")
        #expect(JapaneseEra.yearNumeral(12) == "12")
    }
}
