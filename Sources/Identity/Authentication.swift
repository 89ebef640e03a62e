import Cryptography
import Foundation
import HTTP
import Security
import ServiceKit
import Store
import Synchronization
import Web

/// A signed-in resident, as handlers receive it from `Authentication.resident`.
public struct AuthenticatedResident: Sendable {
    public let id: Int64
    /// For the page header ("〇〇 さん"). Personal data: never log it.
    public let fullName: String
    /// Put this in every state-changing form (`Form.post(action:csrfToken:)` does).
    public let csrfToken: String
    public let session: Session

    public var auditActor: AuditActor { .resident(id: id) }
}

/// A signed-in staff member, as handlers receive it from `Authentication.staff`.
public struct AuthenticatedStaff: Sendable {
    public let member: StaffMember
    public let csrfToken: String
    public let session: Session

    public var id: Int64 { member.id }
    public var role: StaffRole { member.role }
    public var department: Department { member.department }
    public var displayName: String { member.displayName }
    public var auditActor: AuditActor { .staff(id: member.id) }
    /// What the shared tier's dashboard tiles and module pages may know of them.
    public var viewer: StaffViewer { StaffViewer(id: member.id, role: member.role, department: member.department) }
}

/// An API token that `Authentication.verifyAPIToken` let through, and its last use, when due, for the caller to
/// record in its own write.
public struct VerifiedAPIToken: Sendable {
    public let token: APIToken
    /// Set when the token's last use is older than the touch interval.
    public let touchAt: Date?
    /// Set when the token came from the in-memory facts unchecked (`verifyAPITokenInWrite`): its revocation and
    /// last use are read inside the caller's write instead.
    let uncheckedUse: (tokenHash: String, now: Date, touchInterval: TimeInterval)?

    init(token: APIToken, touchAt: Date?) {
        self.token = token
        self.touchAt = touchAt
        self.uncheckedUse = nil
    }

    init(cached token: APIToken, tokenHash: String, now: Date, touchInterval: TimeInterval) {
        self.token = token
        self.touchAt = nil
        self.uncheckedUse = (tokenHash, now, touchInterval)
    }

    /// Records the token's last use, when due, inside the caller's write: one transaction for the request.
    /// For a token verified by `verifyAPITokenInWrite`, first refuses it (401) if it was revoked or deleted:
    /// the write's own transaction is the check, so a revocation committed before it is never missed.
    public func recordUse(on connection: Connection) throws {
        if let unchecked = uncheckedUse {
            guard let use = try APITokenStore.fetchUse(id: token.id, tokenHash: unchecked.tokenHash, on: connection),
                use.revokedAt == nil
            else { throw Authentication.invalidToken }
            if unchecked.now.timeIntervalSince(use.lastUsedAt ?? .distantPast) >= unchecked.touchInterval {
                try APITokenStore.touchToken(id: token.id, at: unchecked.now, on: connection)
            }
            return
        }
        guard let touchAt else { return }
        try APITokenStore.touchToken(id: token.id, at: touchAt, on: connection)
    }
}

/// A visitor who is not signed in, on a page whose form must still be protected (login, register, reset).
public struct GuestForm: Sendable {
    public let csrfToken: String
}

