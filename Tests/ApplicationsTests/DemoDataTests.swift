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
        let residentID = try ApplicationFixtures.insertResident(database)
        let staffID = try ApplicationFixtures.insertStaff(database, loginID: "demo-clerk")
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
