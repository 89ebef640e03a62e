import Formats
import Foundation
import HTTP
import Security
import Store

/// What a login attempt came to. Rejections carry no reason: the person sees one message whether the ID
/// or the password was wrong.
public enum LoginOutcome: Sendable {
    /// `deviceCookie` marks the browser as one that signed in to this account (`KnownDevice`).
    case succeeded(token: String, session: Session, setCookie: String, deviceCookie: String)
    case rejected
    /// Too many failures for this account or address; try again after `retryAfter`.
    case throttled(retryAfter: Date)
}

/// Login with a password, for both staff and residents: throttle check → identity provider → throttle
/// bookkeeping → session with rotation → audit. The HTML form and the JSON API both come through here.
public final class PasswordLogin: Sendable {
    /// The one message for a wrong ID and a wrong password.
    public static let rejectionMessage = "ログインIDまたはパスワードが正しくありません。"
    public static let throttledMessage = "ログインの試行回数が多すぎます。しばらく時間をおいてから再度お試しください。"

    let authentication: Authentication
    let database: Database
    let providers: [AccountKind: any IdentityProvider<PasswordCredential>]

    init(authentication: Authentication, database: Database, hasher: PasswordHasher, keyDerivation: KeyDerivationPool) {
        self.authentication = authentication
        self.database = database
        var providers: [AccountKind: any IdentityProvider<PasswordCredential>] = [:]
        for kind in [AccountKind.staff, .resident] {
            providers[kind] = PasswordIdentityProvider(
                kind: kind, database: database, hasher: hasher, keyDerivation: keyDerivation,
                timeSource: authentication.timeSource)
        }
        self.providers = providers
    }

    public func logIn(_ kind: AccountKind, loginID: String, password: String, request: Request) throws -> LoginOutcome {
        let now = authentication.now()
        let keys = throttleKeys(kind, loginID: loginID, request: request)
        // A locked account or address is refused before any password work, whether or not the account
        // exists, so the lock itself reveals nothing.
        if let lockedUntil = try lockedUntil(keys, now: now) {
            return .throttled(retryAfter: lockedUntil)
        }
        let provider = providers[kind]!
        var credential = PasswordCredential(loginID: loginID, password: password)
        let knownDevice = authentication.knownDevice
        credential.keyDerivationLane = knownDevice.lane(
            for: request.cookie(knownDevice.cookie.name), accountKey: keys.account)
        switch try provider.authenticate(credential) {
        case .rejected(let knownAccount):
            try recordFailure(
                keys,
                event: AuditEvent(
                    .guest, "login.failure", subjectType: kind.rawValue, subjectID: knownAccount?.id, request: request),
                now: now)
            return .rejected
        case .authenticated(let subject):
            let event = AuditEvent(
                subject.auditActor, "login.success", subjectType: subject.type, subjectID: subject.id, request: request)
            let policy = authentication.settings.throttle
            let started = try authentication.startSession(for: subject, replacing: request) { connection, _ in
                try LoginThrottle.resetFailures(key: keys.account, on: connection)
                try LoginThrottle.deleteStaleEntries(at: now, policy: policy, on: connection)
                try AuditLog.append(event, at: now, on: connection)
            }
            return .succeeded(
                token: started.token, session: started.session, setCookie: started.setCookie,
                deviceCookie: knownDevice.setCookie(accountKey: keys.account))
        }
    }

    /// The throttle counters an attempt with `loginID` from this request counts against. An ID that does not
    /// normalise still gets a counter of its own, so malformed guesses are throttled too.
    func throttleKeys(_ kind: AccountKind, loginID: String, request: Request) -> (account: String, address: String) {
        let throttleID =
            PasswordIdentityProvider.normalize(loginID, kind: kind)
            ?? CharacterWidth.halfwidth(loginID).trimmingCharacters(in: .whitespaces).lowercased()
        return (
            LoginThrottle.accountKey(kind, normalizedLoginID: throttleID),
            LoginThrottle.addressKey(request.clientAddress)
        )
    }

    func lockedUntil(_ keys: (account: String, address: String), now: Date) throws -> Date? {
        try database.read { try LoginThrottle.fetchLockedUntil(keys: [keys.account, keys.address], now: now, on: $0) }
    }

    /// Counts a failure against both counters and audits it, in one write.
    func recordFailure(_ keys: (account: String, address: String), event: AuditEvent, now: Date) throws {
        let policy = authentication.settings.throttle
        try database.write { connection in
            try LoginThrottle.recordFailure(
                key: keys.account, threshold: policy.accountThreshold, policy: policy, at: now, on: connection)
            try LoginThrottle.recordFailure(
                key: keys.address, threshold: policy.addressThreshold, policy: policy, at: now, on: connection)
            try AuditLog.append(event, at: now, on: connection)
        }
    }

    /// Seconds to put in `Retry-After`, at least 1.
    public func retryAfterSeconds(_ date: Date) -> Int {
        max(1, Int(date.timeIntervalSince(authentication.now()).rounded(.up)))
    }
}
