import Foundation
import ServiceKit
import Store

/// `madoguchi purge`: the retention job for online applications (see Applications/RetentionJob.swift).
enum PurgeCommand: Command {
    static let name = "purge"
    static let summary = "Delete personal data of closed applications past their retention period."
    static let usage = """
        USAGE: madoguchi purge [--db PATH] [--dry-run]

        Deletes the answers, attachments and messages of closed applications whose retention period (per
        procedure, from its closing date) has passed, and drafts nobody confirmed within a day. Anonymous
        counts stay. Each purged application is recorded in the audit log by id.

        OPTIONS:
          --db PATH   SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --dry-run   Report what would be purged and change nothing
          --help      Show this help
        """
    static let valuedOptions: Set<String> = ["db"]
    static let booleanOptions: Set<String> = ["dry-run"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "applications", tables: "no applications tables")
        defer { database.close() }
        let dryRun = options.has("dry-run")
        let report = try RetentionJob(database: database).run(now: Date(), dryRun: dryRun)
        let verb = dryRun ? "would purge" : "purged"
        print(
            "\(verb) \(report.purgedApplicationIDs.count) application(s); \(dryRun ? "would delete" : "deleted") \(report.deletedDrafts) stale draft(s)"
        )
        return .success
    }
}
