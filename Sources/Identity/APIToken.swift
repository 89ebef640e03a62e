import Cryptography
import Foundation
import Security

/// A token for a batch job or an integration. It may do only what its scopes say.
public struct APIToken: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let scopes: [String]
    public let createdAt: Date
    public let revokedAt: Date?
    public let lastUsedAt: Date?

    public var isRevoked: Bool { revokedAt != nil }

    public func allows(_ scope: String) -> Bool { scopes.contains(scope) }
}

public enum APITokenRules {
    /// A recognisable prefix lets secret scanners and people spot a leaked token.
    public static let prefix = "mdg_"

    /// `mdg_` + 256 random bits in base64url.
    public static func generateToken() -> String { prefix + SecureRandom.token(byteCount: 32) }

    public static func isWellFormed(_ token: String) -> Bool {
        token.hasPrefix(prefix) && SessionToken.isWellFormed(String(token.dropFirst(prefix.count)))
    }

    /// Same reasoning as session tokens: 256 random bits need no slow hash.
    public static func hash(_ token: String) -> String { Digest.sha256Hex(token) }

    /// `resource:action`, lower-case: `notices:send`, `kpi:read`.
    public static func isValidScope(_ scope: String) -> Bool {
        let parts = scope.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 32
                    && part.unicodeScalars.allSatisfy {
                        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    }
            }
    }

    /// A label for people: letters, digits, `.`, `_`, `-`, up to 64 characters.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || $0 == "." || $0 == "_" || $0 == "-"
            }
    }
}
