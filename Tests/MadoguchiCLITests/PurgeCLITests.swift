// Applications is built for TestSupport (through App). The tests use its store only to write applications the
// way the server does, with timestamps in the past, then judge the binary by its output, exit code and rows.
import Applications
import Cryptography
import Foundation
import Security
import ServiceKit
import Store
import TestSupport
import Testing

@Suite("madoguchi purge")
struct PurgeCLITests {
    let directory = TemporaryDirectory()

    /// 2015-04-01T00:00:00Z: closed in May 2015, a five-year retention period ended in 2020, before any run.
    static let longAgo = Date(timeIntervalSince1970: 1_427_846_400)

    struct Seeded {
        let path: String
        /// Closed in 2015: past retention, with answers, a file and a message.
        let expired: Int64
        /// Closed a day ago: still within retention.
        let recentlyClosed: Int64
        /// Still open (in the queue).
        let open: Int64
        /// A draft nobody confirmed, left in 2015.
        let staleDraft: Int64
    }

    /// A database migrated by the binary, holding applications written with `ApplicationStore`.
    func seed() throws -> Seeded {
        let path = directory.path("purge.sqlite")
        let migrate = try ProcessRunner.run(["migrate", "--db", path])
        #expect(migrate.exitCode == 0, "\(migrate.stderr)")
        let catalog = try ProcedureCatalog.load(directory: RepositoryPaths.schemas.appendingPathComponent("procedures"))
        let procedure = try #require(catalog.procedure(code: "road-light-report"))
        let database = try Database(path: path)
        defer { database.close() }
        let recently = Date().addingTimeInterval(-86_400)

        return try database.write { connection in
            let expired = try Self.submit(
                procedure, at: Self.longAgo, answers: ["location": .text("本町の街灯")], on: connection)
            let closedAt = Self.longAgo.addingTimeInterval(30 * 86_400)
            _ = try ApplicationStore.updateStatus(
                id: expired, from: .received, to: .withdrawn, at: closedAt, on: connection)
            try ApplicationStore.replaceAttachment(
                applicationID: expired,
                NewAttachment(
                    field: "photo", filename: "街灯.png", contentType: "image/png", data: Data([0x89, 0x50, 0x4E, 0x47])),
                at: Self.longAgo, on: connection)
            try ResidentMessages.send(
                subject: "件名", body: "本文", to: nil, source: ApplicationsModule.name, recordID: expired, at: closedAt,
                on: connection)

            let recent = try Self.submit(procedure, at: recently, answers: ["location": .text("振内の町道")], on: connection)
            _ = try ApplicationStore.updateStatus(
                id: recent, from: .received, to: .withdrawn, at: recently, on: connection)
            let open = try Self.submit(procedure, at: Self.longAgo, answers: ["location": .text("貫気別")], on: connection)

            let draft = NewApplication(
                procedure: procedure, residentID: nil, channel: .web, answers: ["location": .text("下書き")],
                submissionToken: SecureRandom.token())
            guard case .saved(let staleDraft) = try ApplicationStore.saveDraft(draft, at: Self.longAgo, on: connection)
            else {
                throw SeedFailure()
            }
            return Seeded(path: path, expired: expired, recentlyClosed: recent, open: open, staleDraft: staleDraft)
        }
    }

    /// A guest's submitted application at `time`, as the workflow's draft-then-submit writes it.
    static func submit(_ procedure: Procedure, at time: Date, answers: Answers, on connection: Connection) throws
        -> Int64
    {
        let new = NewApplication(
            procedure: procedure, residentID: nil, channel: .web, answers: answers,
            submissionToken: SecureRandom.token())
        guard case .saved(let id) = try ApplicationStore.saveDraft(new, at: time, on: connection) else {
            throw SeedFailure()
        }
        _ = try ApplicationStore.submitDraft(
            id: id, guestSecretHash: GuestSecret.hash("secret"), at: time, on: connection)
        return id
    }

