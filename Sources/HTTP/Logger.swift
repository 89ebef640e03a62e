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
    private let sink: @Sendable (String) -> Void

    public init(minimumLevel: Level = .info, sink: (@Sendable (String) -> Void)? = nil) {
        self.minimumLevel = minimumLevel
        self.sink =
            sink ?? { line in
                // One write(2) per line, so lines from different threads never interleave.
                var bytes = Array(line.utf8)
                bytes.append(10)
                _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            }
    }

    public static let disabled = Logger(minimumLevel: .error, sink: { _ in })

    public func log(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, Value> = [:]) {
        guard level >= minimumLevel else { return }
        var line = "{\"ts\":\"\(UTCTimestampText.now())\",\"level\":\"\(level.name)\",\"msg\":\(Self.quote(message))"
        for (key, value) in fields {
            line += ",\(Self.quote(key)):"
            switch value {
            case .string(let string): line += Self.quote(string)
            case .int(let int): line += String(int)
            case .double(let double): line += String(format: "%.3f", double)
            case .bool(let bool): line += bool ? "true" : "false"
            }
        }
        line += "}"
        sink(line)
    }

    public func info(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) {
        log(.warning, message, fields)
    }
    public func error(_ message: String, _ fields: KeyValuePairs<String, Value> = [:]) { log(.error, message, fields) }

    static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let s where s.value < 0x20: result += String(format: "\\u%04x", s.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

enum UTCTimestampText {
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            Int(time.tv_nsec / 1_000_000))
    }
}
