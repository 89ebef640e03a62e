import Foundation
import Security

/// How Identity behaves: cookie names and flags, password cost, timeouts and throttling.
public struct IdentitySettings: Sendable {
    /// Plain-HTTP loopback development (`serve --dev`, `MADOGUCHI_DEV=1`): the session cookie drops the
    /// `__Host-` prefix and the `Secure` flag, because browsers refuse to store a `Secure` cookie that
    /// arrives over plain HTTP (Chrome and Firefox make an exception for localhost, Safari does not).
    /// Never in production, where nginx terminates TLS.
    public var developmentMode: Bool
    /// PBKDF2 iterations for new password hashes (and reset codes). Production keeps the default; tests
    /// lower it to 1,000 so a suite of logins takes milliseconds instead of minutes.
    public var passwordIterations: Int
    public var staffSessions: SessionPolicy = .staff
    public var residentSessions: SessionPolicy = .resident
    public var throttle = ThrottlePolicy()
    /// How many password derivations run at once and how many wait (`KeyDerivationPool`).
    public var keyDerivation = KeyDerivationPool.Limits()
    /// A session is written back ("touched") at most this often, so a busy page doesn't cost a durable
    /// write per request. The idle timeout is therefore exact to within this interval.
    public var touchInterval: TimeInterval = 60

    public init(
        developmentMode: Bool = false, passwordIterations: Int = PasswordHasher.minimumProductionIterations
    ) {
        self.developmentMode = developmentMode
        self.passwordIterations = passwordIterations
    }

    /// `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so no subdomain can set or widen it.
    public var sessionCookieName: String { developmentMode ? "madoguchi" : "__Host-madoguchi" }

    /// The cookie carrying the nonce behind CSRF tokens of pages shown before login.
    public var preSessionCookieName: String { developmentMode ? "madoguchi-pre" : "__Host-madoguchi-pre" }

    /// The cookie marking a browser that signed in to an account before (`KnownDevice`).
    public var knownDeviceCookieName: String { developmentMode ? "madoguchi-device" : "__Host-madoguchi-device" }

    public var secureCookies: Bool { !developmentMode }

    public func policy(for subject: SessionSubject) -> SessionPolicy {
        switch subject {
        case .staff: staffSessions
        case .resident: residentSessions
        }
    }

    var passwordHasher: PasswordHasher { PasswordHasher(iterations: passwordIterations) }
}

/// `Set-Cookie` values. Every cookie Identity sets is HttpOnly (no script needs it), SameSite=Lax (not sent
/// on cross-site POSTs; Strict would log residents out when they follow a link from a LINE message) and
/// Path=/ without Domain.
struct CookieWriter: Sendable {
    let name: String
    let secure: Bool

    func set(_ value: String) -> String {
        "\(name)=\(value); Path=/\(secure ? "; Secure" : ""); HttpOnly; SameSite=Lax"
    }

    /// Deletes the cookie in the browser; the server forgets the session separately.
    func clear() -> String {
        "\(name)=; Path=/\(secure ? "; Secure" : ""); HttpOnly; SameSite=Lax; Max-Age=0"
    }
}