    struct SeedFailure: Error {}

    /// Every row the purge could touch, by table, to compare before and after.
    func snapshot(_ path: String) throws -> [String: [[SQLValue]]] {
        let database = try Database(path: path)
        defer { database.close() }
        return try database.read { connection in
            var tables: [String: [[SQLValue]]] = [:]
            for table in [
                "applications", "application_attachments", "application_events", "resident_messages", "audit_log",
                "usage_events",
            ] {
                tables[table] = try connection.query("SELECT * FROM \(table) ORDER BY rowid").map(\.values)
            }
            return tables
        }
    }

    @Test func dryRun_reportsCounts_andChangesNothing() throws {
        let seeded = try seed()
        let before = try snapshot(seeded.path)
        let result = try ProcessRunner.run(["purge", "--db", seeded.path, "--dry-run"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "would purge 1 application(s); would delete 1 stale draft(s)\n")
        #expect(try snapshot(seeded.path) == before)
    }

    @Test func aRealRun_purgesOnlyWhatIsPastRetention_andAuditsIt() throws {
        let seeded = try seed()
        let result = try ProcessRunner.run(["purge"], environment: ["MADOGUCHI_DB": seeded.path])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "purged 1 application(s); deleted 1 stale draft(s)\n")

        let database = try Database(path: seeded.path)
        let (applications, files, messages, audit) = try database.read { connection in
            (
                Dictionary(
                    uniqueKeysWithValues: try [seeded.expired, seeded.recentlyClosed, seeded.open, seeded.staleDraft]
                        .map {
                            ($0, try ApplicationStore.fetchApplication(id: $0, on: connection))
                        }),
                try ApplicationStore.fetchAttachments(applicationID: seeded.expired, on: connection),
                try ApplicationStore.fetchResidentMessages(applicationID: seeded.expired, on: connection),
                try connection.query(
                    "SELECT actor_type, actor_id, subject_type, subject_id FROM audit_log WHERE action = 'application.purge'"
                ).map { row in
                    try ["actor_type", "actor_id", "subject_type", "subject_id"].map {
                        try row.get($0, as: String.self)
                    }
                    .joined(separator: " ")
                }
            )
        }
        database.close()
        let purged = try #require(applications[seeded.expired] ?? nil)
        #expect(purged.answers.isEmpty, "answers gone")
        #expect(purged.guestSecretHash == nil, "nobody can look it up any more")
        #expect(purged.purgedAt != nil)
        #expect(purged.status == .withdrawn, "the anonymous shell stays for the statistics")
        #expect(purged.reference != nil)
        #expect(files.isEmpty)
        #expect(messages.isEmpty)
        #expect(applications[seeded.recentlyClosed]??.answers["location"] == .text("振内の町道"), "within retention")
        #expect(applications[seeded.open]??.answers["location"] == .text("貫気別"), "open applications are never purged")
        #expect(applications[seeded.staleDraft] == .some(nil), "the stale draft is deleted")
        #expect(audit == ["job purge application \(seeded.expired)"], "ids only, by the purge job")

        // The purge's audit row extends the hash chain like any other, and a second run finds nothing.
        let verify = try ProcessRunner.run(["audit", "verify", "--db", seeded.path])
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        let again = try ProcessRunner.run(["purge", "--db", seeded.path])
        #expect(again.stdout == "purged 0 application(s); deleted 0 stale draft(s)\n")
    }

    @Test func missingDatabase_exitsOne_andHelpExitsZero() throws {
        let missing = directory.path("nope.sqlite")
        let result = try ProcessRunner.run(["purge", "--db", missing, "--dry-run"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("no database at"))
        #expect(!FileManager.default.fileExists(atPath: missing), "never creates a database where none was")
        let help = try ProcessRunner.run(["purge", "--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.hasPrefix("USAGE: madoguchi purge"))
        #expect(try ProcessRunner.run(["purge", "--db"]).exitCode == 64)
    }
}
