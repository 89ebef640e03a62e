import Formats
import Foundation
import TestSupport
import Testing

@Suite("QR code: qrencode draws the same modules, zbarimg reads the text back")
struct QRCodeTests {
    static let levels = QRCode.ErrorCorrection.allCases

    static func letter(_ level: QRCode.ErrorCorrection) -> String {
        switch level {
        case .low: "L"
        case .medium: "M"
        case .quartile: "Q"
        case .high: "H"
        }
    }

    /// A counter ticket's follow URL (issue #13) cut or padded to exactly `byteCount` bytes.
    static func ticketURL(byteCount: Int) -> String {
        var url = "https://madoguchi.example/tickets/AbC123"
        let filler = Array("/Zq8Lm3Np0Rs5Tu-Vw7_Xy2.Kb9Jd4~Hf6")
        var index = 0
        while url.utf8.count < byteCount {
            url.append(filler[index % filler.count])
            index += 1
        }
        return String(url.prefix(byteCount))
    }

    static let japaneseTexts = [
        "平取町",
        "証明書の受付番号 A-012 をお呼びしました。窓口３番へお越しください。",
        "びらとり健康教室（振内会場）: 令和8年12月2日 午前10時から。持ち物は上履きと飲み物です。"
            + "申し込みは役場の窓口か、LINE の公式アカウントから。定員は30名、先着順です。ご家族の方もどうぞ。",
    ]

    // MARK: The oracle

    /// Every version at every level, each filled to the last byte it holds: any slip in the block tables, the
    /// Reed–Solomon codewords, the interleaving, the placement or the mask scoring shows as differing modules.
    @Test(arguments: levels)
    func everyVersion_isModuleForModule_whatQrencodeDraws_atCapacity(level: QRCode.ErrorCorrection) throws {
        for version in 1...40 {
            let text = Self.ticketURL(byteCount: QRCode.maximumByteCount(version: version, correction: level))
            let code = try QRCode(text: text, correction: level)
            #expect(code.version == version, "\(text.utf8.count) bytes at \(Self.letter(level))")
            try expectSameModules(code, text: text, level: level, version: version)
        }
    }

    /// One byte past a version's capacity needs the next version, as qrencode choosing freely agrees. The
    /// capacities come from every version; the encoder's own choice is checked at the edges where the character
    /// count grows to 16 bits (9 → 10) and the version information starts (6 → 7), since a debug-build encode
    /// of each costs more than all of qrencode's runs.
    @Test(arguments: levels)
    func oneBytePastCapacity_takesTheNextVersion_asQrencodeChooses(level: QRCode.ErrorCorrection) throws {
        for version in 1..<40 {
            let text = Self.ticketURL(byteCount: QRCode.maximumByteCount(version: version, correction: level) + 1)
            let reference = try QRCodeTools.qrencodeMatrix(text, level: Self.letter(level))
            #expect(reference.count == 4 * (version + 1) + 17, "\(text.utf8.count) bytes at \(Self.letter(level))")
            if [1, 6, 9, 10, 26, 39].contains(version) {
                #expect(try QRCode(text: text, correction: level).version == version + 1)
            }
        }
    }

    @Test(arguments: levels)
    func japaneseText_asUTF8Bytes_isWhatQrencodeDraws(level: QRCode.ErrorCorrection) throws {
        for text in Self.japaneseTexts {
            let code = try QRCode(text: text, correction: level)
            try expectSameModules(code, text: text, level: level, version: code.version)
        }
        // The long one needs version 7 or more even at L, so its version information is compared too.
        #expect(try QRCode(text: Self.japaneseTexts[2], correction: level).version >= 7)
    }

