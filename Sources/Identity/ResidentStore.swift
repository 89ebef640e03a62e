import Formats
import Foundation
import Store

/// All SQL on `residents` and `districts`.
public enum ResidentStore {
    public enum RegistrationConflict: Error, Equatable, CustomStringConvertible {
        case loginIDTaken
        public var description: String { "that login id is already registered" }
    }

    private static let columns = """
        id, login_id, password_hash IS NOT NULL AS has_password, full_name, full_name_kana, birth_date, \
        postal_code, address, district_code, phone, contact_channel, registered_via, created_at, updated_at
        """

    /// Inserts a resident and returns the id. `passwordHash` is nil for a counter registration, whose owner
    /// sets a password later with a paper reset code. A login id already registered throws `.loginIDTaken`.
    public static func insertResident(
        loginID: String, passwordHash: String?, profile: ResidentProfile, via channel: RegistrationChannel,
        registeredByStaffID: Int64?, at time: Date, on connection: Connection
    ) throws -> Int64 {
        do {
            try connection.run(
                """
                INSERT INTO residents (login_id, password_hash, full_name, full_name_kana, birth_date, postal_code,
                    address, district_code, phone, contact_channel, registered_via, registered_by_staff_id,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    loginID, passwordHash, profile.fullName, profile.fullNameKana, profile.birthDate,
                    profile.postalCode, profile.address, profile.districtCode, profile.phone,
                    profile.contactChannel.rawValue, channel.rawValue, registeredByStaffID, time, time,
                ])
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw RegistrationConflict.loginIDTaken
        }
        return connection.lastInsertRowID
    }

    public static func fetchResident(id: Int64, on connection: Connection) throws -> Resident? {
        try connection.queryFirst("SELECT \(columns) FROM residents WHERE id = ?", id).map(decode)
    }

    public static func fetchResident(loginID: String, on connection: Connection) throws -> Resident? {
        try connection.queryFirst("SELECT \(columns) FROM residents WHERE login_id = ?", loginID).map(decode)
    }

    /// The name shown in the page header ("〇〇 さん"); cheaper than the whole record on every request.
    static func fetchFullName(id: Int64, on connection: Connection) throws -> String? {
        try connection.scalar("SELECT full_name FROM residents WHERE id = ?", id, as: String.self)
    }

    /// The id and password hash (nil until a counter-registered resident sets one), for the identity provider.
    static func fetchCredentials(loginID: String, on connection: Connection) throws -> (
        id: Int64, passwordHash: String?
    )? {
        guard let row = try connection.queryFirst("SELECT id, password_hash FROM residents WHERE login_id = ?", loginID)
        else { return nil }
        return (try row.get("id"), try row.get("password_hash"))
    }

    public static func updateProfile(
        residentID: Int64, _ profile: ResidentProfile, at time: Date, on connection: Connection
    ) throws {
        try connection.run(
            """
            UPDATE residents SET full_name = ?, full_name_kana = ?, birth_date = ?, postal_code = ?, address = ?,
                district_code = ?, phone = ?, contact_channel = ?, updated_at = ?
            WHERE id = ?
            """,
            arguments: [
                profile.fullName, profile.fullNameKana, profile.birthDate, profile.postalCode, profile.address,
                profile.districtCode, profile.phone, profile.contactChannel.rawValue, time, residentID,
            ])
    }

    public static func updatePasswordHash(residentID: Int64, hash: String, at time: Date, on connection: Connection)
        throws
    {
        try connection.run(
            "UPDATE residents SET password_hash = ?, updated_at = ? WHERE id = ?", hash, time, residentID)
    }

    /// Residents whose name or furigana contains `text`, or whose login id is exactly `loginID`, by furigana.
    public static func searchResidents(
        nameContaining text: String, loginID: String?, limit: Int, on connection: Connection
    ) throws -> [ResidentSummary] {
        let pattern = "%" + escapeLike(text) + "%"
        let kanaPattern = "%" + escapeLike(Kana.katakana(text)) + "%"
        return try connection.query(
            """
            SELECT id, full_name, full_name_kana, birth_date, district_code FROM residents
            WHERE full_name LIKE ? ESCAPE '\\' OR full_name_kana LIKE ? ESCAPE '\\' OR login_id = ?
            ORDER BY full_name_kana, id LIMIT ?
            """, pattern, kanaPattern, loginID ?? "", limit
        ).map { row in
            ResidentSummary(
                id: try row.get("id"), fullName: try row.get("full_name"), fullNameKana: try row.get("full_name_kana"),
                birthDate: try row.get("birth_date"), districtCode: try row.get("district_code"))
        }
    }

    /// How to reach each of `ids` that exists, for modules that write to residents (a notice's fallback list
    /// and its {氏名} and {地区}): they read residents through here, never by SQL of their own.
    public static func fetchContacts(ids: some Collection<Int64>, on connection: Connection) throws -> [Int64:
        ResidentContact]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query(
            """
            SELECT r.id, r.full_name, r.full_name_kana, r.postal_code, r.address, r.phone, r.contact_channel,
                   r.district_code, d.name AS district_name
            FROM residents r LEFT JOIN districts d ON d.code = r.district_code
            WHERE r.id IN (SELECT value FROM json_each(?))
            """, "[" + ids.map(String.init).joined(separator: ",") + "]")
        var contacts: [Int64: ResidentContact] = [:]
        for row in rows {
            guard let channel = ContactChannel(rawValue: try row.get("contact_channel")) else {
                throw RowDecodingError(column: "contact_channel", reason: "unknown channel")
            }
            let contact = ResidentContact(
                id: try row.get("id"), fullName: try row.get("full_name"), fullNameKana: try row.get("full_name_kana"),
                postalCode: try row.get("postal_code"), address: try row.get("address"), phone: try row.get("phone"),
                contactChannel: channel, districtCode: try row.get("district_code"),
                districtName: try row.get("district_name"))
            contacts[contact.id] = contact
        }
        return contacts
    }

    /// Residents with an account made before `instant`: the KPI's default population when an admin has not
    /// entered the 住民基本台帳 figure for a year.
    public static func countResidents(registeredBefore instant: Date, on connection: Connection) throws -> Int {
        try connection.scalar("SELECT count(*) FROM residents WHERE created_at < ?", instant, as: Int.self) ?? 0
    }

    /// The ids of the residents of a district, in id order.
    public static func fetchResidentIDs(districtCode: String, on connection: Connection) throws -> [Int64] {
        try connection.query("SELECT id FROM residents WHERE district_code = ? ORDER BY id", districtCode).map {
            try $0.get("id")
        }
    }

    public static func fetchDistricts(on connection: Connection) throws -> [District] {
        try connection.query("SELECT code, name, kana FROM districts ORDER BY sort_order, code").map { row in
            District(code: try row.get("code"), name: try row.get("name"), kana: try row.get("kana"))
        }
    }

    /// Adds a district unless its code exists; returns true when it was added. For demo data and set-up.
    @discardableResult
    public static func insertDistrictIfMissing(_ district: District, sortOrder: Int, on connection: Connection) throws
        -> Bool
    {
        try connection.run(
            "INSERT INTO districts (code, name, kana, sort_order) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            district.code, district.name, district.kana, sortOrder) == 1
    }

    private static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    private static func decode(_ row: Row) throws -> Resident {
        guard let channel = ContactChannel(rawValue: try row.get("contact_channel")) else {
            throw RowDecodingError(column: "contact_channel", reason: "unknown channel")
        }
        guard let registeredVia = RegistrationChannel(rawValue: try row.get("registered_via")) else {
            throw RowDecodingError(column: "registered_via", reason: "unknown channel")
        }
        return Resident(
            id: try row.get("id"), loginID: try row.get("login_id"),
            profile: ResidentProfile(
                fullName: try row.get("full_name"), fullNameKana: try row.get("full_name_kana"),
                birthDate: try row.get("birth_date"), postalCode: try row.get("postal_code"),
                address: try row.get("address"), districtCode: try row.get("district_code"),
                phone: try row.get("phone"), contactChannel: channel),
            registeredVia: registeredVia, hasPassword: try row.get("has_password"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }
}

/// What another module may know about a resident to reach them: no login id, birth date or password state.
public struct ResidentContact: Sendable, Equatable {
    public let id: Int64
    public let fullName: String
    public let fullNameKana: String
    public let postalCode: String
    public let address: String
    /// Digits only.
    public let phone: String?
    public let contactChannel: ContactChannel
    public let districtCode: String
    /// Nil only if the district row is gone.
    public let districtName: String?
}
