/// A small, strict option parser: `--name value`, `--name=value` and boolean `--flag`. Unknown options and
/// stray arguments are usage errors (exit 64), as in swift-argument-parser.
public struct CommandLineOptions: Sendable {
    public struct UsageError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// `valued` options take a value; `booleans` do not. `--help` is always accepted.
    public init(_ arguments: [String], valued: Set<String>, booleans: Set<String>) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw UsageError(message: "unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if name == "help" || booleans.contains(name) {
                guard inlineValue == nil else { throw UsageError(message: "--\(name) takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    index += 1
                    guard index < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
                    values[name] = arguments[index]
                }
            } else {
                throw UsageError(message: "unknown option '--\(name)'")
            }
            index += 1
        }
    }

    public func value(_ name: String) -> String? { values[name] }
    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public var wantsHelp: Bool { flags.contains("help") }
}