/// Who is calling, and whether they may: the handler wrappers every module uses.
///
/// ```swift
/// routes.get("/applications/:reference", auth.resident(showStatus))       // → /login, or 401 JSON under /api/
/// routes.post("/staff/notices/templates", auth.staff(minimum: .supervisor, saveTemplate))  // 403 below the role
/// routes.post("/api/v1/…", auth.apiToken(scope: "notices:send", createNotice))  // 401/403 JSON
///
/// Each handler is a named method taking the request and who is calling (docs/modules.md).
/// ```
///
/// Every wrapper that admits a cookie session also checks the CSRF token of state-changing requests
/// (anything but GET and HEAD): the `csrf_token` form field, or an `X-CSRF-Token` header for JSON calls made
/// with the session cookie. A missing or wrong token is a 403 before the handler runs. Bearer-token calls
/// carry no ambient credential a browser could be tricked into sending, so `apiToken` needs no CSRF token.
public final class Authentication: Sendable {
    public let settings: IdentitySettings
    let database: Database
    let timeSource: any TimeSource
    let sessionCookie: CookieWriter
    let preSessionCookie: CookieWriter
    /// Signs the CSRF tokens of pages shown before login (see `guest`).
    private let preSessionKey: [UInt8]
    let knownDevice: KnownDevice
    /// Touches queued on the writer but perhaps not committed yet, by session id. A reader can fetch the session
    /// before the writer commits its touch; without these a clerk clicking through pages could read an old
    /// `lastSeenAt` and be signed out as idle. Looked up before the session is read: an entry removed after that
    /// was committed before the read began, so the read sees it.
    private let pendingTouches = Mutex<[Int64: Date]>([:])
    /// API tokens met before, by token hash, as first read: only their id, name and scopes are used, which
    /// never change once a token is made (decoding the row again, scopes split, was 13,000 instructions).
    private let tokenFacts = Mutex<[String: APIToken]>([:])

    public static let csrfHeader = "x-csrf-token"
    public static let residentLoginPath = "/login"
    public static let staffLoginPath = "/staff/login"

    public init(database: Database, settings: IdentitySettings, timeSource: any TimeSource) throws {
        self.database = database
        self.settings = settings
        self.timeSource = timeSource
        self.sessionCookie = CookieWriter(name: settings.sessionCookieName, secure: settings.secureCookies)
        self.preSessionCookie = CookieWriter(name: settings.preSessionCookieName, secure: settings.secureCookies)
        let now = timeSource.now()
        let keys = try database.write { connection in
            (
                try ServerSecretStore.fetchOrCreateSecret(name: "pre_session_csrf", at: now, on: connection),
                try ServerSecretStore.fetchOrCreateSecret(name: "known_device", at: now, on: connection)
            )
        }
        self.preSessionKey = keys.0
        self.knownDevice = KnownDevice(settings: settings, key: keys.1)
    }

    public func now() -> Date { timeSource.now() }

    // MARK: Handler wrappers

    /// Runs `handler` for a signed-in resident. Otherwise: HTML requests are sent to `/login` (303), API
    /// requests get 401 JSON. State-changing requests must carry the session's CSRF token (else 403).
    public func resident(_ handler: @escaping @Sendable (Request, AuthenticatedResident) throws -> Response)
        -> Handler
    {
        { [self] request in
            guard let resident = try currentResident(request) else {
                if request.isAPI { throw Self.unauthenticated }
                return .redirect(to: Self.residentLoginPath)
            }
            try verifySessionCSRF(request, expected: resident.csrfToken)
            return try handler(request, resident)
        }
    }

    /// Runs `signedIn` for a request with a resident's session, its CSRF token checked as `resident` checks
    /// it, and `otherwise` for everyone else. The session is looked up once: a check and then `resident` looked
    /// it up twice, two reads a time, on every signed-in submission (bench/route-cost).
    public func resident(
        _ signedIn: @escaping @Sendable (Request, AuthenticatedResident) throws -> Response,
        otherwise: @escaping @Sendable (Request) throws -> Response
    ) -> Handler {
        { [self] request in
            guard let resident = try currentResident(request) else { return try otherwise(request) }
            try verifySessionCSRF(request, expected: resident.csrfToken)
            return try signedIn(request, resident)
        }
    }

    /// Runs `handler` for an active staff member whose role is at least `minimum`. Not signed in: HTML goes
    /// to `/staff/login`, API gets 401. Signed in with too low a role: 403. CSRF as for `resident`.
    public func staff(
        minimum: StaffRole = .clerk, _ handler: @escaping @Sendable (Request, AuthenticatedStaff) throws -> Response
    ) -> Handler {
        { [self] request in
            guard let staff = try currentStaff(request) else {
                if request.isAPI { throw Self.unauthenticated }
                return .redirect(to: Self.staffLoginPath)
            }
            try verifySessionCSRF(request, expected: staff.csrfToken)
            guard staff.role >= minimum else { throw Self.forbidden }
            return try handler(request, staff)
        }
    }