    /// Texts whose mask turns on a detail of the penalty rules the standard leaves open, found by comparing 1,500
    /// ticket URLs with qrencode under each other reading: the first two need the dark share rounded to a whole
    /// percent before it is rated in 5 % steps, the third a 1:1:3:1:1 pattern counted at every scale, not only
    /// at one module a unit.
    @Test(arguments: [
        "https://madoguchi.example/tickets/1so1fxxxxxxxxxxxxx", "https://madoguchi.example/tickets/3ig7bxxxxxxxxx",
        "https://madoguchi.example/tickets/3wpgzx",
    ])
    func maskChoice_readsTheOpenDetailsOfThePenaltyRules_asQrencodeDoes(text: String) throws {
        let code = try QRCode(text: text, correction: .medium)
        try expectSameModules(code, text: text, level: .medium, version: code.version)
    }

    func expectSameModules(_ code: QRCode, text: String, level: QRCode.ErrorCorrection, version: Int) throws {
        let reference = try QRCodeTools.qrencodeMatrix(text, level: Self.letter(level), version: version)
        try #require(reference.count == code.size && reference.allSatisfy { $0.count == code.size })
        var differing = 0
        for y in 0..<code.size {
            for x in 0..<code.size where reference[y][x] != code.isDark(x: x, y: y) { differing += 1 }
        }
        let referenceMask = FormatInformation.read(size: code.size) { reference[$1][$0] }?.mask
        #expect(
            differing == 0,
            """
            version \(version) at \(Self.letter(level)), \(text.utf8.count) bytes: \(differing) modules differ; \
            mask \(code.mask) here, \(referenceMask.map(String.init) ?? "unreadable") in qrencode's
            """)
    }

    // MARK: A reader reads it back

    @Test(arguments: levels)
    func zbarimg_readsBackTheExactText_asciiURLsAndJapanese(level: QRCode.ErrorCorrection) throws {
        let texts = [40, 100, 300, 1000].map(Self.ticketURL(byteCount:)) + Self.japaneseTexts
        for text in texts {
            let code = try QRCode(text: text, correction: level)
            let decoded = try QRCodeTools.zbarDecode(size: code.size) { code.isDark(x: $0, y: $1) }
            #expect(decoded == text, "version \(code.version) at \(Self.letter(level))")
        }
    }

    // MARK: Structure

    @Test func formatInformation_decodesToTheLevelAndMaskChosen_inBothCopies() throws {
        var masksSeen = Set<Int>()
        for level in Self.levels {
            for length in stride(from: 5, through: 400, by: 15) {
                let code = try QRCode(text: Self.ticketURL(byteCount: length), correction: level)
                let format = try #require(FormatInformation.read(size: code.size) { code.isDark(x: $0, y: $1) })
                #expect(format.level == level)
                #expect(format.mask == code.mask)
                masksSeen.insert(code.mask)
            }
        }
        #expect(masksSeen.count == 8, "the texts exercise every mask: \(masksSeen.sorted())")
    }

    @Test func versionInformation_fromVersion7_decodesToTheVersion_inBothBlocks() throws {
        for version in [7, 8, 21, 32, 40] {
            let code = try QRCode(
                text: Self.ticketURL(byteCount: QRCode.maximumByteCount(version: version, correction: .medium)))
            try #require(code.version == version)
            let size = code.size
            // Bit i sits at row i / 3, column size − 11 + i % 3 in the top-right block, transposed bottom left.
            var topRight = 0
            var bottomLeft = 0
            for bit in 0..<18 {
                if code.isDark(x: size - 11 + bit % 3, y: bit / 3) { topRight |= 1 << bit }
                if code.isDark(x: bit / 3, y: size - 11 + bit % 3) { bottomLeft |= 1 << bit }
            }
            #expect(topRight == bottomLeft)
            #expect(topRight >> 12 == version)
            #expect(topRight == VersionInformation.codeword(version: version))
        }
        // The standard's own example (Annex D): version 7 is 000111 110010 010100.
        #expect(VersionInformation.codeword(version: 7) == 0b000111_110010_010100)
    }

    @Test func capacities_areTheStandardsTable7_forByteMode() {
        let table: [(version: Int, bytes: [Int])] = [
            (1, [17, 14, 11, 7]), (2, [32, 26, 20, 14]), (7, [154, 122, 86, 64]), (10, [271, 213, 151, 119]),
            (40, [2953, 2331, 1663, 1273]),
        ]
        for row in table {
            #expect(Self.levels.map { QRCode.maximumByteCount(version: row.version, correction: $0) } == row.bytes)
        }
    }

    @Test(arguments: levels)
    func textTooLongForVersion40_throwsAnErrorNamingBothSizes(level: QRCode.ErrorCorrection) throws {
        let maximum = QRCode.maximumByteCount(version: 40, correction: level)
        #expect(try QRCode(text: String(repeating: "a", count: maximum), correction: level).version == 40)
        let error = #expect(throws: QRCode.TextTooLong.self) {
            try QRCode(text: String(repeating: "a", count: maximum + 1), correction: level)
        }
        #expect(error?.byteCount == maximum + 1)
        #expect(error?.maximumByteCount == maximum)
        #expect(error?.message.contains("\(maximum + 1) bytes") == true)
        #expect(error?.message.contains("at most \(maximum)") == true)
    }

    @Test func japaneseCharacters_countAsTheirThreeUTF8Bytes() {
        // 778 × 3 = 2,334 bytes, three past version 40 at M, though only 778 characters.
        let error = #expect(throws: QRCode.TextTooLong.self) {
            try QRCode(text: String(repeating: "窓", count: 778))
        }
        #expect(error?.byteCount == 2334)
    }

    @Test func outsideTheSymbol_isLight() throws {
        let code = try QRCode(text: "https://madoguchi.example/")
        #expect(code.isDark(x: 0, y: 0))
        #expect(!code.isDark(x: -1, y: 0))
        #expect(!code.isDark(x: 0, y: code.size))
        #expect(!code.isDark(x: code.size, y: code.size - 1))
    }
}

