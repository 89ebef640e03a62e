import Foundation
import HTTP
import Identity
import Notices
import Security
import Store

/// Everything the server needs to start, resolved from flags and environment by the CLI.
public struct AppConfiguration: Sendable {
    public var databasePath: String
    public var host: String
    public var port: Int
    public var schemasDirectory: URL
    public var logLevel: Logger.Level
    public var workerThreads: Int
    public var groupCommit: Bool
    /// Mounts `/bench/rows`, which exists only to give the benchmark a one-row read and a one-row durable
    /// write. Never on in production.
    public var benchRoutes: Bool
    /// The LINE channel secret that signs webhook calls; without it `/line/webhook` is not mounted.
    public var lineChannelSecret: ChannelSecret?
    /// Plain-HTTP loopback development (`serve --dev`, `MADOGUCHI_DEV=1`): the session cookie is named
    /// `madoguchi` and lacks `Secure`, so a browser keeps it on http://127.0.0.1:8080. Never in production.
    public var developmentMode = false
    /// PBKDF2 iterations for new password hashes. Production keeps the OWASP minimum; tests lower it.
    public var passwordIterations = PasswordHasher.minimumProductionIterations

    public init(
        databasePath: String, host: String = "127.0.0.1", port: Int = 8080,
        schemasDirectory: URL = SchemaLocator.defaultDirectory(), logLevel: Logger.Level = .info,
        workerThreads: Int = Server.Configuration().workerThreads, groupCommit: Bool = true, benchRoutes: Bool = false
    ) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.schemasDirectory = schemasDirectory
        self.logLevel = logLevel
        self.workerThreads = workerThreads
        self.groupCommit = groupCommit
        self.benchRoutes = benchRoutes
    }

    public var databaseConfiguration: DatabaseConfiguration {
        var configuration = DatabaseConfiguration()
        configuration.groupCommit = groupCommit
        return configuration
    }

    public var identitySettings: IdentitySettings {
        IdentitySettings(developmentMode: developmentMode, passwordIterations: passwordIterations)
    }

    /// Parses `host:port` or `[v6]:port`.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else { return nil }
        return (String(host), number)
    }
}

/// Finds `Schemas/`: next to the working directory in development, next to the installed binary in
/// production (`/opt/madoguchi/bin/madoguchi` → `/opt/madoguchi/Schemas`), or beside the SwiftPM build folder.
public enum SchemaLocator {
    public static func defaultDirectory() -> URL {
        let fileManager = FileManager.default
        var candidates = [URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("Schemas")]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("Schemas"))
        }
        return candidates.first { fileManager.fileExists(atPath: $0.appendingPathComponent("migrations").path) }
            ?? candidates[0]
    }
}