    /// Runs `handler` for a request with `Authorization: Bearer <token>` whose token is active and holds
    /// `scope`. No or unknown or revoked token: 401; a valid token without the scope: 403. Always JSON.
    public func apiToken(
        scope: String, _ handler: @escaping @Sendable (Request, APIToken) throws -> Response
    ) -> Handler {
        precondition(APITokenRules.isValidScope(scope), "scope \(scope) is not resource:action")
        return { [self] request in
            guard let token = try currentAPIToken(request) else { throw Self.invalidToken }
            guard token.allows(scope) else { throw Self.insufficientScope(scope) }
            return try handler(request, token)
        }
    }

    /// The check `apiToken` makes, without its write, for a route that answers from one deferred write of its
    /// own: no thread hop to a blocking pool and no separate transaction for the token's last use, which the
    /// caller records in its write through `VerifiedAPIToken.recordUse(on:)`. Throws the same 401 and 403.
    /// Only reads, so it may run on an HTTP polling thread.
    public func verifyAPIToken(_ request: Request, scope: String) throws -> VerifiedAPIToken {
        guard let tokenHash = Self.presentedTokenHash(request) else { throw Self.invalidToken }
        return try verified(lookUpAPIToken(tokenHash: tokenHash), scope: scope)
    }

    private func verified(_ token: APIToken?, scope: String) throws -> VerifiedAPIToken {
        guard let token else { throw Self.invalidToken }
        guard token.allows(scope) else { throw Self.insufficientScope(scope) }
        let now = timeSource.now()
        return VerifiedAPIToken(token: token, touchAt: isTouchDue(token, at: now) ? now : nil)
    }

    /// `verifyAPIToken` for a route whose whole work is one queued write that calls `recordUse(on:)`: a token
    /// already known skips the read transaction that re-checks its revocation, because the write does that
    /// check in its own transaction. Measured on payment creation under 64 connections: the read was 17,000 of
    /// a creation's 359,000 instructions, its check inside the write about 4,000 (bench/route-cost).
    public func verifyAPITokenInWrite(_ request: Request, scope: String) throws -> VerifiedAPIToken {
        guard let tokenHash = Self.presentedTokenHash(request) else { throw Self.invalidToken }
        guard let known = tokenFacts.withLock({ $0[tokenHash] }) else {
            return try verified(lookUpAPIToken(tokenHash: tokenHash), scope: scope)
        }
        guard known.allows(scope) else { throw Self.insufficientScope(scope) }
        return VerifiedAPIToken(
            cached: known, tokenHash: tokenHash, now: timeSource.now(), touchInterval: settings.touchInterval)
    }

    static let invalidToken = HTTPError(
        status: 401, code: "invalid_token", message: "APIトークンが無効です。",
        headers: [("WWW-Authenticate", "Bearer realm=\"madoguchi\"")])

    static func insufficientScope(_ scope: String) -> HTTPError {
        HTTPError(
            status: 403, code: "insufficient_scope", message: "このAPIトークンにはこの操作の権限がありません。",
            headers: [
                ("WWW-Authenticate", "Bearer realm=\"madoguchi\", error=\"insufficient_scope\", scope=\"\(scope)\"")
            ])
    }

