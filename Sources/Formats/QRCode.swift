/// A QR code symbol (ISO/IEC 18004:2015, Model 2) holding text as UTF-8 bytes in byte mode: the counter ticket's
/// follow URL (issue #13) and the class flyer's session page (issue #14). Written here because the project takes
/// no packages; Debian's `qrencode` is the oracle the tests compare every module with.
///
/// The version is the smallest of 1–40 that holds the text at the asked level; the mask is the one of the eight
/// with the lowest penalty by the standard's four rules (§7.8.3), the lower mask number on a tie.
public struct QRCode: Sendable {
    /// How much of the symbol may be damaged and still read: about 7 / 15 / 25 / 30 % of the codewords.
    public enum ErrorCorrection: Sendable, CaseIterable {
        case low, medium, quartile, high

        /// The two bits the format information carries (Table 12): not in the order of strength.
        var formatBits: Int {
            switch self {
            case .low: 0b01
            case .medium: 0b00
            case .quartile: 0b11
            case .high: 0b10
            }
        }

        var tableIndex: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }
    }

    /// The text needs more bytes than a version 40 symbol holds at the level asked for.
    public struct TextTooLong: Error, Equatable, Sendable, CustomStringConvertible {
        public let byteCount: Int
        public let maximumByteCount: Int
        public let correction: ErrorCorrection

        public var description: String { message }

        public var message: String {
            "QR code: the text is \(byteCount) bytes of UTF-8; version 40 at level \(correction) holds at most "
                + "\(maximumByteCount)"
        }
    }

    /// Modules per side: 21 for version 1, four more per version.
    public let size: Int
    /// 1…40.
    public let version: Int
    public let correction: ErrorCorrection
    /// 0…7, the pattern chosen by the penalty rules.
    public let mask: Int
    /// Row by row, `size * size` entries, true for dark.
    private let modules: [Bool]

    public init(text: String, correction: ErrorCorrection = .medium) throws {
        let bytes = Array(text.utf8)
        guard
            let version = (1...40).first(where: {
                Self.maximumByteCount(version: $0, correction: correction) >= bytes.count
            })
        else {
            throw TextTooLong(
                byteCount: bytes.count, maximumByteCount: Self.maximumByteCount(version: 40, correction: correction),
                correction: correction)
        }
        let codewords = Self.interleavedCodewords(
            data: Self.dataCodewords(bytes: bytes, version: version, correction: correction),
            version: version, correction: correction)

        var grid = ModuleGrid(version: version)
        grid.drawFunctionPatterns()
        grid.placeCodewords(codewords)

        let candidates = (0..<8).map { mask in
            var candidate = grid
            candidate.applyMask(mask)
            candidate.drawFormatInformation(correction: correction, mask: mask)
            return (mask: mask, grid: candidate, penalty: candidate.penalty())
        }
        // min(by:) keeps the first of equal penalties: the lower mask number wins a tie, as in libqrencode.
        let chosen = candidates.min { $0.penalty < $1.penalty }!
        self.version = version
        self.correction = correction
        self.size = grid.size
        self.mask = chosen.mask
        self.modules = chosen.grid.dark
    }

    /// Whether the module in column `x`, row `y` (0-based, from the top left) is dark. Outside the symbol — the
    /// quiet zone — is light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }
        return modules[y * size + x]
    }

    // MARK: Capacity and the data codewords

    /// Bytes of text a symbol holds in byte mode: 4 bits of mode, the character count, then the bytes
    /// (Table 7: version 1 at M holds 14, version 40 at L 2,953).
    public static func maximumByteCount(version: Int, correction: ErrorCorrection) -> Int {
        let bits = dataCodewordCount(version: version, correction: correction) * 8
        return (bits - 4 - characterCountBits(version: version)) / 8
    }

    /// Byte mode counts characters in 8 bits up to version 9 and in 16 after (Table 3).
    static func characterCountBits(version: Int) -> Int { version <= 9 ? 8 : 16 }

    static func dataCodewordCount(version: Int, correction: ErrorCorrection) -> Int {
        let table = ErrorCorrectionTable.self
        return rawCodewordCount(version: version) - table.codewordsPerBlock[correction.tableIndex][version]
            * table.blockCount[correction.tableIndex][version]
    }

    /// Codewords of data and error correction together: every module that is not a function pattern, format
    /// or version information, in whole bytes (the 0–7 remainder bits stay light).
    static func rawCodewordCount(version: Int) -> Int {
        var modules = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignmentCount = version / 7 + 2
            modules -= (25 * alignmentCount - 10) * alignmentCount - 55
            if version >= 7 { modules -= 36 }
        }
        return modules / 8
    }

    /// Mode indicator 0100, the byte count, the bytes, up to four zero bits of terminator, zero bits to a byte
    /// boundary, then the pad bytes 0xEC 0x11 alternating (§7.4.10).
    static func dataCodewords(bytes: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let capacity = dataCodewordCount(version: version, correction: correction)
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: characterCountBits(version: version))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        var pad: UInt8 = 0xEC
        while codewords.count < capacity {
            codewords.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return codewords
    }

    /// Splits the data into the version's blocks (the short ones first, §7.5.2), adds each block's Reed–Solomon
    /// codewords, and interleaves: first byte of every block, second of every block…, then the same for the
    /// error correction, so a smudge over neighbouring modules spreads across blocks.
    static func interleavedCodewords(data: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let blockCount = ErrorCorrectionTable.blockCount[correction.tableIndex][version]
        let errorCorrectionLength = ErrorCorrectionTable.codewordsPerBlock[correction.tableIndex][version]
        let rawCount = rawCodewordCount(version: version)
        let longBlockCount = rawCount % blockCount
        let shortDataLength = rawCount / blockCount - errorCorrectionLength
        let generator = ReedSolomon.generator(degree: errorCorrectionLength)

        var dataBlocks: [[UInt8]] = []
        var errorCorrectionBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blockCount {
            let length = shortDataLength + (index >= blockCount - longBlockCount ? 1 : 0)
            let block = Array(data[start..<start + length])
            start += length
            dataBlocks.append(block)
            errorCorrectionBlocks.append(ReedSolomon.remainder(of: block, generator: generator))
        }

        var result: [UInt8] = []
        result.reserveCapacity(rawCount)
        for column in 0...shortDataLength {
            for block in dataBlocks where column < block.count { result.append(block[column]) }
        }
        for column in 0..<errorCorrectionLength {
            for block in errorCorrectionBlocks { result.append(block[column]) }
        }
        return result
    }
}

