import Foundation
import TestSupport
import Testing

/// Every `madoguchi …` command README.md shows in a code block, run against the built binary, so the README
/// cannot drift from the CLI again (issue 15: a newcomer hit a missing `audit` line, a `--schemas` that did not
/// work and more).
///
/// - The CLI synopsis block (a plain code block of `madoguchi COMMAND [--option VALUE]…` lines) is a list of
///   forms, not commands to run: each is run with every option it names and `--help`, which exits 64 on an
///   option the command does not have, and every command `madoguchi help` lists must have a line there.
/// - Every `sh` block line that runs madoguchi is run for real through /bin/sh, in README order, against one
///   fresh temp database: `sudo -u madoguchi` and `/opt/madoguchi/bin/` are dropped, the production database
///   and backup folders become temp paths (`MADOGUCHI_DB` too, for lines without `--db`), `<file>` becomes
///   the backup an earlier line made, `$PASSWORD` is set. Each must exit 0.
/// - Excluded from running, with the reason: `serve` is started, checked for its listening line and stopped
///   with SIGTERM instead; `notices send` would call LINE (its options are checked through the synopsis).
@Suite("README: every madoguchi command it shows works")
struct READMECommandsTests {
    struct Line: CustomStringConvertible {
        let language: String
        let text: String
        var description: String { text }
    }

    static let excludedFromRunning = ["notices send": "calls the LINE API; checked through the synopsis and --help"]

