import Cryptography
import Foundation

/// Staff and resident passwords: PBKDF2-HMAC-SHA256 (the Cryptography primitive), with a 16-byte random salt.
///
/// The stored form carries its parameters — `pbkdf2-sha256$600000$<salt b64url>$<hash b64url>` — so the
/// iteration count can be raised later: `needsRehash` tells the login code to re-hash on the next success.
/// OWASP's 2023 Password Storage Cheat Sheet asks for at least 600,000 iterations of PBKDF2-HMAC-SHA256.
public struct PasswordHasher: Sendable {
    public static let minimumProductionIterations = 600_000
    public static let scheme = "pbkdf2-sha256"

    public let iterations: Int

    /// `iterations` below the production minimum are for tests only, where 600,000 rounds per login would
    /// make a suite of logins take minutes; the production default is the minimum.
    public init(iterations: Int = PasswordHasher.minimumProductionIterations) {
        precondition(iterations >= 1_000, "PBKDF2 iterations below 1,000 are never acceptable")
        self.iterations = iterations
    }

    public func hash(_ password: String) -> String {
        let salt = SecureRandom.bytes(16)
        let derived = Self.derive(password: password, salt: salt, iterations: iterations)
        return "\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// True when `password` matches `encoded`. Malformed stored values never match.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = Self.parse(encoded) else { return false }
        let derived = Self.derive(password: password, salt: parsed.salt, iterations: parsed.iterations)
        return Digest.constantTimeEquals(derived, parsed.hash)
    }

    /// True when `encoded` was made with fewer iterations than this hasher uses.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let parsed = Self.parse(encoded) else { return true }
        return parsed.iterations < iterations
    }

    /// Spends the same time as a real verification, for logins with an unknown ID: the response time must
    /// not reveal whether an account exists.
    public func simulateVerification(_ password: String) {
        _ = Self.derive(password: password, salt: [UInt8](repeating: 0, count: 16), iterations: iterations)
    }

    private static func parse(_ encoded: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]), iterations >= 1_000,
            let salt = Base64URL.decode(String(parts[2])), let hash = Base64URL.decode(String(parts[3])),
            hash.count == 32
        else { return nil }
        return (iterations, salt, hash)
    }

    private static func derive(password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        PBKDF2.hmacSHA256(password: password, salt: salt, iterations: iterations, byteCount: 32)
    }
}