    /// For forms shown before there is a session (login, registration, password reset).
    ///
    /// There is no session row to keep a synchronizer token in, and creating one for every anonymous visit
    /// would turn each page view into a durable write. Instead this is a signed double-submit token: a
    /// random nonce in an HttpOnly `__Host-` cookie, and in the form HMAC-SHA256(server key, nonce). An
    /// attacker's page can neither read the cookie nor compute the HMAC, and `__Host-` stops a subdomain from
    /// planting a nonce of its own. GET sets the cookie when missing; other methods must present both (403).
    public func guest(_ handler: @escaping @Sendable (Request, GuestForm) throws -> Response) -> Handler {
        { [self] request in
            let existingNonce = request.cookie(preSessionCookie.name).flatMap {
                SessionToken.isWellFormed($0) ? $0 : nil
            }
            if Self.isStateChanging(request.method) {
                guard let existingNonce else { throw Self.csrfFailure }
                let expected = preSessionToken(nonce: existingNonce)
                guard let submitted = submittedCSRFToken(request),
                    Digest.constantTimeEquals(Array(submitted.utf8), Array(expected.utf8))
                else { throw Self.csrfFailure }
                return try handler(request, GuestForm(csrfToken: expected))
            }
            let nonce = existingNonce ?? SessionToken.generate()
            var response = try handler(request, GuestForm(csrfToken: preSessionToken(nonce: nonce)))
            if existingNonce == nil { response.headers.append(("Set-Cookie", preSessionCookie.set(nonce))) }
            return response
        }
    }

    // MARK: Who is calling

    /// For forms that upload files: the wrappers read the CSRF token only from urlencoded bodies and the
    /// `X-CSRF-Token` header, so a multipart form's token field is copied into that header first; the wrapper
    /// inside then checks it exactly as for any other form.
    public func acceptingMultipart(_ inner: @escaping Handler) -> Handler {
        { request in try inner(try request.copyingMultipartField(Form.csrfFieldName, toHeader: Self.csrfHeader)) }
    }

    /// The caller's active session, or nil. Pushes the idle timeout back (at most once per `touchInterval`).
    public func currentSession(_ request: Request) throws -> Session? {
        try currentSession(request, alsoReading: { _, _ in () })?.0
    }

    /// The active session and what `alsoReading` reads for it, in the session's one read transaction: a read
    /// costs about 50,000 instructions before its first query (a reader checked out, BEGIN, COMMIT; callgrind,
    /// マイページ), and every resident page asked a second one for the name in the header.
    private func currentSession<Extra>(
        _ request: Request, alsoReading extra: (Session, Connection) throws -> Extra?
    ) throws -> (Session, Extra)? {
        guard let token = request.cookie(sessionCookie.name), SessionToken.isWellFormed(token) else { return nil }
        let now = timeSource.now()
        let pending = pendingTouches.withLock { $0 }
        guard
            let (stored, found) = try database.read({ connection -> (Session, Extra?)? in
                guard let stored = try SessionStore.fetchSession(tokenHash: SessionToken.hash(token), on: connection)
                else { return nil }
                return (stored, try extra(stored, connection))
            })
        else { return nil }
        let session = stored.seen(at: pending[stored.id])
        guard session.isActive(at: now, policy: settings.policy(for: session.subject)) else { return nil }
        touchIfDue(session, now: now)
        guard let found else { return nil }
        return (session, found)
    }

    public func currentResident(_ request: Request) throws -> AuthenticatedResident? {
        guard
            let (session, fullName) = try currentSession(
                request,
                alsoReading: { session, connection -> String? in
                    guard case .resident(let id) = session.subject else { return nil }
                    return try ResidentStore.fetchFullName(id: id, on: connection)
                }), case .resident(let id) = session.subject
        else { return nil }
        return AuthenticatedResident(id: id, fullName: fullName, csrfToken: session.csrfToken, session: session)
    }

    /// The signed-in staff member, if their account is still active: disabling an account ends its access at
    /// the next request even before its sessions are swept.
    public func currentStaff(_ request: Request) throws -> AuthenticatedStaff? {
        guard let session = try currentSession(request), case .staff(let id) = session.subject,
            let member = try database.read({ try StaffStore.fetchStaff(id: id, on: $0) }), member.isActive
        else { return nil }
        return AuthenticatedStaff(member: member, csrfToken: session.csrfToken, session: session)
    }

    public func currentAPIToken(_ request: Request) throws -> APIToken? {
        guard let token = try lookUpAPIToken(request) else { return nil }
        let now = timeSource.now()
        if isTouchDue(token, at: now) {
            do {
                try database.write { try APITokenStore.touchToken(id: token.id, at: now, on: $0) }
            } catch is StorageUnavailableError {
                // Only bookkeeping: on a full disk a token's reads keep working without it.
            }
        }
        return token
    }

