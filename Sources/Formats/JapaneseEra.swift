/// The eras (元号) of the Japanese calendar since Japan adopted the Gregorian calendar on 1873-01-01
/// (明治6年1月1日). Earlier dates were lunar-calendar dates in Japan, so they are not given an era here.
public struct JapaneseEra: Sendable, Equatable {
    /// `令和`
    public let name: String
    /// `R`, as in `R8` on forms and in file names.
    public let initial: String
    /// The era's first day as `YYYY-MM-DD`; for 明治, the first Gregorian day.
    public let firstDay: String
    /// The Gregorian year of the era's 元年.
    public let firstYear: Int

    public static let meiji = JapaneseEra(name: "明治", initial: "M", firstDay: "1873-01-01", firstYear: 1868)
    public static let taisho = JapaneseEra(name: "大正", initial: "T", firstDay: "1912-07-30", firstYear: 1912)
    public static let showa = JapaneseEra(name: "昭和", initial: "S", firstDay: "1926-12-25", firstYear: 1926)
    public static let heisei = JapaneseEra(name: "平成", initial: "H", firstDay: "1989-01-08", firstYear: 1989)
    public static let reiwa = JapaneseEra(name: "令和", initial: "R", firstDay: "2019-05-01", firstYear: 2019)

    /// Newest first.
    public static let all: [JapaneseEra] = [.reiwa, .heisei, .showa, .taisho, .meiji]

    /// The era a date (`YYYY-MM-DD`) falls in, and its year within the era (1 for 元年); nil for a date
    /// before 1873 or text that is not a real date.
    public static func year(of date: String) -> (era: JapaneseEra, year: Int)? {
        guard CalendarDate.utcMidnight(date) != nil,
            // Fixed-width dates compare as text.
            let era = all.first(where: { $0.firstDay <= date }),
            let year = CalendarDate.components(date)?.year
        else { return nil }
        return (era, year - era.firstYear + 1)
    }

    /// `元` for the first year of an era, the number otherwise: `令和元年`, `令和8年`.
    public static func yearNumeral(_ year: Int) -> String { year == 1 ? "元" : String(year) }
}
