import Foundation
import Security
import ServiceKit
import Store

/// Shared by the `staff` and `token` commands.
enum IdentityCommandSupport {
    /// The password piped on standard input, without its trailing line break. Passwords are never taken as
    /// arguments: those end up in shell history and in `ps` output.
    static func readPasswordFromStandardInput() throws -> String {
        var text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        if text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw CommandFailure(message: "no password on standard input") }
        return text
    }

    /// A cell padded to `width` display columns: full-width characters take two.
    static func pad(_ text: String, _ width: Int) -> String {
        let columns = text.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 ? 2 : 1) }
        return text + String(repeating: " ", count: max(1, width - columns))
    }
}

enum StaffAddCommand: Command {
    static let name = "staff add"
    static let summary = "Create a staff account; the password is read from standard input."
    static let usage = """
        USAGE: madoguchi staff add --login LOGIN --name NAME --role ROLE --department DEPT --password-stdin
                                   [--db PATH] [--schemas DIR]

        Creates the account, audited as done by the system. Use it for the first admin; admins add everyone
        else on the staff admin page (/staff/admin/staff).

          printf '%s\\n' "$PASSWORD" | madoguchi staff add --login suzuki --name '鈴木 太郎' \\
              --role admin --department 総務課 --password-stdin

        OPTIONS:
          --login LOGIN       Lower-case letters, digits, '.', '_' or '-', 3 to 64 characters
          --name NAME         The person's name as colleagues know it
          --role ROLE         clerk, supervisor or admin
          --department DEPT   総務課, 町民課, まちづくり課, 建設水道課, 保健福祉課, 生涯学習課 or 観光商工課
          --password-stdin    Read the password (at least 12 characters) from standard input (required)
          --db PATH           SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --schemas DIR       Folder holding migrations/ (env MADOGUCHI_SCHEMAS; default ./Schemas)
          --help              Show this help
        """
    static let valuedOptions: Set<String> = ["login", "name", "role", "department", "db", "schemas"]
    static let booleanOptions: Set<String> = ["password-stdin"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let login = options.value("login"), let name = options.value("name"),
            let roleText = options.value("role"), let departmentText = options.value("department")
        else {
            throw CommandLineOptions.UsageError(message: "staff add needs --login, --name, --role and --department")
        }
        guard StaffRole(rawValue: roleText) != nil else {
            throw CommandLineOptions.UsageError(message: "--role must be clerk, supervisor or admin, not '\(roleText)'")
        }
        guard Department(rawValue: departmentText) != nil else {
            throw CommandLineOptions.UsageError(
                message: "--department must be one of \(Department.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard options.has("password-stdin") else {
            throw CommandLineOptions.UsageError(
                message: "staff add needs --password-stdin: passwords are never taken as arguments")
        }
        let password = try IdentityCommandSupport.readPasswordFromStandardInput()
        let (member, errors) = StaffRules.validate(
            loginID: login, displayName: name, role: roleText, department: departmentText, password: password)
        guard let member else {
            throw CommandFailure(message: errors.all.map { "\($0.field): \($0.message)" }.joined(separator: " "))
        }
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let hash = PasswordHasher().hash(password)
        let now = Date()
        let id: Int64
        do {
            id = try database.write { connection in
                let id = try StaffStore.insertStaff(member, passwordHash: hash, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(actor: .system, action: "staff.create", subjectType: "staff", subjectID: String(id)),
                    at: now, on: connection)
                return id
            }
        } catch StaffStore.RegistrationConflict.loginIDTaken {
            throw CommandFailure(message: "a staff account with login '\(member.loginID)' already exists")
        }
        print("added staff \(member.loginID) (\(member.role.rawValue), \(member.department.rawValue)), id \(id)")
        return .success
    }
}

enum StaffDisableCommand: Command {
    static let name = "staff disable"
    static let summary = "Disable a staff account and end its sessions."
    static let usage = """
        USAGE: madoguchi staff disable --login LOGIN [--db PATH] [--schemas DIR]

        The account can no longer log in and its open sessions end at once. The record stays, so the audit
        log keeps naming who did what.

        OPTIONS:
          --login LOGIN   The account's login id (required)
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["login", "db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let login = options.value("login") else {
            throw CommandLineOptions.UsageError(message: "staff disable needs --login LOGIN")
        }
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let now = Date()
        let loginID = StaffRules.normalizeLoginID(login) ?? login
        let disabled = try database.write { connection -> Bool in
            guard let member = try StaffStore.fetchStaff(loginID: loginID, on: connection),
                try StaffStore.disableStaff(id: member.id, at: now, on: connection)
            else { return false }
            try SessionStore.deleteSessions(of: .staff(id: member.id), on: connection)
            try AuditLog.append(
                AuditEvent(actor: .system, action: "staff.disable", subjectType: "staff", subjectID: String(member.id)),
                at: now, on: connection)
            return true
        }
        guard disabled else { throw CommandFailure(message: "no active staff account with login '\(login)'") }
        print("disabled staff \(loginID)")
        return .success
    }
}

enum StaffListCommand: Command {
    static let name = "staff list"
    static let summary = "List staff accounts."
    static let usage = """
        USAGE: madoguchi staff list [--db PATH] [--schemas DIR]

