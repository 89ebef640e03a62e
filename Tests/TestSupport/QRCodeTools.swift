import Foundation

/// Debian's QR-code tools as oracles for `Formats.QRCode`: `qrencode` (package qrencode) draws the reference
/// symbol, `zbarimg` (package zbar-tools) reads one back. A missing tool fails the test, naming `make deps`.
public enum QRCodeTools {
    public struct ToolMissing: Error, CustomStringConvertible {
        public let tool: String
        public let package: String
        public var description: String {
            "\(tool) is not installed: `make deps` installs it (Debian package \(package))"
        }
    }

    public struct ToolFailed: Error, CustomStringConvertible {
        public let tool: String
        public let exitCode: Int32
        public let stderr: String
        public var description: String { "\(tool) exited \(exitCode): \(stderr)" }
    }

    public static func qrencodeExecutable() throws -> URL { try executable("qrencode", package: "qrencode") }
    public static func zbarimgExecutable() throws -> URL { try executable("zbarimg", package: "zbar-tools") }

    /// qrencode's matrix for `text` as 8-bit data at `level` ("L", "M", "Q", "H"), rows of true for dark, without
    /// its margin. `version` is qrencode's minimum; nil lets it choose the smallest that fits.
    public static func qrencodeMatrix(_ text: String, level: String, version: Int? = nil) throws -> [[Bool]] {
        var arguments = ["-8", "-l", level, "-m", "0", "-t", "ASCII", "-o", "-"]
        if let version { arguments += ["-v", String(version)] }
        // The text goes in on stdin: as an argument a leading "-" would read as an option.
        let result = try ProcessRunner.run(arguments, stdin: text, executable: qrencodeExecutable())
        guard result.exitCode == 0 else {
            throw ToolFailed(tool: "qrencode", exitCode: result.exitCode, stderr: result.stderr)
        }
        // -t ASCII draws each module as two characters: "##" dark, "  " light.
        return result.stdout.split(separator: "\n").map { line in
            let characters = Array(line.utf8)
            return stride(from: 0, to: characters.count, by: 2).map { characters[$0] == UInt8(ascii: "#") }
        }
    }

    /// What zbarimg reads from the symbol drawn as a PBM image (2 pixels a module, with a 4-module quiet zone),
    /// decoded as UTF-8; nil when it finds no QR code.
    ///
    /// `-Sbinary` hands over the symbol's bytes as they are: without it zbar guesses a character set for byte
    /// mode data that carries no ECI and reads UTF-8 Japanese as Shift_JIS (平取町 came back as 蟷ｳ蜿也).
    public static func zbarDecode(size: Int, isDark: (_ x: Int, _ y: Int) -> Bool) throws -> String? {
        let scale = 2
        let margin = 4
        let side = (size + 2 * margin) * scale
        var image = "P1\n\(side) \(side)\n"
        image.reserveCapacity(side * side * 2 + 32)
        for pixelY in 0..<side {
            for pixelX in 0..<side {
                let x = pixelX / scale - margin
                let y = pixelY / scale - margin
                let dark = (0..<size).contains(x) && (0..<size).contains(y) && isDark(x, y)
                image += dark ? "1 " : "0 "
            }
            image += "\n"
        }
        let folder = TemporaryDirectory("madoguchi-qr")
        try Data(image.utf8).write(to: folder.url.appendingPathComponent("symbol.pbm"))
        let result = try ProcessRunner.run(
            ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", folder.path("symbol.pbm")],
            executable: zbarimgExecutable())
        // 4: no symbol found.
        if result.exitCode == 4 { return nil }
        guard result.exitCode == 0 else {
            throw ToolFailed(tool: "zbarimg", exitCode: result.exitCode, stderr: result.stderr)
        }
        return result.stdout
    }

    private static func executable(_ name: String, package: String) throws -> URL {
        for folder in ["/usr/bin", "/usr/local/bin"] {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
        }
        throw ToolMissing(tool: name, package: package)
    }
}
