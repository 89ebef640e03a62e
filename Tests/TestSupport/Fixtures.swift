import Cryptography
import Foundation
import Identity
import Security
import ServiceKit
import Store

/// The one set of factories every test target uses: databases built the way production builds them, and
/// districts, residents, staff and LINE links inserted through the same stores the server uses.
public enum Fixtures {
    public static let residentPassword = "correct horse battery"
    public static let staffPassword = "a long staff passphrase"
    public static let residentLoginID = "hanako@example.jp"
    /// Cut to 1,000 iterations (as `TestApplication` is) so tests can make and log in accounts often.
    public static let passwordHasher = PasswordHasher(iterations: 1_000)

    // MARK: Databases

    /// A migrated database in `directory`, with the town's districts when `withDistricts`. The caller keeps
    /// `directory` alive as long as the database.
    public static func makeDatabase(
        in directory: TemporaryDirectory, name: String = "test.sqlite",
        configuration: DatabaseConfiguration = DatabaseConfiguration(), withDistricts: Bool = false
    ) throws -> Database {
        let database = try Database(path: directory.path(name), configuration: configuration)
        try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        if withDistricts { try seedDistricts(database) }
        return database
    }

    /// The demo districts (biratori, furenai, nukibetsu); safe to call again.
    public static func seedDistricts(_ database: Database) throws {
        try database.write { try seedDistricts(on: $0) }
    }

    public static func seedDistricts(on connection: Connection) throws {
        for (index, district) in IdentityDemoData.districts.enumerated() {
            try ResidentStore.insertDistrictIfMissing(district, sortOrder: index + 1, on: connection)
        }
    }

    // MARK: Residents

    public static func residentProfile(
        name: String = "平取 花子", kana: String = "ビラトリ ハナコ", birthDate: String = "1950-04-01",
        postalCode: String = "055-0192", address: String = "北海道沙流郡平取町本町28番地", district: String = "biratori",
        phone: String? = nil, contactChannel: ContactChannel = .email
    ) -> ResidentProfile {
        ResidentProfile(
            fullName: name, fullNameKana: kana, birthDate: birthDate, postalCode: postalCode, address: address,
            districtCode: district, phone: phone, contactChannel: contactChannel)
    }

    /// The profile form's fields for `residentProfile()`, as a resident types them (kana in hiragana, the
    /// postal code without its hyphen).
    public static func residentProfileForm(
        name: String = "平取 花子", kana: String = "びらとり はなこ", channel: String = "email"
    ) -> [(String, String)] {
        [
            ("full_name", name), ("full_name_kana", kana), ("birth_date", "1950-04-01"), ("postal_code", "0550192"),
            ("address", "北海道沙流郡平取町本町28番地"), ("district", "biratori"), ("phone", ""),
            ("contact_channel", channel),
        ]
    }

    /// A resident registered on the web, districts seeded first. `password: nil` leaves the account without
    /// one, as a counter registration does; `lineUserID` gives them an active LINE link.
    @discardableResult
    public static func makeResident(
        _ database: Database, loginID: String = residentLoginID, password: String? = residentPassword,
        profile: ResidentProfile = residentProfile(), lineUserID: String? = nil,
        at time: Date = ManualTimeSource.defaultStart
    ) throws -> Int64 {
        let hash = password.map { passwordHasher.hash($0) }
        return try database.write { connection in
            try seedDistricts(on: connection)
            let id = try ResidentStore.insertResident(
                loginID: loginID, passwordHash: hash, profile: profile, via: .web, registeredByStaffID: nil, at: time,
                on: connection)
            if let lineUserID { try linkLINE(residentID: id, lineUserID: lineUserID, at: time, on: connection) }
            return id
        }
    }

    /// A LINE user id in LINE's shape: `U` and 32 hex digits.
    public static func lineUserID(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return "U" + String(repeating: "0", count: 32 - hex.count) + hex
    }

