import Foundation
import Identity
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@testable import Applications

@Suite("Application store")
struct ApplicationStoreTests {
    @Test func draft_submit_isIdempotentPerToken() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "water-start"))
        let residentID = try Fixtures.makeResident(
            database, loginID: "applicant@example.jp", password: nil, profile: ApplicationFixtures.profile,
            at: ApplicationFixtures.now)
        let new = NewApplication(
            procedure: procedure, residentID: residentID, channel: .web, answers: ["phone": .text("0145720000")],
            submissionToken: "token-0123456789abcdef")
        let now = ApplicationFixtures.now
        let first = try database.write { try ApplicationStore.saveDraft(new, at: now, on: $0) }
        let second = try database.write { try ApplicationStore.saveDraft(new, at: now, on: $0) }
        #expect(first == second)
        guard case .saved(let id) = first else { Issue.record("not saved"); return }
        let reference = try database.write {
            try ApplicationStore.submitDraft(id: id, guestSecretHash: nil, at: now, on: $0)
        }
        #expect(reference.map(ReferenceNumber.isValid) == true)
        let again = try database.write {
            try ApplicationStore.submitDraft(id: id, guestSecretHash: nil, at: now, on: $0)
        }
        #expect(again == nil)
        let third = try database.write { try ApplicationStore.saveDraft(new, at: now, on: $0) }
        guard case .alreadySubmitted(let stored) = third else { Issue.record("expected alreadySubmitted"); return }
        #expect(stored.reference == reference)
        // Another resident presenting the same token gets nothing.
        var stranger = new
        stranger.residentID = nil
        let other = stranger
        #expect(try database.write { try ApplicationStore.saveDraft(other, at: now, on: $0) } == .notOwner)
    }

    @Test func claimRace_exactlyOneClerkWins() async throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "road-light-report"))
        let application = try ApplicationFixtures.submit(
            database, procedure: procedure, residentID: nil, guestSecret: "X")
        let clerks = try (0..<8).map {
            try Fixtures.makeStaff(
                database, loginID: "clerk\($0)", department: .constructionAndWater, at: ApplicationFixtures.now)
        }
        let results = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
            for clerk in clerks {
                group.addTask {
                    let won = try await database.write {
                        try ApplicationStore.claimApplication(
                            id: application.id, staffID: clerk, at: ApplicationFixtures.now, on: $0)
                    }
                    return (clerk, won)
                }
            }
            return try await group.reduce(into: [(Int64, Bool)]()) { $0.append($1) }
        }
        let winners = results.filter(\.1)
        #expect(winners.count == 1)
        let stored = try database.read { try ApplicationStore.fetchApplication(id: application.id, on: $0) }
        #expect(stored?.assignedStaffID == winners.first?.0)
    }

    @Test func updateStatus_checksTheCurrentStatus_andStampsRetention() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "water-stop"))
        let application = try ApplicationFixtures.submit(
            database, procedure: procedure, residentID: nil, guestSecret: "X")
        let now = ApplicationFixtures.now
        #expect(
            try database.write {
                try ApplicationStore.updateStatus(id: application.id, from: .inReview, to: .approved, at: now, on: $0)
            } == false)
        #expect(
            try database.write {
                try ApplicationStore.updateStatus(id: application.id, from: .received, to: .withdrawn, at: now, on: $0)
            })
        let closed = try #require(
            try database.read { try ApplicationStore.fetchApplication(id: application.id, on: $0) })
        #expect(closed.closedAt == now)
        #expect(closed.retainUntil == ApplicationRules.retainUntil(closedAt: now, retentionYears: 5))
    }

    @Test func purge_removesPersonalData_keepsCounts_andAudits() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let procedure = try #require(try ApplicationFixtures.catalog().procedure(code: "road-light-report"))
        let residentID = try Fixtures.makeResident(
            database, loginID: "applicant@example.jp", password: nil, profile: ApplicationFixtures.profile,
            at: ApplicationFixtures.now)
        let now = ApplicationFixtures.now
        let old = try ApplicationFixtures.submit(
            database, procedure: procedure, residentID: residentID, answers: ["location": .text("本町")])
        let open = try ApplicationFixtures.submit(
            database, procedure: procedure, residentID: residentID, answers: ["location": .text("振内")])
        try database.write { connection in
            _ = try ApplicationStore.updateStatus(id: old.id, from: .received, to: .withdrawn, at: now, on: connection)
            try ApplicationStore.replaceAttachment(
                applicationID: old.id,
                NewAttachment(field: "photo", filename: "a.png", contentType: "image/png", data: SampleFiles.png),
                at: now, on: connection)
            try ResidentMessages.send(
                subject: "件名", body: "本文", to: residentID, source: ApplicationsModule.name, recordID: old.id, at: now,
                on: connection)
            try UsageEvents.record(
                UsageEvent(
                    source: ApplicationsModule.name, kind: "submitted", channel: .web,
                    person: .resident(id: residentID), subjectCode: procedure.code), at: now, on: connection)
        }
        let job = RetentionJob(database: database)
        // Within the retention period nothing happens.
        #expect(try job.run(now: now.addingTimeInterval(86_400)).purgedApplicationIDs.isEmpty)
        let later = now.addingTimeInterval(4 * 365 * 86_400)
        #expect(try job.run(now: later, dryRun: true).purgedApplicationIDs == [old.id])
        #expect(try database.read { try ApplicationStore.fetchApplication(id: old.id, on: $0) }?.purgedAt == nil)
        #expect(try job.run(now: later).purgedApplicationIDs == [old.id])
        let purged = try #require(try database.read { try ApplicationStore.fetchApplication(id: old.id, on: $0) })
        #expect(purged.answers.isEmpty)
        #expect(purged.residentID == nil)
        #expect(purged.purgedAt == later)
        #expect(purged.status == .withdrawn)
        let remaining = try database.read { connection in
            (
                attachments: try ApplicationStore.fetchAttachments(applicationID: old.id, on: connection).count,
                messages: try ApplicationStore.fetchResidentMessages(applicationID: old.id, on: connection).count,
                usage: try connection.scalar("SELECT count(*) FROM usage_events", as: Int.self),
                audits: try connection.scalar(
                    "SELECT count(*) FROM audit_log WHERE action = 'application.purge' AND subject_id = ?",
                    String(old.id),
                    as: Int.self),
                openAnswers: try ApplicationStore.fetchApplication(id: open.id, on: connection)?.answers.count
            )
        }
        #expect(remaining.attachments == 0)
        #expect(remaining.messages == 0)
        #expect(remaining.usage == 1)
        #expect(remaining.audits == 1)
        #expect(remaining.openAnswers == 1)
        // A second run finds nothing more.
        #expect(try job.run(now: later).purgedApplicationIDs.isEmpty)
    }

    @Test func usageEvents_usePseudonymousKeys_andFiscalYear() throws {
        let directory = TemporaryDirectory()
        let database = try Fixtures.makeDatabase(in: directory)
        let residentID = try Fixtures.makeResident(
            database, loginID: "applicant@example.jp", password: nil, profile: ApplicationFixtures.profile,
            at: ApplicationFixtures.now)
        try database.write { connection in
            for _ in 0..<2 {
                try UsageEvents.record(
                    UsageEvent(
                        source: ApplicationsModule.name, kind: "submitted", channel: .web,
                        person: .resident(id: residentID), subjectCode: "water-start"),
                    at: ApplicationFixtures.now, on: connection)
            }
            try UsageEvents.record(
                UsageEvent(
                    source: ApplicationsModule.name, kind: "looked_up", channel: .web,
                    person: .guest(record: "application", id: 1), subjectCode: "water-start"),
                at: ApplicationFixtures.now, on: connection)
        }
        let (distinct, key) = try database.read { connection in
            (
                try connection.scalar(
                    "SELECT count(DISTINCT resident_key) FROM usage_events WHERE fiscal_year = 2026", as: Int.self),
                try connection.scalar("SELECT resident_key FROM usage_events LIMIT 1", as: String.self)
            )
        }
        #expect(distinct == 2)
        #expect(key?.count == 64)
    }
}