    /// The active token the request presents, or nil; reads only. A token seen before is checked by one
    /// primary-key read of what can change (revoked, last used): a revocation, by this process or by the
    /// `token revoke` command in another, refuses the very next request.
    func lookUpAPIToken(_ request: Request) throws -> APIToken? {
        guard let tokenHash = Self.presentedTokenHash(request) else { return nil }
        return try lookUpAPIToken(tokenHash: tokenHash)
    }

    /// The SHA-256 of a well-formed bearer token, or nil: hashed once per request whichever check follows.
    private static func presentedTokenHash(_ request: Request) -> String? {
        guard let presented = bearerToken(request), APITokenRules.isWellFormed(presented) else { return nil }
        return APITokenRules.hash(presented)
    }

    private func lookUpAPIToken(tokenHash: String) throws -> APIToken? {
        if let known = tokenFacts.withLock({ $0[tokenHash] }) {
            guard
                let use = try database.read({
                    try APITokenStore.fetchUse(id: known.id, tokenHash: tokenHash, on: $0)
                })
            else {
                tokenFacts.withLock { _ = $0.removeValue(forKey: tokenHash) }
                return nil
            }
            guard use.revokedAt == nil else { return nil }
            return APIToken(
                id: known.id, name: known.name, scopes: known.scopes, createdAt: known.createdAt, revokedAt: nil,
                lastUsedAt: use.lastUsedAt)
        }
        guard let token = try database.read({ try APITokenStore.fetchToken(tokenHash: tokenHash, on: $0) }),
            !token.isRevoked
        else { return nil }
        tokenFacts.withLock { facts in
            // A handful of integrations hold tokens; the bound only keeps a flood of valid tokens finite.
            if facts.count >= 1024 { facts.removeAll() }
            facts[tokenHash] = token
        }
        return token
    }

    func isTouchDue(_ token: APIToken, at now: Date) -> Bool {
        now.timeIntervalSince(token.lastUsedAt ?? .distantPast) >= settings.touchInterval
    }

    /// The credential of `Authorization: Bearer <token>`, scheme case-insensitive, spaces and tabs around it
    /// dropped. Byte by byte: Foundation's `trimmingCharacters` cost 31,000 instructions a call here.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.header("authorization") else { return nil }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ ($0 >= 65 && $0 <= 90 ? $0 + 32 : $0) == $1 })
        else { return nil }
        var start = scheme.count
        var end = bytes.count
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    // MARK: Starting and ending sessions

    /// A fresh session for `subject`, with a new token and a new CSRF token (rotation at login: a token
    /// planted before login is worth nothing after it). The caller's previous session, if any, is deleted.
    /// `alsoInSameTransaction` runs in the same write, for the audit row and throttle reset of the login.
    public func startSession(
        for subject: SessionSubject, replacing request: Request,
        alsoInSameTransaction: @escaping @Sendable (Connection, Session) throws -> Void = { _, _ in }
    ) throws -> (token: String, session: Session, setCookie: String) {
        let token = SessionToken.generate()
        let csrfToken = SecureRandom.token(byteCount: 32)
        let now = timeSource.now()
        let policy = settings.policy(for: subject)
        let previousToken = request.cookie(sessionCookie.name).flatMap { SessionToken.isWellFormed($0) ? $0 : nil }
        let staffPolicy = settings.staffSessions
        let residentPolicy = settings.residentSessions
        let session = try database.write { connection in
            if let previousToken {
                try SessionStore.deleteSession(tokenHash: SessionToken.hash(previousToken), on: connection)
            }
            // Sweeping here keeps the table small without a background job: logins are frequent enough.
            try SessionStore.deleteExpiredSessions(
                at: now, staff: staffPolicy, resident: residentPolicy, on: connection)
            let id = try SessionStore.insertSession(
                tokenHash: SessionToken.hash(token), subject: subject, csrfToken: csrfToken, at: now,
                absoluteExpiresAt: now.addingTimeInterval(policy.absoluteTimeout), on: connection)
            let session = Session(
                id: id, subject: subject, csrfToken: csrfToken, createdAt: now, lastSeenAt: now,
                absoluteExpiresAt: now.addingTimeInterval(policy.absoluteTimeout))
            try alsoInSameTransaction(connection, session)
            return session
        }
        return (token, session, sessionCookie.set(token))
    }