    /// The README's code block lines that run madoguchi, backslash continuations joined.
    static func commandLines(in readme: String) -> [Line] {
        var lines: [Line] = []
        var language: String?
        var pending = ""
        for raw in readme.components(separatedBy: "\n") {
            if raw.hasPrefix("```") {
                language = language == nil ? String(raw.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                continue
            }
            guard let language else { continue }
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            let text = (pending + raw).trimmingCharacters(in: .whitespaces)
            pending = ""
            if text.range(of: #"(^|[\s/|"])madoguchi"? +[a-z]"#, options: .regularExpression) != nil {
                lines.append(Line(language: language, text: text))
            }
        }
        return lines
    }

    static func readme() throws -> String {
        try String(contentsOf: RepositoryPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// `staff add` and its option words from a synopsis line: `--name N` takes a value (an upper-case
    /// placeholder follows), `--dry-run` does not. A comment in parentheses after two spaces is cut off.
    static func synopsis(_ text: String) -> (command: String, arguments: [String]) {
        let form = text.replacingOccurrences(of: #"\s{2,}\([^)]*\)\s*$"#, with: "", options: .regularExpression)
        let words = form.replacingOccurrences(of: #"[\[\]()|…]"#, with: " ", options: .regularExpression)
            .split(separator: " ").map(String.init).dropFirst()
        let command = words.prefix { !$0.hasPrefix("-") && $0.lowercased() == $0 }.joined(separator: " ")
        var arguments: [String] = []
        var index = words.startIndex + command.split(separator: " ").count
        while index < words.endIndex {
            let word = words[index]
            if word.hasPrefix("--") {
                arguments.append(word)
                let next = words.index(after: index)
                if next < words.endIndex, !words[next].hasPrefix("-"), words[next].uppercased() == words[next] {
                    arguments.append("X")
                    index = next
                }
            }
            index = words.index(after: index)
        }
        return (command, arguments)
    }

    @Test func everySynopsisLine_namesOptionsTheCommandHas_andEveryCommandHasALine() throws {
        let synopses = Self.commandLines(in: try Self.readme()).filter { $0.language.isEmpty }.map {
            Self.synopsis($0.text)
        }
        #expect(synopses.count >= 15, "the CLI block")
        for (command, arguments) in synopses {
            let words = command.split(separator: " ").map(String.init)
            // `madoguchi help [COMMAND]` takes a command name, not options.
            let run = try ProcessRunner.run(command == "help" ? ["help", "backup"] : words + arguments + ["--help"])
            #expect(run.exitCode == 0, "madoguchi \(command) \(arguments.joined(separator: " ")): \(run.stderr)")
            if command != "help" && command != "version" {
                #expect(run.stdout.contains("USAGE: madoguchi \(command)"), "madoguchi \(command) --help")
            }
        }
        let overview = try ProcessRunner.run(["help"]).stdout
        let listed = overview.components(separatedBy: "\n").drop { $0 != "COMMANDS:" }.dropFirst()
            .prefix { !$0.isEmpty }
            .compactMap { $0.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ").first }
        #expect(listed.count >= 15)
        let documented = Set(synopses.map(\.command))
        for command in listed {
            #expect(documented.contains(command), "README's CLI block has no line for madoguchi \(command)")
        }
    }

    @Test func everyShellLine_runsAgainstAFreshDatabase() throws {
        let directory = TemporaryDirectory()
        let database = directory.path("var/lib/madoguchi.sqlite")
        let backups = directory.path("backups")
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let binary = RepositoryPaths.madoguchiBinary.path
        let lines = Self.commandLines(in: try Self.readme()).filter { $0.language == "sh" }
        #expect(lines.count >= 9, "the shell examples")
        var ran = 0
        for line in lines {
            var text = line.text
            for (production, test) in [
                ("sudo -u madoguchi ", ""), ("/opt/madoguchi/bin/madoguchi", "madoguchi"),
                ("/var/lib/madoguchi/madoguchi.sqlite", database), ("/var/backups/madoguchi/", backups + "/"),
                ("<file>", "manual-*"),
            ] {
                text = text.replacingOccurrences(of: production, with: test)
            }
            text = text.replacingOccurrences(
                of: #"(^|[|;&]\s*)madoguchi "#, with: "$1'\(binary)' ", options: .regularExpression)
            guard let command = text.range(of: "'\(binary)' ").map({ String(text[$0.upperBound...]) }) else {
                Issue.record("cannot find the madoguchi command in: \(line)")
                continue
            }
            let name = command.split(separator: " ").prefix(2).joined(separator: " ")
            if Self.excludedFromRunning[name] != nil {
                ran += 1
                continue
            }
            if command.hasPrefix("serve") {
                let server = try RunningServer(arguments: ["--db", database], environment: [:])
                #expect(server.stop().exitCode == 0, "\(line)")
                ran += 1
                continue
            }
            let run = try ProcessRunner.run(
                ["-c", text],
                environment: ["MADOGUCHI_DB": database, "PASSWORD": "a long staff passphrase"],
                workingDirectory: directory.url, executable: URL(fileURLWithPath: "/bin/sh"))
            #expect(run.exitCode == 0, "README line `\(line)` exited \(run.exitCode): \(run.stderr)")
            ran += 1
        }
        #expect(ran == lines.count)
        // `madoguchi backup` writes personal data: the copy must be private to the service user.
        let copies = try FileManager.default.contentsOfDirectory(atPath: backups).filter { $0.hasPrefix("manual-") }
        #expect(copies.count == 1)
        for copy in copies {
            let mode = try FileManager.default.attributesOfItem(atPath: backups + "/" + copy)[.posixPermissions] as? Int
            #expect(mode == 0o600, "backup mode \(String(mode ?? 0, radix: 8))")
        }
    }

    /// A deliberately wrong line is caught, so the check above cannot pass vacuously.
    @Test func aWrongLine_isCaught() throws {
        let (command, arguments) = Self.synopsis("madoguchi token create  --scopes S --name N [--db PATH]")
        #expect(command == "token create")
        #expect(arguments == ["--scopes", "X", "--name", "X", "--db", "X"])
        let run = try ProcessRunner.run(command.split(separator: " ").map(String.init) + arguments + ["--help"])
        #expect(run.exitCode == 64)
    }

    /// `--schemas` defaults to `Schemas` beside the binary, found from the binary the kernel runs: a copy of the
    /// binary in a folder with `Schemas` beside it migrates from any working directory.
    @Test func theDefaultSchemasFolder_isFoundBesideTheBinary() throws {
        let directory = TemporaryDirectory()
        let bin = directory.url.appendingPathComponent("opt/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let copy = bin.appendingPathComponent("madoguchi")
        if link(RepositoryPaths.madoguchiBinary.path, copy.path) != 0 {
            try FileManager.default.copyItem(at: RepositoryPaths.madoguchiBinary, to: copy)
        }
        try FileManager.default.createSymbolicLink(
            at: bin.appendingPathComponent("Schemas"), withDestinationURL: RepositoryPaths.schemas)
        let elsewhere = directory.url.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let run = try ProcessRunner.run(
            ["migrate", "--db", directory.path("beside.sqlite")], workingDirectory: elsewhere, executable: copy)
        #expect(run.exitCode == 0, "\(run.stderr)")
    }
}
