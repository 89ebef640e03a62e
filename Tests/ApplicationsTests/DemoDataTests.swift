import Foundation
import Identity
import Store
import TestSupport
import Testing

@testable import Applications

@Suite("Demo data")
struct DemoDataTests {
    @Test func seed_createsApplicationsInDifferentStates_once() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let catalog = try ApplicationFixtures.catalog()
        let residentID = try Fixtures.makeResident(
            database, loginID: "applicant@example.jp", password: nil, profile: ApplicationFixtures.profile,
            at: ApplicationFixtures.now)
        let staffID = try Fixtures.makeStaff(
            database, loginID: "demo-clerk", department: .constructionAndWater, at: ApplicationFixtures.now)
        #expect(
            try ApplicationsDemoData.seed(
                database: database, catalog: catalog, residentID: residentID, staffID: staffID,
                at: ApplicationFixtures.now) == 4)
        #expect(
            try ApplicationsDemoData.seed(
                database: database, catalog: catalog, residentID: residentID, staffID: staffID,
                at: ApplicationFixtures.now) == 0)
        let statuses = try database.read { try ApplicationStore.fetchApplications(residentID: residentID, on: $0) }.map(
            \.status)
        #expect(Set(statuses) == [.received, .inReview, .returned, .completed])
    }
}
