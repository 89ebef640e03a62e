import Cryptography
import Foundation
import Identity
import Security
import ServiceKit
import Store
import TestSupport

@testable import Applications

/// Builders shared by the Applications tests: the real catalog, and residents and staff inserted the way
/// Identity stores them.
enum ApplicationFixtures {
    static let proceduresDirectory = RepositoryPaths.schemas.appendingPathComponent("procedures")

    static func catalog() throws -> ProcedureCatalog {
        try ProcedureCatalog.load(directory: proceduresDirectory)
    }

    /// 2026-06-01 10:00 JST.
    static let now = Date(timeIntervalSince1970: 1_780_275_600)

    static let profile = ResidentProfile(
        fullName: "平取 花子", fullNameKana: "ビラトリ ハナコ", birthDate: "1960-04-01", postalCode: "055-0107",
        address: "北海道沙流郡平取町本町1番地", districtCode: "biratori", phone: "0145720000", contactChannel: .email)

    static func insertDistrict(on connection: Connection) throws {
        try connection.run(
            "INSERT OR IGNORE INTO districts (code, name, kana, sort_order) VALUES ('biratori', '平取', 'びらとり', 1)")
    }

    static func insertResident(
        _ database: Database, loginID: String = "hanako\(UUID().uuidString.prefix(8).lowercased())@example.jp",
        passwordHash: String? = nil
    ) throws -> Int64 {
        try database.write { connection in
            try insertDistrict(on: connection)
            return try ResidentStore.insertResident(
                loginID: loginID, passwordHash: passwordHash, profile: profile, via: .web, registeredByStaffID: nil,
                at: now, on: connection)
        }
    }

    static func insertStaff(
        _ database: Database, loginID: String, role: StaffRole = .clerk,
        department: Department = .constructionAndWater, passwordHash: String = "pbkdf2-sha256$1000$AAAA$AAAA"
    ) throws -> Int64 {
        try database.write { connection in
            try StaffStore.insertStaff(
                NewStaffMember(loginID: loginID, displayName: "職員 \(loginID)", role: role, department: department),
                passwordHash: passwordHash, at: now, on: connection)
        }
    }

    /// A submitted (received) application for `procedure`.
    static func submit(
        _ database: Database, procedure: Procedure, residentID: Int64?, answers: Answers = [:],
        at time: Date = now, guestSecret: String? = nil
    ) throws -> StoredApplication {
        let token = SecureRandom.token()
        return try database.write { connection in
            guard
                case .saved(let id) = try ApplicationStore.saveDraft(
                    NewApplication(
                        procedure: procedure, residentID: residentID, channel: .web, answers: answers,
                        submissionToken: token),
                    at: time, on: connection)
            else { throw FixtureError() }
            _ = try ApplicationStore.submitDraft(
                id: id, guestSecretHash: guestSecret.map(GuestSecret.hash), at: time, on: connection)
            return try ApplicationStore.fetchApplication(id: id, on: connection)!
        }
    }

    struct FixtureError: Error {}
}
