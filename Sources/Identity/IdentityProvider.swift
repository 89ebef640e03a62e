import Foundation
import Security
import Store

/// Proves who someone is. Passwords are the only provider today; a My Number Card (JPKI) provider would be
/// a second conformance with its own credential type (a signed challenge and certificate) and its own login
/// route, handing the same `AuthenticatedIdentity` to the same session code. Nothing downstream — sessions,
/// roles, the handler wrappers other modules use — would change.
public protocol IdentityProvider<Credential>: Sendable {
    associatedtype Credential: Sendable
    /// How the person proved it, for the audit log: "password", later "jpki".
    var method: String { get }
    /// Never says which part of a credential was wrong: callers show one message for every rejection.
    func authenticate(_ credential: Credential) throws -> AuthenticationResult
}

public enum AuthenticationResult: Sendable, Equatable {
    case authenticated(SessionSubject)
    /// `knownAccount` is the account the ID named, if it exists: for the audit log only, never for the
    /// response, which must look the same either way.
    case rejected(knownAccount: SessionSubject?)
}

public struct PasswordCredential: Sendable {
    public let loginID: String
    public let password: String
    /// Where the password's key derivation waits for a slot (a known device's login has its own lane).
    public var keyDerivationLane = KeyDerivationPool.Lane.ordinary

    public init(loginID: String, password: String) {
        self.loginID = loginID
        self.password = password
    }
}

/// Login ID + password against the stored PBKDF2 hash, for staff or for residents.
public struct PasswordIdentityProvider: IdentityProvider {
    public let kind: AccountKind
    let database: Database
    let hasher: PasswordHasher
    let keyDerivation: KeyDerivationPool
    let timeSource: any TimeSource

    public init(
        kind: AccountKind, database: Database, hasher: PasswordHasher, keyDerivation: KeyDerivationPool,
        timeSource: any TimeSource
    ) {
        self.kind = kind
        self.database = database
        self.hasher = hasher
        self.keyDerivation = keyDerivation
        self.timeSource = timeSource
    }

    public var method: String { "password" }

    public func authenticate(_ credential: PasswordCredential) throws -> AuthenticationResult {
        let lane = credential.keyDerivationLane
        guard let loginID = Self.normalize(credential.loginID, kind: kind) else {
            // Spend the same time as a real check, so timing does not tell a malformed ID from a wrong password.
            try keyDerivation.run(lane: lane) { hasher.simulateVerification(credential.password) }
            return .rejected(knownAccount: nil)
        }
        // Read the hash on a reader and verify outside the writer: PBKDF2 takes ~0.3 s and must not hold
        // the serial writer.
        let stored: (subject: SessionSubject, hash: String?)? = try database.read { connection in
            switch kind {
            case .staff:
                try StaffStore.fetchActiveCredentials(loginID: loginID, on: connection).map {
                    (.staff(id: $0.id), $0.passwordHash)
                }
            case .resident:
                try ResidentStore.fetchCredentials(loginID: loginID, on: connection).map {
                    (.resident(id: $0.id), $0.passwordHash)
                }
            }
        }
        guard let stored, let hash = stored.hash else {
            try keyDerivation.run(lane: lane) { hasher.simulateVerification(credential.password) }
            return .rejected(knownAccount: stored?.subject)
        }
        guard try keyDerivation.run(lane: lane, { hasher.verify(credential.password, against: hash) }) else {
            return .rejected(knownAccount: stored.subject)
        }
        if hasher.needsRehash(hash) {
            // The iteration count was raised since this hash was made: upgrade it while we know the password.
            let upgraded = try keyDerivation.run(lane: lane) { hasher.hash(credential.password) }
            let now = timeSource.now()
            let subject = stored.subject
            try database.write { connection in
                switch subject {
                case .staff(let id):
                    try StaffStore.updatePasswordHash(staffID: id, hash: upgraded, at: now, on: connection)
                case .resident(let id):
                    try ResidentStore.updatePasswordHash(residentID: id, hash: upgraded, at: now, on: connection)
                }
            }
        }
        return .authenticated(stored.subject)
    }

    static func normalize(_ loginID: String, kind: AccountKind) -> String? {
        switch kind {
        case .staff: StaffRules.normalizeLoginID(loginID)
        case .resident: ResidentRules.normalizeLoginID(loginID)
        }
    }
}