    /// `count` residents in `district` without passwords (町民1, 町民2, …), in one transaction; those with
    /// `linked(index)` true get an active link to `lineUserID(firstNumber + index)`. Returns their ids in order.
    @discardableResult
    public static func makeResidents(
        _ database: Database, count: Int, district: String = "biratori", firstNumber: Int = 1,
        at time: Date = ManualTimeSource.defaultStart, linked: @escaping @Sendable (Int) -> Bool = { _ in true }
    ) throws -> [Int64] {
        try database.write { connection in
            try seedDistricts(on: connection)
            return try (0..<count).map { index in
                let number = firstNumber + index
                let profile = residentProfile(
                    name: "町民\(number)", kana: "ちょうみん\(number)", postalCode: "055-0101", address: "平取町本町\(number)",
                    district: district, phone: "01457000000", contactChannel: .line)
                let id = try ResidentStore.insertResident(
                    loginID: "resident\(number)@example.jp", passwordHash: nil, profile: profile, via: .web,
                    registeredByStaffID: nil, at: time, on: connection)
                if linked(index) {
                    try linkLINE(residentID: id, lineUserID: lineUserID(number), at: time, on: connection)
                }
                return id
            }
        }
    }

    /// An active LINE link the resident made themselves.
    public static func linkLINE(residentID: Int64, lineUserID: String, at time: Date, on connection: Connection)
        throws
    {
        try connection.run(
            """
            INSERT INTO line_links (resident_id, line_user_id, active, linked_at, linked_by)
            VALUES (?, ?, 1, ?, 'resident')
            """, residentID, lineUserID, time)
    }

    // MARK: Staff

    /// A staff member named 「職員 <loginID>」.
    @discardableResult
    public static func makeStaff(
        _ database: Database, loginID: String, role: StaffRole = .clerk,
        department: Department = .residentServices, password: String = staffPassword,
        at time: Date = ManualTimeSource.defaultStart
    ) throws -> Int64 {
        let hash = passwordHasher.hash(password)
        return try database.write { connection in
            try StaffStore.insertStaff(
                NewStaffMember(loginID: loginID, displayName: "職員 \(loginID)", role: role, department: department),
                passwordHash: hash, at: time, on: connection)
        }
    }

    // MARK: Audit

    /// Every audit row, oldest first.
    public static func auditRecords(_ database: Database) throws -> [AuditRecord] {
        try database.read { try AuditLog.fetch(AuditFilter(limit: 10_000), on: $0) }.reversed()
    }
}

// MARK: Sessions

/// Logging in through the same forms a person uses, so the session, pre-session and CSRF cookies are real.
extension Browser {
    /// Opens the resident login page (which sets the pre-session cookie) and submits it; returns the answer,
    /// for tests about logins that fail.
    @discardableResult
    public func submitResidentLogin(
        _ loginID: String = Fixtures.residentLoginID, password: String = Fixtures.residentPassword
    ) throws -> BrowserResponse {
        _ = try get("/login")
        return try submit("/login", form: [("login_id", loginID), ("password", password)])
    }

    @discardableResult
    public func submitStaffLogin(_ loginID: String, password: String = Fixtures.staffPassword) throws
        -> BrowserResponse
    {
        _ = try get("/staff/login")
        return try submit("/staff/login", form: [("login_id", loginID), ("password", password)])
    }

    /// Logs a resident in, or throws if the login is not answered with the redirect a success gets.
    public func signInAsResident(
        _ loginID: String = Fixtures.residentLoginID, password: String = Fixtures.residentPassword
    ) throws {
        let response = try submitResidentLogin(loginID, password: password)
        guard response.status == 303 else { throw SignInFailed(who: loginID, status: response.status) }
    }

    /// Logs a staff member in, or throws if the login is not answered with the redirect a success gets.
    public func signInAsStaff(_ loginID: String, password: String = Fixtures.staffPassword) throws {
        let response = try submitStaffLogin(loginID, password: password)
        guard response.status == 303 else { throw SignInFailed(who: loginID, status: response.status) }
    }
}

public struct SignInFailed: Error, CustomStringConvertible {
    public let who: String
    public let status: Int
    public var description: String { "login as \(who) failed: \(status)" }
}