/// Bits appended most significant first.
private struct BitBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ value: Int, count bitCount: Int) {
        for shift in stride(from: bitCount - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[count / 8] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}

// MARK: Reed–Solomon over GF(256)

/// Arithmetic in GF(2⁸) with the standard's field polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D), and the
/// error-correction codewords as the remainder of the data polynomial divided by the generator (§7.5.2).
enum ReedSolomon {
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var product = 0
        var a = Int(a)
        var b = Int(b)
        while b != 0 {
            if b & 1 == 1 { product ^= a }
            a <<= 1
            if a & 0x100 != 0 { a ^= 0x11D }
            b >>= 1
        }
        return UInt8(product)
    }

    /// The coefficients of (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest power first, the leading 1 left out.
    static func generator(degree: Int) -> [UInt8] {
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                coefficients[index] = multiply(coefficients[index], root)
                if index + 1 < degree { coefficients[index] ^= coefficients[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return coefficients
    }

    static func remainder(of data: [UInt8], generator: [UInt8]) -> [UInt8] {
        var remainder = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ remainder.removeFirst()
            remainder.append(0)
            for index in generator.indices { remainder[index] ^= multiply(generator[index], factor) }
        }
        return remainder
    }
}

// MARK: The module grid

/// The symbol while it is drawn: which modules are dark, and which belong to function patterns (finders,
/// separators, timing, alignment, format and version information), which data and masks leave alone.
struct ModuleGrid: Sendable {
    let version: Int
    let size: Int
    var dark: [Bool]
    var isFunction: [Bool]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        dark = Array(repeating: false, count: size * size)
        isFunction = Array(repeating: false, count: size * size)
    }

    mutating func setFunction(x: Int, y: Int, dark isDark: Bool) {
        dark[y * size + x] = isDark
        isFunction[y * size + x] = true
    }

    /// Timing first, so the finders and alignment patterns drawn over it win where they meet. The format
    /// areas are only reserved here (marked as function modules) and redrawn for each mask.
    mutating func drawFunctionPatterns() {
        for index in 0..<size {
            setFunction(x: 6, y: index, dark: index % 2 == 0)
            setFunction(x: index, y: 6, dark: index % 2 == 0)
        }
        drawFinder(centerX: 3, centerY: 3)
        drawFinder(centerX: size - 4, centerY: 3)
        drawFinder(centerX: 3, centerY: size - 4)

        let centers = Self.alignmentCenters(version: version)
        for centerY in centers {
            for centerX in centers {
                let overlapsFinder =
                    (centerX == 6 && centerY == 6) || (centerX == 6 && centerY == size - 7)
                    || (centerX == size - 7 && centerY == 6)
                if !overlapsFinder { drawAlignment(centerX: centerX, centerY: centerY) }
            }
        }
        drawFormatInformation(correction: .medium, mask: 0)
        drawVersionInformation()
    }