        OPTIONS:
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let members = try database.read { try StaffStore.fetchAllStaff(on: $0) }
        let pad = IdentityCommandSupport.pad
        print(pad("LOGIN", 20) + pad("ROLE", 12) + pad("DEPARTMENT", 14) + pad("STATUS", 10) + "NAME")
        for member in members {
            print(
                pad(member.loginID, 20) + pad(member.role.rawValue, 12) + pad(member.department.rawValue, 14)
                    + pad(member.isActive ? "active" : "disabled", 10) + member.displayName)
        }
        return .success
    }
}

enum TokenCreateCommand: Command {
    static let name = "token create"
    static let summary = "Create a scoped API token for a batch job or integration."
    static let usage = """
        USAGE: madoguchi token create --scope SCOPE[,SCOPE...] --name NAME [--db PATH] [--schemas DIR]

        Prints the token on standard output, once: only its SHA-256 is stored, so it cannot be shown again.
        Callers send it as `Authorization: Bearer <token>`.

          NOTICES_TOKEN=$(madoguchi token create --scope notices:send --name notices-timer)

        OPTIONS:
          --scope SCOPES   Comma-separated resource:action scopes, e.g. notices:send,kpi:read (required)
          --name NAME      A unique label: letters, digits, '.', '_' or '-' (required)
          --db PATH        SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --schemas DIR    Folder holding migrations/ (env MADOGUCHI_SCHEMAS; default ./Schemas)
          --help           Show this help
        """
    static let valuedOptions: Set<String> = ["scope", "name", "db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let scopeText = options.value("scope"), let name = options.value("name") else {
            throw CommandLineOptions.UsageError(message: "token create needs --scope and --name")
        }
        let scopes = scopeText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !scopes.isEmpty, scopes.allSatisfy(APITokenRules.isValidScope) else {
            throw CommandLineOptions.UsageError(
                message: "--scope must be resource:action scopes such as notices:send, separated by commas")
        }
        guard APITokenRules.isValidName(name) else {
            throw CommandLineOptions.UsageError(
                message: "--name must be 1 to 64 letters, digits, '.', '_' or '-', not '\(name)'")
        }
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let token = APITokenRules.generateToken()
        let hash = APITokenRules.hash(token)
        let uniqueScopes = scopes.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let now = Date()
        do {
            try database.write { connection in
                let id = try APITokenStore.insertToken(
                    name: name, tokenHash: hash, scopes: uniqueScopes, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        actor: .system, action: "api_token.create", subjectType: "api_token", subjectID: String(id)),
                    at: now, on: connection)
            }
        } catch APITokenStore.CreationConflict.nameTaken {
            throw CommandFailure(message: "a token named '\(name)' already exists; revoke it or choose another name")
        }
        FileHandle.standardError.write(
            Data(
                "created token '\(name)' with scopes \(uniqueScopes.joined(separator: ",")); store it now, it is not shown again\n"
                    .utf8))
        print(token)
        return .success
    }
}

enum TokenListCommand: Command {
    static let name = "token list"
    static let summary = "List API tokens (never the tokens themselves)."
    static let usage = """
        USAGE: madoguchi token list [--db PATH] [--schemas DIR]

        OPTIONS:
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let tokens = try database.read { try APITokenStore.fetchAllTokens(on: $0) }
        let pad = IdentityCommandSupport.pad
        print(pad("NAME", 24) + pad("STATUS", 10) + pad("CREATED (UTC)", 26) + pad("LAST USED (UTC)", 26) + "SCOPES")
        for token in tokens {
            print(
                pad(token.name, 24) + pad(token.isRevoked ? "revoked" : "active", 10)
                    + pad(UTCTimestamp.format(token.createdAt), 26)
                    + pad(token.lastUsedAt.map(UTCTimestamp.format) ?? "never", 26)
                    + token.scopes.joined(separator: ","))
        }
        return .success
    }
}

enum TokenRevokeCommand: Command {
    static let name = "token revoke"
    static let summary = "Revoke an API token by name; it stops working at once."
    static let usage = """
        USAGE: madoguchi token revoke --name NAME [--db PATH] [--schemas DIR]

        OPTIONS:
          --name NAME     The token's name (required)
          \(CommonOptions.databaseOptionsHelp)
          --help          Show this help
        """
    static let valuedOptions: Set<String> = ["name", "db", "schemas"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let name = options.value("name") else {
            throw CommandLineOptions.UsageError(message: "token revoke needs --name NAME")
        }
        let database = try CommonOptions.openMigratedDatabase(options, environment)
        defer { database.close() }
        let now = Date()
        let revoked = try database.write { connection -> Bool in
            guard let token = try APITokenStore.fetchToken(name: name, on: connection),
                try APITokenStore.revokeToken(name: name, at: now, on: connection)
            else { return false }
            try AuditLog.append(
                AuditEvent(
                    actor: .system, action: "api_token.revoke", subjectType: "api_token", subjectID: String(token.id)),
                at: now, on: connection)
            return true
        }
        guard revoked else { throw CommandFailure(message: "no active token named '\(name)'") }
        print("revoked token \(name)")
        return .success
    }
}