    /// Deletes the session on the server (the cookie alone is not trusted to go away) and returns the
    /// `Set-Cookie` value that removes it from the browser. The logout is audited in the same write.
    public func endSession(_ session: Session, request: Request) throws -> String {
        let now = timeSource.now()
        let event = AuditEvent(
            actor: session.subject.auditActor, action: "logout", subjectType: session.subject.type,
            subjectID: String(session.subject.id), clientAddress: request.clientAddress, requestID: request.requestID)
        try database.write { connection in
            try SessionStore.deleteSession(id: session.id, on: connection)
            try AuditLog.append(event, at: now, on: connection)
        }
        return sessionCookie.clear()
    }

    /// `Set-Cookie` that removes the session cookie, e.g. when a stale one arrives at the login page.
    public var clearSessionCookie: String { sessionCookie.clear() }

    // MARK: CSRF

    /// Checks the synchronizer token of a state-changing request against the session's; 403 on mismatch.
    public func verifySessionCSRF(_ request: Request, expected: String) throws {
        guard Self.isStateChanging(request.method) else { return }
        guard let submitted = submittedCSRFToken(request),
            Digest.constantTimeEquals(Array(submitted.utf8), Array(expected.utf8))
        else { throw Self.csrfFailure }
    }

    private func submittedCSRFToken(_ request: Request) -> String? {
        if let header = request.header(Self.csrfHeader) { return header }
        guard request.contentType == "application/x-www-form-urlencoded" else { return nil }
        return (try? request.form())?[Form.csrfFieldName]
    }

    private func preSessionToken(nonce: String) -> String {
        Base64URL.encode(Digest.hmacSHA256(key: preSessionKey, message: Array("pre-session-csrf:\(nonce)".utf8)))
    }

    private func touchIfDue(_ session: Session, now: Date) {
        guard now.timeIntervalSince(session.lastSeenAt) >= settings.touchInterval else { return }
        // Queued, not awaited: most pages are GETs answered on a polling thread, which must not wait for a
        // commit. A touch lost to a crash only brings the idle timeout forward by one touch interval.
        pendingTouches.withLock { $0[session.id] = max($0[session.id] ?? now, now) }
        database.write({ try SessionStore.touchSession(id: session.id, at: now, on: $0) }) { [self] _ in
            pendingTouches.withLock { if $0[session.id] == now { $0[session.id] = nil } }
        }
    }

    static func isStateChanging(_ method: String) -> Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    // MARK: Errors

    public static let unauthenticated = HTTPError(
        status: 401, code: "unauthenticated", message: "ログインしてください。")
    public static let forbidden = HTTPError(
        status: 403, code: "forbidden", message: "この操作を行う権限がありません。")
    public static let csrfFailure = HTTPError(
        status: 403, code: "csrf_failed",
        message: "送信を受け付けられませんでした。お手数ですが、前の画面に戻ってページを読み込み直し、もう一度お試しください。")
}

extension SessionSubject {
    /// The audit log's actor for this person.
    public var auditActor: AuditActor {
        switch self {
        case .staff(let id): .staff(id: id)
        case .resident(let id): .resident(id: id)
        }
    }
}

extension AuditEvent {
    /// An event stamped with the request's client address and id, so the audit log, the access log and the
    /// error page the person saw can be matched up.
    public init(
        _ actor: AuditActor, _ action: String, subjectType: String? = nil, subjectID: Int64? = nil,
        request: Request
    ) {
        self.init(
            actor: actor, action: action, subjectType: subjectType, subjectID: subjectID.map { String($0) },
            clientAddress: request.clientAddress, requestID: request.requestID)
    }
}
