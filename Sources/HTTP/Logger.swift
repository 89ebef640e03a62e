import Foundation

/// JSON-lines logging to standard error (journald keeps it). Callers pass only values that are safe to keep:
/// ids, codes, counts and route patterns, never names, addresses or raw paths.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug = 0, info, warning, error

        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warning", "warn": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A log field value; strings are JSON-escaped, numbers written as is.
    public enum Value: Sendable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
    }

    public let minimumLevel: Level
    /// nil writes to standard error; tests pass a closure to capture lines.
    private let sink: (@Sendable (String) -> Void)?

    public init(minimumLevel: Level = .info, sink: (@Sendable (String) -> Void)? = nil) {
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    public static let disabled = Logger(minimumLevel: .error, sink: { _ in })

    /// True when a line at `level` would be written; lets hot paths skip building the fields.
    @inline(__always) public func isEnabled(_ level: Level) -> Bool { level >= minimumLevel }

    public func log(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, Value> = [:]) {
        guard level >= minimumLevel else { return }
        // Built as bytes by hand rather than with String(format:), string appends or JSONSerialization: this
        // runs once per request and showed up first in the profile.
        var line = JSONLine()
        line.append(raw: "{\"ts\":\"")
        UTCTimestampText.appendNow(to: &line)
        line.append(raw: "\",\"level\":\"")
        line.append(raw: level.name)
        line.append(raw: "\",\"msg\":")
        line.append(quoted: message)
        for (key, value) in fields {
            line.append(raw: ",")
            line.append(quoted: key)
            line.append(raw: ":")
            switch value {
            case .string(let string): line.append(quoted: string)
            case .int(let int): line.append(integer: int)
            case .double(let double): line.append(fixed3: double)
            case .bool(let bool): line.append(raw: bool ? "true" : "false")
            }
        }
        line.append(raw: "}")
        if let sink {
            sink(line.text)
        } else {
            line.append(byte: 10)
            StandardErrorWriter.shared.write(line.bytes, urgent: level >= .warning)
        }
    }

    public func info(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) {
        log(.warning, message, fields)
    }
    public func error(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) { log(.error, message, fields) }

    static func quote(_ string: String) -> String {
        var line = JSONLine()
        line.append(quoted: string)
        return line.text
    }
}

/// A JSON log line under construction, as UTF-8 bytes.
struct JSONLine {
    private(set) var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(256)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(raw: String) {
        bytes.append(contentsOf: raw.utf8)
    }

    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; other UTF-8 as is.
    /// The same escapes as Foundation's JSONEncoder with `.withoutEscapingSlashes`, so `JSONWriter` output
    /// matches it byte for byte.
    mutating func append(quoted string: String) {
        bytes.append(34)
        var string = string
        string.withUTF8 { utf8 in
            // Most strings need no escape: one scan of the contiguous bytes, then one copy. Byte by byte appends,
            // and then a scan through the UTF8View's iterator, were 12,000 instructions of a payment's JSON.
            guard utf8.contains(where: { $0 < 32 || $0 == 34 || $0 == 92 }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case 34: bytes.append(92); bytes.append(34)
                case 92: bytes.append(92); bytes.append(92)
                case 10: bytes.append(92); bytes.append(110)
                case 13: bytes.append(92); bytes.append(114)
                case 9: bytes.append(92); bytes.append(116)
                case 8: bytes.append(92); bytes.append(98)
                case 12: bytes.append(92); bytes.append(102)
                case 0..<32:
                    bytes.append(contentsOf: "\\u00".utf8)
                    bytes.append(HexDigits.ascii[Int(byte >> 4)])
                    bytes.append(HexDigits.ascii[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(34)
    }

    mutating func append(integer value: Int, width: Int = 0) {
        if value < 0 {
            bytes.append(45)
            if value == .min {
                // -Int.min overflows; its digits are known.
                append(raw: String(String(value).dropFirst()))
                return
            }
            append(integer: -value, width: width)
            return
        }
        var count = 1
        var scale = 1
        while value / scale >= 10 {
            scale *= 10
            count += 1
        }
        for _ in count..<max(width, count) { bytes.append(48) }
        while scale > 0 {
            bytes.append(UInt8(48 + (value / scale) % 10))
            scale /= 10
        }
    }

    /// A number with three decimals, e.g. durations in milliseconds.
    mutating func append(fixed3 value: Double) {
        guard value.isFinite else {
            append(raw: "0.000")
            return
        }
        if value < 0 { bytes.append(45) }
        let thousandths = Int((abs(value) * 1000).rounded())
        append(integer: thousandths / 1000)
        bytes.append(46)
        append(integer: thousandths % 1000, width: 3)
    }
}

enum HexDigits {
    static let ascii: [UInt8] = Array("0123456789abcdef".utf8)
}

enum UTCTimestampText {
    static func now() -> String {
        var line = JSONLine()
        appendNow(to: &line)
        return line.text
    }

    /// `2026-04-01T00:00:00.000Z`, written digit by digit.
    static func appendNow(to line: inout JSONLine) {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        line.append(integer: Int(parts.tm_year) + 1900, width: 4)
        line.append(byte: 45)
        line.append(integer: Int(parts.tm_mon) + 1, width: 2)
        line.append(byte: 45)
        line.append(integer: Int(parts.tm_mday), width: 2)
        line.append(byte: 84)
        line.append(integer: Int(parts.tm_hour), width: 2)
        line.append(byte: 58)
        line.append(integer: Int(parts.tm_min), width: 2)
        line.append(byte: 58)
        line.append(integer: Int(parts.tm_sec), width: 2)
        line.append(byte: 46)
        line.append(integer: Int(time.tv_nsec / 1_000_000), width: 3)
        line.append(byte: 90)
    }
}
