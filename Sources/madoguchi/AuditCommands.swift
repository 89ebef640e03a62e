import Formats
import Foundation
import Security
import ServiceKit
import Store

/// Shared by the `audit` subcommands.
enum AuditCommandSupport {
    /// The first instant of the Asia/Tokyo calendar day `YYYY-MM-DD`, or nil for anything else, including
    /// dates that don't exist such as 2026-02-30.
    static func startOfTokyoDay(_ text: String) -> Date? { JapanTime.startOfDay(text) }

    /// Japan has no daylight saving, so every day is 24 hours long.
    static func endOfTokyoDay(_ text: String) -> Date? { JapanTime.startOfDay(text)?.addingTimeInterval(86_400) }
}

enum AuditVerifyCommand: Command {
    static let name = "audit verify"
    static let summary = "Check the audit log's hash chain and print its head hash."
    static let usage = """
        USAGE: madoguchi audit verify [--db PATH]

        Recomputes every row's hash in order. Exits 0 and prints the row count and the head hash when the
        chain is intact; exits 1 naming the first row that was changed, or that follows a deleted or inserted
        row. Rows removed from the end cannot be seen in the chain itself: keep each printed head hash
        somewhere else and check that a later run still contains it.

        OPTIONS:
          --db PATH   SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --help      Show this help
        """
    static let valuedOptions: Set<String> = ["db"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "audit_log", tables: "no audit log")
        defer { database.close() }
        let (verification, head) = try AuditLog.verifyChain(database)
        switch verification {
        case .intact(let rows):
            print("audit log intact: \(rows) rows, head \(head)")
            return .success
        case .broken(let rowID, let reason):
            throw CommandFailure(message: "audit log broken at row \(rowID): \(reason)")
        }
    }
}

enum AuditExportCommand: Command {
    static let name = "audit export"
    static let summary = "Write the audit log for a range of days as CSV for Excel."
    static let usage = """
        USAGE: madoguchi audit export --from YYYY-MM-DD --to YYYY-MM-DD [--db PATH] [--out FILE]

        Both days are Asia/Tokyo calendar days and both are included. The CSV is UTF-8 with a byte order
        mark, times are shown in Asia/Tokyo, and cells that Excel would run as formulas are prefixed with '.
        The file holds client addresses: keep it on town machines.

        OPTIONS:
          --from YYYY-MM-DD   First day to include (required)
          --to YYYY-MM-DD     Last day to include (required)
          --db PATH           SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --out FILE          Write to FILE (mode 0600) instead of standard output
          --help              Show this help
        """
    static let valuedOptions: Set<String> = ["from", "to", "db", "out"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let fromText = options.value("from"), let toText = options.value("to") else {
            throw CommandLineOptions.UsageError(message: "audit export needs --from YYYY-MM-DD and --to YYYY-MM-DD")
        }
        guard let from = AuditCommandSupport.startOfTokyoDay(fromText) else {
            throw CommandLineOptions.UsageError(message: "--from must be a date as YYYY-MM-DD, not '\(fromText)'")
        }
        guard let to = AuditCommandSupport.endOfTokyoDay(toText) else {
            throw CommandLineOptions.UsageError(message: "--to must be a date as YYYY-MM-DD, not '\(toText)'")
        }
        guard from < to else {
            throw CommandLineOptions.UsageError(message: "--from must not be after --to")
        }
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "audit_log", tables: "no audit log")
        defer { database.close() }
        let csv = try AuditLog.exportCSV(from: from, to: to, database: database)
        if let out = options.value("out") {
            try CommonOptions.ensureParentDirectory(of: out)
            guard FileManager.default.createFile(atPath: out, contents: csv, attributes: [.posixPermissions: 0o600])
            else { throw CommandFailure(message: "cannot write \(out)") }
        } else {
            FileHandle.standardOutput.write(csv)
        }
        return .success
    }
}
