import Formats
import Foundation
import Testing

@Suite("CSV writer")
struct CSVWriterTests {
    @Test func formulaCells_areEscaped_andQuotingFollowsRFC4180() {
        #expect(CSVWriter.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVWriter.cell("+81") == "'+81")
        #expect(CSVWriter.cell("-1") == "'-1")
        #expect(CSVWriter.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.cell("\tx") == "'\tx")
        #expect(CSVWriter.cell("平取, 本町") == "\"平取, 本町\"")
        #expect(CSVWriter.cell("1行目\n2行目") == "\"1行目\n2行目\"")
        #expect(CSVWriter.cell("普通") == "普通")
    }

    @Test(
        arguments: [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@A1", "'@A1"),
            ("\tA1", "'\tA1"),
            // CR forces quotes as well; "\r\n" is one Character but its first scalar is CR.
            ("\rA1", "\"'\rA1\""),
            ("\r\nA1", "\"'\r\nA1\""),
            ("=", "'="),
        ])
    func formulaGuard_coversEveryTriggerCharacter(input: String, expected: String) {
        #expect(CSVWriter.cell(input) == expected)
    }

    @Test(
        arguments: [
            // Only the first character triggers; full-width look-alikes are not formulas to Excel.
            ("1+1", "1+1"), ("a=b", "a=b"), (" =1", " =1"), ("＝1", "＝1"), ("－1", "－1"), ("ー", "ー"), ("'=1", "'=1"),
            ("", ""),
        ])
    func formulaGuard_leavesOtherCellsAlone(input: String, expected: String) {
        #expect(CSVWriter.cell(input) == expected)
    }

    @Test func quoting_doublesQuotes_andWrapsCommasAndLineBreaks() {
        #expect(CSVWriter.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.cell("a\rb") == "\"a\rb\"")
        #expect(CSVWriter.line(["a", "b,c", ""]) == "a,\"b,c\",\r\n")
        #expect(CSVWriter.line([]) == "\r\n")
    }

    @Test func utf8Document_startsWithBOM_andUsesCRLF() {
        let data = CSVWriter.document([["受付番号", "状態"], ["ABCD-2345", "=1+1"]], encoding: .utf8BOM)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text == "受付番号,状態\r\nABCD-2345,'=1+1\r\n")
    }

    @Test func utf8Document_isExact_andAnEmptyOneIsTheBOM() {
        let data = CSVWriter.document([["🍣", "〜", "é"]], encoding: .utf8BOM)
        #expect(data == Data([0xEF, 0xBB, 0xBF]) + Data("🍣,〜,é\r\n".utf8))
        #expect(CSVWriter(encoding: .utf8BOM).data == Data([0xEF, 0xBB, 0xBF]))
        #expect(CSVWriter(encoding: .shiftJIS).data.isEmpty)
    }

    @Test func shiftJISDocument_roundTrips() {
        let data = CSVWriter.document([["水道使用開始届", "平取町"]], encoding: .shiftJIS)
        #expect(String(data: data, encoding: .shiftJIS) == "水道使用開始届,平取町\r\n")
        #expect(Array(data.prefix(2)) != [0xEF, 0xBB])
    }

    @Test(
        arguments: [
            // Code page 932, not JIS X 0208 alone: NEC and IBM extensions are kept.
            ("①", [0x87, 0x40]), ("㈱", [0x87, 0x8A]), ("髙", [0xFB, 0xFC]), ("ⅰ", [0xFA, 0x40]),
            ("～", [0x81, 0x60]), ("－", [0x81, 0x7C]), ("―", [0x81, 0x5C]),
            ("ｶﾅ", [0xB6, 0xC5]), ("ー", [0x81, 0x5B]), ("a-b", [0x61, 0x2D, 0x62]),
        ] as [(String, [UInt8])])
    func shiftJIS_isCodePage932(text: String, bytes: [UInt8]) {
        #expect(Array(CSVWriter.document([[text]], encoding: .shiftJIS)) == bytes + [0x0D, 0x0A])
    }

    @Test(
        arguments: [
            ("🍣", "?"), ("a🍣b", "a?b"), ("〜", "?"), ("9時〜17時", "9時?17時"), ("−", "?"), ("é", "?"),
            ("¥", "?"),
        ])
    func shiftJIS_writesEachScalarCodePage932LacksAsAQuestionMark(text: String, expected: String) {
        let data = CSVWriter.document([[text]], encoding: .shiftJIS)
        #expect(String(data: data, encoding: .shiftJIS) == expected + "\r\n")
    }

    @Test func appending_rowByRow_isTheSameAsOneDocument() {
        let rows = [["id", "name"], ["1", "=cmd"], ["2", "平取, 本町"], ["3", "🍣"]]
        for encoding in CSVWriter.Encoding.allCases {
            var writer = CSVWriter(encoding: encoding)
            for row in rows { writer.append(row) }
            #expect(writer.data == CSVWriter.document(rows, encoding: encoding))
        }
        #expect(CSVWriter.Encoding(rawValue: "utf8") == .utf8BOM)
        #expect(CSVWriter.Encoding(rawValue: "sjis") == .shiftJIS)
    }
}
