import Foundation

/// The channel access token: `Authorization: Bearer <token>` on every call to LINE. Its description is
/// redacted so that interpolating it into a log line or an error can never leak it.
public struct ChannelAccessToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// `Bearer <token>`, for another module's call to LINE (the KPI's insight pull, wired by App).
    public var authorizationValue: String { "Bearer \(value)" }

    public var description: String { "ChannelAccessToken(redacted)" }
    public var debugDescription: String { description }
}

/// The channel secret: the HMAC key of `X-Line-Signature`. Redacted like the token.
public struct ChannelSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let bytes: [UInt8]

    public init(_ value: String) {
        self.bytes = Array(value.utf8)
    }

    public var description: String { "ChannelSecret(redacted)" }
    public var debugDescription: String { description }
}

/// Secrets are read from files named by environment variables (a systemd credential or a 0640 file), never
/// from the environment itself, which leaks into /proc and crash reports.
public enum LINECredentialFile {
    public static let tokenVariable = "MADOGUCHI_LINE_CHANNEL_TOKEN_FILE"
    public static let secretVariable = "MADOGUCHI_LINE_CHANNEL_SECRET_FILE"

    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public let variable: String
        public let reason: String
        public var description: String { "\(variable): \(reason)" }
    }

    /// The file's content without surrounding whitespace. Errors name the variable and the problem, never
    /// the content.
    public static func read(variable: String, environment: [String: String]) throws -> String {
        guard let path = environment[variable], !path.isEmpty else {
            throw ReadError(variable: variable, reason: "not set; it must name a file holding the value")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(variable: variable, reason: "cannot read \(path)")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, !value.contains(where: \.isNewline) else {
            throw ReadError(variable: variable, reason: "\(path) must hold exactly one non-empty line")
        }
        return value
    }

    public static func accessToken(environment: [String: String]) throws -> ChannelAccessToken {
        ChannelAccessToken(try read(variable: tokenVariable, environment: environment))
    }

    public static func channelSecret(environment: [String: String]) throws -> ChannelSecret {
        ChannelSecret(try read(variable: secretVariable, environment: environment))
    }
}
