import Cryptography
import Foundation

/// A browser that has signed in to an account before carries a cookie naming that account (an HMAC of its
/// throttle key under a server secret, so it names nobody readable and cannot be made up). A login from
/// such a browser waits in the key-derivation pool's own lane: a flood of strangers' logins fills the
/// ordinary queue, not the resident's way in (OWASP, "Slow down online guessing attacks with device
/// cookies"). It grants nothing else: the password is checked as always.
struct KnownDevice: Sendable {
    let cookie: CookieWriter
    private let key: [UInt8]
    /// A year: residents sign in a few times a year (a 申請, a 証明書).
    static let lifetime = 365 * 24 * 3600

    init(settings: IdentitySettings, key: [UInt8]) {
        self.cookie = CookieWriter(name: settings.knownDeviceCookieName, secure: settings.secureCookies)
        self.key = key
    }

    func value(accountKey: String) -> String {
        Base64URL.encode(Digest.hmacSHA256(key: key, message: Array("known-device:\(accountKey)".utf8)))
    }

    func lane(for presented: String?, accountKey: String) -> KeyDerivationPool.Lane {
        guard let presented else { return .ordinary }
        return Digest.constantTimeEquals(Array(presented.utf8), Array(value(accountKey: accountKey).utf8))
            ? .knownDevice : .ordinary
    }

    func setCookie(accountKey: String) -> String {
        cookie.set(value(accountKey: accountKey)) + "; Max-Age=\(Self.lifetime)"
    }
}