    /// The 7×7 finder with its light separator: rings at distance 0–1 and 3 dark, 2 and 4 light.
    private mutating func drawFinder(centerX: Int, centerY: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centerX + dx
                let y = centerY + dy
                guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(x: x, y: y, dark: ring != 2 && ring != 4)
            }
        }
    }

    private mutating func drawAlignment(centerX: Int, centerY: Int) {
        for dy in -2...2 {
            for dx in -2...2 {
                setFunction(x: centerX + dx, y: centerY + dy, dark: max(abs(dx), abs(dy)) != 1)
            }
        }
    }

    /// Row/column coordinates of the alignment centres (Annex E): 6, then evenly spaced up to size − 7 with an
    /// even step. Version 32's step is the table's exception to the formula.
    static func alignmentCenters(version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let count = version / 7 + 2
        let size = version * 4 + 17
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var centers = [6]
        for index in 1..<count { centers.append(size - 7 - (count - 1 - index) * step) }
        return centers
    }

    /// 15 bits: level and mask, their BCH(15,5) check, XOR 101010000010010 so no symbol has all-light format
    /// bits (§7.9). One copy around the top-left finder, the other split beside the other two, plus the one
    /// dark module every symbol has at (8, size − 8).
    mutating func drawFormatInformation(correction: QRCode.ErrorCorrection, mask: Int) {
        let bits = Self.formatBits(correction: correction, mask: mask)
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { setFunction(x: 8, y: index, dark: bit(index)) }
        setFunction(x: 8, y: 7, dark: bit(6))
        setFunction(x: 8, y: 8, dark: bit(7))
        setFunction(x: 7, y: 8, dark: bit(8))
        for index in 9..<15 { setFunction(x: 14 - index, y: 8, dark: bit(index)) }

        for index in 0..<8 { setFunction(x: size - 1 - index, y: 8, dark: bit(index)) }
        for index in 8..<15 { setFunction(x: 8, y: size - 15 + index, dark: bit(index)) }
        setFunction(x: 8, y: size - 8, dark: true)
    }

    static func formatBits(correction: QRCode.ErrorCorrection, mask: Int) -> Int {
        let data = correction.formatBits << 3 | mask
        return (data << 10 | BCH.remainder(data, generator: 0x537, degree: 10)) ^ 0x5412
    }

    /// Versions 7 and up: 6 bits of version and their BCH(18,6) check, in a 6×3 block above the bottom-left
    /// finder and its transpose left of the top-right one (§7.10).
    private mutating func drawVersionInformation() {
        guard version >= 7 else { return }
        let bits = version << 12 | BCH.remainder(version, generator: 0x1F25, degree: 12)
        for index in 0..<18 {
            let isDark = (bits >> index) & 1 == 1
            let along = index / 3
            let across = size - 11 + index % 3
            setFunction(x: across, y: along, dark: isDark)
            setFunction(x: along, y: across, dark: isDark)
        }
    }

    /// Codeword bits, most significant first, up and down two-module columns from the bottom right, skipping
    /// the vertical timing column and every function module (§7.7.3).
    mutating func placeCodewords(_ codewords: [UInt8]) {
        var bitIndex = 0
        let bitCount = codewords.count * 8
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in stride(from: right, through: right - 1, by: -1)
                where !isFunction[y * size + x] && bitIndex < bitCount {
                    dark[y * size + x] = (codewords[bitIndex / 8] >> UInt8(7 - bitIndex % 8)) & 1 == 1
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }

    /// Flips the data modules where the mask's condition holds (Table 10; i is the row, j the column).
    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] {
                let flips: Bool
                switch mask {
                case 0: flips = (y + x) % 2 == 0
                case 1: flips = y % 2 == 0
                case 2: flips = x % 3 == 0
                case 3: flips = (y + x) % 3 == 0
                case 4: flips = (y / 2 + x / 3) % 2 == 0
                case 5: flips = (y * x) % 2 + (y * x) % 3 == 0
                case 6: flips = ((y * x) % 2 + (y * x) % 3) % 2 == 0
                default: flips = ((y + x) % 2 + (y * x) % 3) % 2 == 0
                }
                if flips { dark[y * size + x].toggle() }
            }
        }
    }

    // MARK: Penalty (§7.8.3)

    /// The sum of the four rules over the whole finished symbol (format information included). Where the
    /// standard leaves a detail open, this reads it as libqrencode (Debian's `qrencode`, the tests' oracle) does:
    /// outside the symbol counts as light (it is the quiet zone), a 1:1:3:1:1 pattern counts once, at any
    /// scale, whichever side has its four light modules, and the dark share is rounded to a whole percent
    /// before it is rated in 5 % steps.
    func penalty() -> Int {
        // On the flat buffer, lines by start and stride: reading each module through a closure made the oracle
        // test's 160 symbols cost 12.7 CPU-s in a debug build against 9.3 now (most of the rest is debug Swift).
        dark.withUnsafeBufferPointer { modules in
            var total = 0
            var runs: [Int] = []
            runs.reserveCapacity(size + 1)
            for line in 0..<size {
                Self.runs(of: modules, start: line * size, stride: 1, count: size, into: &runs)
                total += Self.runPenalty(runs)
                Self.runs(of: modules, start: line, stride: size, count: size, into: &runs)
                total += Self.runPenalty(runs)
            }
            return total + Self.blockPenalty(modules, size: size) + Self.balancePenalty(modules)
        }
    }

    /// Run lengths along one line, alternating light, dark, light…: even indices light, odd dark. A line that
    /// starts dark gets an empty light run first, so the parity holds.
    private static func runs(
        of modules: UnsafeBufferPointer<Bool>, start: Int, stride: Int, count: Int, into runs: inout [Int]
    ) {
        runs.removeAll(keepingCapacity: true)
        var current = false
        var length = 0
        var index = start
        for _ in 0..<count {
            if modules[index] == current {
                length += 1
            } else {
                runs.append(length)
                current = modules[index]
                length = 1
            }
            index += stride
        }
        runs.append(length)
    }

    /// Rule 1: each run of five or more of one colour, 3 + (length − 5). Rule 3: each dark:light:dark:light:dark
    /// run of 1:1:3:1:1 with light four units wide before or after it (the line's end counts: the quiet zone
    /// is there), 40.
    private static func runPenalty(_ runs: [Int]) -> Int {
        var penalty = 0
        for length in runs where length >= 5 { penalty += 3 + length - 5 }
        for center in stride(from: 3, to: runs.count - 2, by: 2) where runs[center] % 3 == 0 {
            let unit = runs[center] / 3
            guard runs[center - 2] == unit, runs[center - 1] == unit, runs[center + 1] == unit,
                runs[center + 2] == unit
            else { continue }
            let lightBefore = center == 3 || runs[center - 3] >= 4 * unit
            let lightAfter = center + 3 >= runs.count - 1 || runs[center + 3] >= 4 * unit
            if lightBefore || lightAfter { penalty += 40 }
        }
        return penalty
    }

    /// Rule 2: each 2×2 block of one colour, 3 (an m×n block counts (m − 1)(n − 1) times).
    private static func blockPenalty(_ modules: UnsafeBufferPointer<Bool>, size: Int) -> Int {
        var penalty = 0
        for y in 0..<size - 1 {
            for x in 0..<size - 1 {
                let topLeft = y * size + x
                let colour = modules[topLeft]
                if modules[topLeft + 1] == colour, modules[topLeft + size] == colour,
                    modules[topLeft + size + 1] == colour
                {
                    penalty += 3
                }
            }
        }
        return penalty
    }

    /// Rule 4: 10 for every full 5 % the dark share lies away from 50 %.
    private static func balancePenalty(_ modules: UnsafeBufferPointer<Bool>) -> Int {
        var darkCount = 0
        for isDark in modules where isDark { darkCount += 1 }
        let percent = (200 * darkCount + modules.count) / modules.count / 2
        return abs(percent - 50) / 5 * 10
    }
}

/// The remainder of `value · x^degree` divided by `generator`, for the format and version check bits.
private enum BCH {
    static func remainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var remainder = value << degree
        for bit in stride(from: remainder.bitWidth - remainder.leadingZeroBitCount - 1, through: degree, by: -1)
        where (remainder >> bit) & 1 == 1 {
            remainder ^= generator << (bit - degree)
        }
        return remainder
    }
}

/// Table 9: error-correction codewords per block and number of blocks, by level (L, M, Q, H) and version
/// (index 0 unused).
enum ErrorCorrectionTable {
    static let codewordsPerBlock: [[Int]] = [
        [
            0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28,
            30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28,
            28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        ],
        [
            0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28,
            30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30,
            30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
    ]

    static let blockCount: [[Int]] = [
        [
            0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17,
            18, 19, 19, 20, 21, 22, 24, 25,
        ],
        [
            0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
            31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
        ],
        [
            0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38,
            40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
        ],
        [
            0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45,
            48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
        ],
    ]
}
