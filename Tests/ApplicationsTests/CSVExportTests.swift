import Foundation
import Testing

@testable import Applications

@Suite("CSV export")
struct CSVExportTests {
    @Test func formulaCells_areEscaped_andQuotingFollowsRFC4180() {
        #expect(CSVExport.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVExport.cell("+81") == "'+81")
        #expect(CSVExport.cell("-1") == "'-1")
        #expect(CSVExport.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVExport.cell("\tx") == "'\tx")
        #expect(CSVExport.cell("平取, 本町") == "\"平取, 本町\"")
        #expect(CSVExport.cell("1行目\n2行目") == "\"1行目\n2行目\"")
        #expect(CSVExport.cell("普通") == "普通")
    }

    @Test func utf8Document_startsWithBOM_andUsesCRLF() {
        let data = CSVExport.document([["受付番号", "状態"], ["ABCD-2345", "=1+1"]], encoding: .utf8BOM)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text == "受付番号,状態\r\nABCD-2345,'=1+1\r\n")
    }

    @Test func shiftJISDocument_roundTrips() {
        let data = CSVExport.document([["水道使用開始届", "平取町"]], encoding: .shiftJIS)
        #expect(String(data: data, encoding: .shiftJIS) == "水道使用開始届,平取町\r\n")
        #expect(Array(data.prefix(2)) != [0xEF, 0xBB])
    }
}
