import Foundation
import Identity
import Security
import ServiceKit
import Store
import TestSupport

/// Accounts and districts made straight through the stores, so HTTP tests start from a known state.
enum IdentityFixtures {
    static let residentPassword = "correct horse battery"
    static let staffPassword = "a long staff passphrase"
    static let hasher = PasswordHasher(iterations: 1_000)

    static func seedDistricts(_ database: Database) throws {
        try database.write { connection in
            for (index, district) in DemoData.districts.enumerated() {
                try ResidentStore.insertDistrictIfMissing(district, sortOrder: index + 1, on: connection)
            }
        }
    }

    static func profile(name: String = "平取 花子", kana: String = "ビラトリ ハナコ") -> ResidentProfile {
        ResidentProfile(
            fullName: name, fullNameKana: kana, birthDate: "1950-04-01", postalCode: "055-0192",
            address: "北海道沙流郡平取町本町28番地", districtCode: "biratori", phone: nil, contactChannel: .email)
    }

    @discardableResult
    static func createResident(
        _ database: Database, loginID: String = "hanako@example.jp", password: String? = residentPassword,
        name: String = "平取 花子", kana: String = "ビラトリ ハナコ"
    ) throws -> Int64 {
        try seedDistricts(database)
        let hash = password.map { hasher.hash($0) }
        let profile = profile(name: name, kana: kana)
        return try database.write { connection in
            try ResidentStore.insertResident(
                loginID: loginID, passwordHash: hash, profile: profile, via: .web, registeredByStaffID: nil,
                at: ManualTimeSource.defaultStart, on: connection)
        }
    }

    @discardableResult
    static func createStaff(
        _ database: Database, loginID: String, role: StaffRole, department: Department = .residentServices,
        password: String = staffPassword
    ) throws -> Int64 {
        let hash = hasher.hash(password)
        return try database.write { connection in
            try StaffStore.insertStaff(
                NewStaffMember(loginID: loginID, displayName: "職員 \(loginID)", role: role, department: department),
                passwordHash: hash, at: ManualTimeSource.defaultStart, on: connection)
        }
    }

    /// The profile form's fields, as a resident would fill them in.
    static func profileForm(name: String = "平取 花子", kana: String = "びらとり はなこ", channel: String = "email")
        -> [(String, String)]
    {
        [
            ("full_name", name), ("full_name_kana", kana), ("birth_date", "1950-04-01"), ("postal_code", "0550192"),
            ("address", "北海道沙流郡平取町本町28番地"), ("district", "biratori"), ("phone", ""),
            ("contact_channel", channel),
        ]
    }
}

extension Browser {
    /// Opens the login page (which sets the pre-session cookie) and submits it.
    @discardableResult
    func logInAsResident(_ loginID: String = "hanako@example.jp", password: String = IdentityFixtures.residentPassword)
        throws -> BrowserResponse
    {
        _ = try get("/login")
        return try submit("/login", form: [("login_id", loginID), ("password", password)])
    }

    @discardableResult
    func logInAsStaff(_ loginID: String, password: String = IdentityFixtures.staffPassword) throws -> BrowserResponse {
        _ = try get("/staff/login")
        return try submit("/staff/login", form: [("login_id", loginID), ("password", password)])
    }
}

extension TestApplication {
    /// Every audit row, oldest first.
    func auditRecords() throws -> [AuditRecord] {
        try database.read { try AuditLog.fetch(AuditFilter(limit: 10_000), on: $0) }.reversed()
    }
}