/// The 15 format bits read from a symbol, checked against their BCH code and unmasked: written from §7.9 apart
/// from the encoder, so a symbol that says the wrong level or mask is caught.
struct FormatInformation {
    let level: QRCode.ErrorCorrection
    let mask: Int

    /// Both copies must be valid codewords and agree; nil otherwise.
    static func read(size: Int, isDark: (_ x: Int, _ y: Int) -> Bool) -> FormatInformation? {
        var first = 0
        var second = 0
        // First copy: down column 8 (skipping the timing row), then left along row 8 (skipping the timing column).
        let firstPositions: [(Int, Int)] =
            [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8)]
            + [(5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)]
        // Second copy: bits 0–7 right to left along row 8 at the top right, 8–14 down column 8 at the bottom left.
        let secondPositions = (0..<8).map { (size - 1 - $0, 8) } + (8..<15).map { (8, size - 15 + $0) }
        for (bit, position) in firstPositions.enumerated() where isDark(position.0, position.1) { first |= 1 << bit }
        for (bit, position) in secondPositions.enumerated() where isDark(position.0, position.1) { second |= 1 << bit }
        guard first == second else { return nil }
        let unmasked = first ^ 0b101010000010010
        let data = unmasked >> 10
        guard codeword(data: data) == first else { return nil }
        let level: QRCode.ErrorCorrection =
            switch data >> 3 {
            case 0b01: .low
            case 0b00: .medium
            case 0b11: .quartile
            default: .high
            }
        return FormatInformation(level: level, mask: data & 0b111)
    }

    /// The 5 data bits, their BCH(15,5) remainder by x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1, masked.
    static func codeword(data: Int) -> Int {
        var remainder = data << 10
        for bit in stride(from: 14, through: 10, by: -1) where remainder & (1 << bit) != 0 {
            remainder ^= 0b101_0011_0111 << (bit - 10)
        }
        return (data << 10 | remainder) ^ 0b101010000010010
    }
}

enum VersionInformation {
    /// The 6 version bits and their BCH(18,6) remainder by x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1.
    static func codeword(version: Int) -> Int {
        var remainder = version << 12
        for bit in stride(from: 17, through: 12, by: -1) where remainder & (1 << bit) != 0 {
            remainder ^= 0b1_1111_0010_0101 << (bit - 12)
        }
        return version << 12 | remainder
    }
}
