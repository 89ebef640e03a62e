import Cryptography
import Foundation
import Security

/// Who a session belongs to.
public enum SessionSubject: Sendable, Equatable, Hashable {
    case staff(id: Int64)
    case resident(id: Int64)

    /// The `sessions.subject_type` value.
    public var type: String {
        switch self {
        case .staff: "staff"
        case .resident: "resident"
        }
    }

    public var id: Int64 {
        switch self {
        case .staff(let id), .resident(let id): id
        }
    }

    init?(type: String, id: Int64) {
        switch type {
        case "staff": self = .staff(id: id)
        case "resident": self = .resident(id: id)
        default: return nil
        }
    }
}

/// How long a session lives. A session ends at whichever comes first: `idleTimeout` after the last request,
/// or `absoluteTimeout` after login, however busy it was.
public struct SessionPolicy: Sendable, Equatable {
    public var idleTimeout: TimeInterval
    public var absoluteTimeout: TimeInterval

    public init(idleTimeout: TimeInterval, absoluteTimeout: TimeInterval) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }

    /// Staff reach many residents' records, often on shared counter PCs: 30 minutes idle, one working day
    /// (12 hours) at most, as OWASP ASVS 5.0 level 2 asks for high-value sessions.
    public static let staff = SessionPolicy(idleTimeout: 30 * 60, absoluteTimeout: 12 * 3600)

    /// Residents see only their own record and come back over days (an application, then its result): two
    /// hours idle keeps a form being filled in slowly alive, seven days caps a forgotten phone's session.
    public static let resident = SessionPolicy(idleTimeout: 2 * 3600, absoluteTimeout: 7 * 24 * 3600)
}

/// A stored session. The cookie's token is not here: only its hash is stored.
public struct Session: Sendable, Equatable {
    public let id: Int64
    public let subject: SessionSubject
    /// The synchronizer token for this session's forms.
    public let csrfToken: String
    public let createdAt: Date
    public let lastSeenAt: Date
    public let absoluteExpiresAt: Date

    /// The same session as last seen at `time`, if that is later than what was read.
    func seen(at time: Date?) -> Session {
        guard let time, time > lastSeenAt else { return self }
        return Session(
            id: id, subject: subject, csrfToken: csrfToken, createdAt: createdAt, lastSeenAt: time,
            absoluteExpiresAt: absoluteExpiresAt)
    }

    /// True while neither timeout has passed at `now`.
    public func isActive(at now: Date, policy: SessionPolicy) -> Bool {
        now < absoluteExpiresAt && now < lastSeenAt.addingTimeInterval(policy.idleTimeout)
    }
}

/// Session tokens: 256 random bits, base64url in the cookie, SHA-256 hex in the database.
public enum SessionToken {
    public static func generate() -> String { SecureRandom.token(byteCount: 32) }

    /// A fast hash is enough: the token has 256 bits of entropy, so nothing can be guessed from the hash.
    public static func hash(_ token: String) -> String { Digest.sha256Hex(token) }

    /// Rejects anything that cannot be a token before it reaches the database.
    public static func isWellFormed(_ token: String) -> Bool {
        Base64URL.isEncoding(ofByteCount: 32, token)
    }
}
