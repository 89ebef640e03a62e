import Foundation
import HTTP
import Identity
import Notices
import Payments
import Security
import ServiceKit
import Store
import Web

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
    /// How often `serve` catches the KPI counters up in the background (`MADOGUCHI_KPI_CATCH_UP_SECONDS`,
    /// default 60). nil only for bench/kpi-write's "off" side (`MADOGUCHI_BENCH_KPI_CATCH_UP=off` beside
    /// `--bench-routes`); every KPI read still catches up first, so reports stay exact either way.
    public var kpiCatchUpInterval: TimeInterval? = 60
    /// The LINE channel secret that signs webhook calls; without it `/line/webhook` is not mounted.
    public var lineChannelSecret: ChannelSecret?
    /// Plain-HTTP loopback development (`serve --dev`, `MADOGUCHI_DEV=1`): the session cookie is named
    /// `madoguchi` and lacks `Secure`, so a browser keeps it on http://127.0.0.1:8080. Never in production.
    public var developmentMode = false
    /// The town profile (name, numbers, hours, address) the pages show; nil reads `town.json` in the schemas
    /// folder, whose values are marked examples (`serve --town FILE`, `MADOGUCHI_TOWN_FILE`).
    public var townProfileFile: URL?
    /// PBKDF2 iterations for new password hashes. Production keeps the OWASP minimum; tests lower it.
    public var passwordIterations = PasswordHasher.minimumProductionIterations
    /// Password derivations at once and waiting (`KeyDerivationPool`); tests make it small to saturate it.
    public var keyDerivationLimits = KeyDerivationPool.Limits()
    /// Fee subject handlers beyond the ones App wires for its own charging modules: a test's stand-in for a
    /// charging module, to see what Payments tells it.
    public var additionalFeeSubjects: [any FeeSubjectHandler] = []
    /// The hosted-checkout payment provider (`MADOGUCHI_PAYMENT_API_BASE` and its key and webhook secret
    /// files); nil makes Madoguchi's own sandbox checkout the provider.
    public var paymentProvider: HostedProviderSettings?
    /// This site's address as residents reach it (`https://madoguchi.town.example.jp`), for links that leave the
    /// building: the class flyer's QR code, the LINE class notice's link, the payment provider's way back
    /// (`serve --public-url`, `MADOGUCHI_PUBLIC_BASE_URL`). Never the request's Host: a forged Host would be
    /// printed on a flyer. Nil: the address the server listens on (what `--dev` wants; production warns).
    public var publicBaseURL: String?

    /// `serve --payments-sandbox` (`MADOGUCHI_PAYMENT_SANDBOX=1`): the sandbox checkout takes payments although
    /// this is not development, for test installs and benchmarks.
    public var paymentsSandboxOptIn = false
    public static let paymentsSandboxVariable = "MADOGUCHI_PAYMENT_SANDBOX"

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
        configuration.threadMustNotBlock = { PollingThread.isCurrent }
        return configuration
    }

    /// Secrets that live in files named by the environment (systemd credentials): today the LINE channel
    /// secret (`MADOGUCHI_LINE_CHANNEL_SECRET_FILE`).
    public mutating func readSecretFiles(environment: [String: String]) throws {
        if environment[LINECredentialFile.secretVariable] != nil {
            lineChannelSecret = try LINECredentialFile.channelSecret(environment: environment)
        }
        var environment = environment
        if let publicBaseURL { environment[HostedProviderSettings.publicBaseVariable] = publicBaseURL }
        paymentProvider = try HostedProviderSettings.fromEnvironment(environment)
    }

    /// The variable `serve --public-url` falls back to; Payments' provider reads the same one.
    public static let publicBaseURLVariable = HostedProviderSettings.publicBaseVariable

    /// `https://madoguchi.town.example.jp/` → `https://madoguchi.town.example.jp`: an http or https address with a
    /// host and no query, fragment or user; nil for anything else.
    public static func parsePublicBaseURL(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
        else { return nil }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// The address links point at when no public address is configured: the listen address, with the port the
    /// server took when it was asked for port 0.
    func listenURL(port boundPort: Int?) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort ?? port)"
    }

    /// With no provider configured the sandbox checkout takes the payments, and its 「支払う」 button marks a fee
    /// paid with no money behind it. A production install that forgot the provider used to start with only a
    /// warning in the log; `serve` now refuses, unless development or the explicit opt-in says so.
    public func refuseUnbackedPayments() throws {
        guard paymentProvider == nil, !developmentMode, !paymentsSandboxOptIn else { return }
        throw ConfigurationError(
            message:
                "no payment provider configured: set \(HostedProviderSettings.apiBaseVariable), "
                + "\(HostedProviderSettings.apiKeyFileVariable), \(HostedProviderSettings.webhookSecretFileVariable) "
                + "and \(HostedProviderSettings.publicBaseVariable), or pass --payments-sandbox "
                + "(\(Self.paymentsSandboxVariable)=1) to take test payments that no money backs")
    }

    public func loadTownProfile() throws -> TownProfile {
        try TownProfile.load(from: townProfileFile ?? schemasDirectory.appendingPathComponent("town.json"))
    }

    public var identitySettings: IdentitySettings {
        var settings = IdentitySettings(developmentMode: developmentMode, passwordIterations: passwordIterations)
        settings.keyDerivation = keyDerivationLimits
        return settings
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
