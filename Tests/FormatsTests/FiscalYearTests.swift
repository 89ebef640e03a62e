import Formats
import Foundation
import Testing

@Suite("Fiscal year (年度)")
struct FiscalYearTests {
    @Test func fiscalYear_runsAprilToMarch() {
        // 2027-03-31 23:59 JST is FY2026; 2027-04-01 00:00 JST is FY2027.
        #expect(FiscalYear(containing: Date(timeIntervalSince1970: 1_806_505_140)).startYear == 2026)
        #expect(FiscalYear(containing: Date(timeIntervalSince1970: 1_806_505_200)).startYear == 2027)
        // 2026-03-31T15:00:00Z is already April 1st in Japan, though still March in UTC.
        #expect(FiscalYear(containing: Date(timeIntervalSince1970: 1_774_969_200)).startYear == 2026)
    }

    @Test(
        arguments: [
            ("2026-04-01", 2026), ("2027-03-31", 2026), ("2027-01-01", 2026), ("2026-03-31", 2025),
            ("2024-02-29", 2023),
        ])
    func fiscalYear_ofACalendarDate(date: String, expected: Int) {
        #expect(FiscalYear(containing: date)?.startYear == expected)
    }

    @Test func fiscalYear_ofAnythingElse_isNil() {
        #expect(FiscalYear(containing: "2026-02-30") == nil)
        #expect(FiscalYear(containing: "2026/04/01") == nil)
    }

    @Test func firstAndLastDay() {
        #expect(FiscalYear(2030).firstDay == "2030-04-01")
        #expect(FiscalYear(2030).lastDay == "2031-03-31")
        #expect(FiscalYear(2025) < FiscalYear(2026))
    }

    @Test(
        arguments: [
            (2030, "令和12年度", "R12"),
            (2026, "令和8年度", "R8"),
            (2020, "令和2年度", "R2"),
            // By convention: 2019-04-01 was still 平成31年, but FY2019 is called 令和元年度.
            (2019, "令和元年度", "R1"),
            (2018, "平成30年度", "H30"),
            (1989, "平成元年度", "H1"),
            // No such convention for 1988: 平成 began in its January, and it stayed 昭和63年度.
            (1988, "昭和63年度", "S63"),
            (1926, "大正15年度", "T15"),
            (1873, "明治6年度", "M6"),
        ])
    func names_followTheEraOfApril1st(startYear: Int, japanese: String, short: String) {
        #expect(FiscalYear(startYear).japaneseName == japanese)
        #expect(FiscalYear(startYear).shortName == short)
    }

    @Test func names_beforeTheGregorianCalendar_areNil() {
        #expect(FiscalYear(1872).japaneseName == nil)
        #expect(FiscalYear(1872).shortName == nil)
    }
}
