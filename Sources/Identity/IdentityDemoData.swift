import Cryptography
import Foundation
import Security
import Store

/// The demo districts and accounts `madoguchi demo-data --dev` creates, so `make run` can be clicked
/// through in a browser. Development only: the passwords are printed on the console.
public enum IdentityDemoData {
    /// The town's three districts (地区).
    public static let districts = [
        District(code: "biratori", name: "平取", kana: "びらとり"),
        District(code: "furenai", name: "振内", kana: "ふれない"),
        District(code: "nukibetsu", name: "貫気別", kana: "ぬきべつ"),
    ]

    public static let adminLoginID = "admin"
    /// example.jp is reserved for documentation (JPRS), so no real mailbox can be reached through it.
    public static let residentLoginID = "hanako@example.jp"
    /// A clerk of 建設水道課, which handles the water and road procedures most demo applications use.
    public static let clerkLoginID = "clerk"

    public static let residentProfile = ResidentProfile(
        fullName: "平取 花子", fullNameKana: "ビラトリ ハナコ", birthDate: "1950-04-01", postalCode: "055-0192",
        address: "北海道沙流郡平取町本町28番地", districtCode: "biratori", phone: nil, contactChannel: .email)

    public struct Account: Sendable {
        public let loginID: String
        public let password: String
        /// False when the account existed and only its password was replaced.
        public let created: Bool
    }

    public struct Result: Sendable {
        public let districtsAdded: Int
        public let admin: Account
        public let clerk: Account
        public let clerkID: Int64
        public let resident: Account
        public let residentID: Int64
    }

    /// Adds what is missing and gives both demo accounts a fresh random password, so running it again
    /// creates nothing twice yet always prints passwords that work.
    public static func seed(database: Database, hasher: PasswordHasher, at now: Date) throws -> Result {
        let adminPassword = makePassword()
        let clerkPassword = makePassword()
        let residentPassword = makePassword()
        let adminHash = hasher.hash(adminPassword)
        let clerkHash = hasher.hash(clerkPassword)
        let residentHash = hasher.hash(residentPassword)
        return try database.write { connection in
            var districtsAdded = 0
            for (index, district) in districts.enumerated()
            where try ResidentStore.insertDistrictIfMissing(district, sortOrder: index + 1, on: connection) {
                districtsAdded += 1
            }

            let admin = try ensureStaff(
                NewStaffMember(
                    loginID: adminLoginID, displayName: "デモ管理者", role: .admin, department: .generalAffairs),
                passwordHash: adminHash, at: now, on: connection)
            let clerk = try ensureStaff(
                NewStaffMember(
                    loginID: clerkLoginID, displayName: "デモ担当者", role: .clerk, department: .constructionAndWater),
                passwordHash: clerkHash, at: now, on: connection)

            let residentCreated: Bool
            let residentID: Int64
            if let resident = try ResidentStore.fetchResident(loginID: residentLoginID, on: connection) {
                try ResidentStore.updatePasswordHash(
                    residentID: resident.id, hash: residentHash, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        actor: .system, action: "resident.password_reset", subjectType: "resident",
                        subjectID: String(resident.id)),
                    at: now, on: connection)
                residentCreated = false
                residentID = resident.id
            } else {
                let id = try ResidentStore.insertResident(
                    loginID: residentLoginID, passwordHash: residentHash, profile: residentProfile, via: .web,
                    registeredByStaffID: nil, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        actor: .system, action: "resident.create", subjectType: "resident", subjectID: String(id)),
                    at: now, on: connection)
                residentCreated = true
                residentID = id
            }
            return Result(
                districtsAdded: districtsAdded,
                admin: Account(loginID: adminLoginID, password: adminPassword, created: admin.created),
                clerk: Account(loginID: clerkLoginID, password: clerkPassword, created: clerk.created),
                clerkID: clerk.id,
                resident: Account(loginID: residentLoginID, password: residentPassword, created: residentCreated),
                residentID: residentID)
        }
    }

    /// Creates the demo staff member, or gives the existing one the new password; audited either way.
    private static func ensureStaff(
        _ member: NewStaffMember, passwordHash: String, at now: Date, on connection: Connection
    ) throws -> (id: Int64, created: Bool) {
        if let existing = try StaffStore.fetchStaff(loginID: member.loginID, on: connection) {
            try StaffStore.updatePasswordHash(staffID: existing.id, hash: passwordHash, at: now, on: connection)
            try AuditLog.append(
                AuditEvent(
                    actor: .system, action: "staff.password_reset", subjectType: "staff", subjectID: String(existing.id)
                ),
                at: now, on: connection)
            return (existing.id, false)
        }
        let id = try StaffStore.insertStaff(member, passwordHash: passwordHash, at: now, on: connection)
        try AuditLog.append(
            AuditEvent(actor: .system, action: "staff.create", subjectType: "staff", subjectID: String(id)),
            at: now, on: connection)
        return (id, true)
    }

    /// 16 characters without look-alikes: long enough for staff rules, easy to copy from a terminal.
    static func makePassword() -> String {
        SecureRandom.string(length: 16, alphabet: Array("abcdefghjkmnpqrstuvwxyz23456789"))
    }
}
