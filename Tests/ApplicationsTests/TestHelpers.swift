import Cryptography
import Foundation
import Identity
import Security
import ServiceKit
import Store
import TestSupport

@testable import Applications

/// Builders shared by the Applications tests: the real catalog and submitted applications. People come from
/// TestSupport's `Fixtures`.
enum ApplicationFixtures {
    static let proceduresDirectory = RepositoryPaths.schemas.appendingPathComponent("procedures")

    static func catalog() throws -> ProcedureCatalog {
        try ProcedureCatalog.load(directory: proceduresDirectory)
    }

    /// 2026-06-01 10:00 JST.
    static let now = Date(timeIntervalSince1970: 1_780_275_600)

    /// The applicant: the shared resident, with a phone number for the forms that ask for one.
    static let profile = Fixtures.residentProfile(phone: "0145720000")

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
