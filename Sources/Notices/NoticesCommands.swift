import Foundation
import HTTP
import ServiceKit
import Store

/// Shared by the notices commands.
public enum NoticesCommandSupport {
    /// sysexits.h EX_TEMPFAIL: the run was fine but work is left for the next timer run.

    /// The CHECK on notices.title.
    static let maximumTitleLength = 200

    /// The first `{name}` in `text` that a template would read as a placeholder (see `MessageTemplate`).
    static func firstPlaceholder(in text: String) -> String? {
        let placeholder = try! Regex(#"\{[^{}\r\n]{1,\#(MessageTemplate.maximumPlaceholderLength)}\}"#)
        return text.firstMatch(of: placeholder).map { String(text[$0.range]) }
    }

    static func positiveNumber(_ options: CommandLineOptions, _ name: String, default value: Double) throws -> Double {
        guard let text = options.value(name) else { return value }
        guard let number = Double(text), number >= 0, number.isFinite else {
            throw CommandLineOptions.UsageError(message: "--\(name) must be a number of at least 0, not '\(text)'")
        }
        return number
    }

    /// A value of at least 1: `--request-timeout-ms 0` would time out every call before it is sent.
    static func numberOfAtLeastOne(_ options: CommandLineOptions, _ name: String, default value: Double) throws
        -> Double
    {
        guard let text = options.value(name) else { return value }
        guard let number = Double(text), number >= 1, number.isFinite else {
            throw CommandLineOptions.UsageError(message: "--\(name) must be a number of at least 1, not '\(text)'")
        }
        return number
    }

    /// A whole number of at least 1: `--concurrency 0` would send nothing at all.
    static func wholeNumberOfAtLeastOne(_ options: CommandLineOptions, _ name: String, default value: Int) throws
        -> Int
    {
        guard let text = options.value(name) else { return value }
        guard let number = Int(text), number >= 1 else {
            throw CommandLineOptions.UsageError(
                message: "--\(name) must be a whole number of at least 1, not '\(text)'")
        }
        return number
    }

    /// The API base must be HTTPS; plain HTTP is allowed only to a loopback address (a fake LINE in tests),
    /// because the channel access token travels in every request.
    public static func apiBase(_ environment: [String: String]) throws -> String {
        let base = environment["MADOGUCHI_LINE_API_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.line.me"
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw CommandLineOptions.UsageError(message: "MADOGUCHI_LINE_API_BASE is not a URL: '\(base)'")
        }
        let loopback = host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw CommandLineOptions.UsageError(
                message: "MADOGUCHI_LINE_API_BASE must use https (plain http only to a loopback address)")
        }
        return base
    }

    static func headroom(_ environment: [String: String]) throws -> Double {
        guard let text = environment["MADOGUCHI_LINE_HEADROOM"], !text.isEmpty else { return 0.95 }
        guard let value = Double(text), value > 0, value <= 1 else {
            throw CommandLineOptions.UsageError(
                message: "MADOGUCHI_LINE_HEADROOM must be a fraction in (0, 1], not '\(text)'")
        }
        return value
    }
}

enum NoticesSendCommand: Command {
    static let name = "notices send"
    static let summary = "Send due LINE notices from the outbox (madoguchi-notices.timer runs it every minute)."
    static let usage = """
        USAGE: madoguchi notices send [--db PATH] [--dry-run] [--max-seconds N] [--lease-seconds N]
                                      [--request-timeout-ms N] [--concurrency N] [--log-level LEVEL]

        Claims due requests from the outbox, sends them to LINE concurrently under per-endpoint rate limits,
        and records each answer. Every request keeps the body and retry key frozen when its notice was
        created, so a crash or a rerun never sends anything twice.

        OPTIONS:
          --db PATH                SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --dry-run                Check and print what would be sent now; send and change nothing
          --max-seconds N          Stop claiming after N seconds (default 300)
          --lease-seconds N        How long a claimed request stays this run's (default 120)
          --request-timeout-ms N   Timeout of one LINE call (default 3000); a timed-out call is retried with
                                   its retry key
          --concurrency N          Most LINE calls in flight at once (default 512); the run keeps rate x
                                   time per call in flight, below this
          --log-level LEVEL        debug, info, warning or error (env MADOGUCHI_LOG_LEVEL; default info)
          --help                   Show this help

        ENVIRONMENT:
          MADOGUCHI_LINE_API_BASE            LINE's API (default https://api.line.me)
          MADOGUCHI_LINE_CHANNEL_TOKEN_FILE  File holding the channel access token (not needed for --dry-run)
          MADOGUCHI_LINE_HEADROOM            Fraction of LINE's rate limits to use (default 0.95)

        OUTPUT: a progress line on a terminal; JSON lines otherwise (one per second and a summary).

        EXIT CODES:
          0    all due work done
          1    a request failed or became unknown (its residents are on the fallback list), LINE rejected
               the token, or the run could not start: a person should look
          64   usage error
          75   work remains (retries, leases of a stopped run, or the time limit): the next run continues;
               or another notices send is running on the database, and this run sent nothing
        """
    static let valuedOptions: Set<String> = [
        "db", "max-seconds", "lease-seconds", "request-timeout-ms", "concurrency", "log-level",
    ]
    static let booleanOptions: Set<String> = ["dry-run"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        let logger = Logger(minimumLevel: try CommonOptions.logLevel(options, environment))
        let dryRun = options.has("dry-run")
        // Usage problems first (exit 64), then the token file (exit 1: the timer must alert).
        let apiBase = try NoticesCommandSupport.apiBase(environment)
        let headroom = try NoticesCommandSupport.headroom(environment)
        let maximumRunDuration = try NoticesCommandSupport.positiveNumber(options, "max-seconds", default: 300)
        let leaseDuration = max(1, try NoticesCommandSupport.positiveNumber(options, "lease-seconds", default: 120))
        let requestTimeout =
            try NoticesCommandSupport.numberOfAtLeastOne(options, "request-timeout-ms", default: 3_000) / 1000
        let maximumConcurrentRequests = try NoticesCommandSupport.wholeNumberOfAtLeastOne(
            options, "concurrency", default: 512)
        guard requestTimeout < leaseDuration else {
            throw CommandLineOptions.UsageError(message: "--request-timeout-ms must be shorter than --lease-seconds")
        }
        let token = dryRun ? ChannelAccessToken("") : try LINECredentialFile.accessToken(environment: environment)
        var configuration = NoticesJobConfiguration(accessToken: token)
        configuration.apiBase = apiBase
        configuration.headroom = headroom
        configuration.maximumRunDuration = maximumRunDuration
        configuration.leaseDuration = leaseDuration
        configuration.requestTimeout = requestTimeout
        configuration.maximumConcurrentRequests = maximumConcurrentRequests

        // Block the stop signals before any thread starts; a watcher thread turns them into a graceful stop:
        // in-flight requests finish and are recorded, claimed ones go back to the queue.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "notice_requests", tables: "no notices tables")
        defer { database.close() }
        let output = NoticesProgressOutput(terminal: isatty(STDOUT_FILENO) == 1)
        let reportProgress: @Sendable (NoticesProgress) -> Void = { output.progress($0) }
        let job = NoticesJob(
            store: NoticeStore(database: database), configuration: configuration, logger: logger,
            progress: dryRun ? nil : reportProgress)
        if dryRun {
            let items = try job.dryRun()
            output.dryRun(items)
            return items.contains { $0.problem != nil } ? .failure : .success
        }

        let stopSignal = job.stopSignal
        let watcher = Thread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGTERM)
            sigaddset(&signals, SIGINT)
            var received: Int32 = 0
            sigwait(&signals, &received)
            stopSignal.requestStop()
        }
        watcher.name = "madoguchi.notices-signals"
        watcher.start()

        let summary: NoticesRunSummary
        do {
            summary = try job.run()
        } catch let busy as NoticesSenderBusy {
            FileHandle.standardError.write(Data("madoguchi: \(busy)\n".utf8))
            return .temporaryFailure
        }
        let exitCode: ExitCode =
            summary.needsAttention ? .failure : summary.workRemains ? .temporaryFailure : .success
        output.summary(summary, exitCode: exitCode.rawValue)
        return exitCode
    }
}

/// Progress for people (a line redrawn in place on a terminal) or machines (JSON lines for the journal).
/// Counts and ids only: never recipients or texts of personalised notices.
final class NoticesProgressOutput: Sendable {
    let terminal: Bool

    init(terminal: Bool) {
        self.terminal = terminal
    }

    func progress(_ progress: NoticesProgress) {
        if terminal {
            write(
                "\r\u{1B}[Ksent \(progress.sent) · failed \(progress.failed + progress.unknown) · remaining "
                    + "\(progress.remaining) · \(String(format: "%.0f", progress.requestsPerSecond)) req/s")
        } else {
            write(json(["event": "progress"], progress) + "\n")
        }
    }

    func summary(_ summary: NoticesRunSummary, exitCode: Int32) {
        if terminal {
            write(
                "\r\u{1B}[Ksent \(summary.progress.sent) · failed \(summary.progress.failed) · unknown "
                    + "\(summary.progress.unknown) · retried \(summary.progress.retried) · 429s "
                    + "\(summary.progress.rateLimited) · remaining \(summary.progress.remaining) — "
                    + "\(summary.ending.rawValue)\n")
        } else {
            write(
                json(
                    ["event": "summary", "ending": summary.ending.rawValue, "exit_code": Int(exitCode)],
                    summary.progress)
                    + "\n")
        }
    }

    func dryRun(_ items: [NoticesJob.DryRunItem]) {
        for item in items {
            if terminal {
                var line =
                    "request \(item.requestID) · notice \(item.noticeID) 「\(item.noticeTitle)」 · \(item.endpoint.rawValue) · "
                    + "\(item.recipientCount) recipients · \(item.messageCount) messages · \(item.bodyBytes) bytes"
                if let problem = item.problem { line += " · INVALID: \(problem)" }
                write(line + "\n")
                for text in item.texts ?? [] {
                    write("    " + text.replacingOccurrences(of: "\n", with: "\n    ") + "\n")
                }
            } else {
                var object: [String: Any] = [
                    "event": "would_send", "request": item.requestID, "notice": item.noticeID,
                    "title": item.noticeTitle, "endpoint": item.endpoint.rawValue, "recipients": item.recipientCount,
                    "messages": item.messageCount, "bytes": item.bodyBytes, "attempts": item.attempts,
                ]
                if let texts = item.texts { object["texts"] = texts }
                if let problem = item.problem { object["problem"] = problem }
                write(serialize(object) + "\n")
            }
        }
        let invalid = items.filter { $0.problem != nil }.count
        if terminal {
            write("\(items.count) requests due, \(invalid) invalid\n")
        } else {
            write(serialize(["event": "dry_run_summary", "due": items.count, "invalid": invalid]) + "\n")
        }
    }

    private func json(_ fields: [String: Any], _ progress: NoticesProgress) -> String {
        var object = fields
        object["sent"] = progress.sent
        object["failed"] = progress.failed
        object["unknown"] = progress.unknown
        object["retried"] = progress.retried
        object["rate_limited"] = progress.rateLimited
        object["remaining"] = progress.remaining
        object["requests_per_second"] = (progress.requestsPerSecond * 10).rounded() / 10
        return serialize(object)
    }

    private func serialize(_ object: [String: Any]) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private func write(_ text: String) {
        // One write(2) per line, so a progress line is never torn by a log line on stderr.
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

enum NoticesCreateCommand: Command {
    static let name = "notices create"
    static let summary = "Create a notice from the command line: freeze its LINE requests and fallback list."
    static let usage = """
        USAGE: madoguchi notices create --title TITLE (--text TEXT | --text-file FILE)
                                        (--resident ID | --residents ID,ID,... | --district CODE | --all-linked)
                                        [--values-json JSON] [--send-at TIME] [--created-by NAME] [--db PATH]

        Checks the texts (every {placeholder} filled, at most 5 messages of 5,000 UTF-16 units each) and
        freezes the notice's LINE requests, each with its retry key; `notices send` delivers them. Residents
        without an active LINE link go on the fallback list.

        OPTIONS:
          --title TITLE        What staff see in the console
          --text TEXT          One message; placeholders look like {氏名} or {日時}
          --text-file FILE     Up to 5 messages, separated by lines holding only ---
          --resident ID        One resident
          --residents IDS      Comma-separated resident ids
          --district CODE      Every resident of a district (districts.code)
          --all-linked         Every resident with an active LINE link
          --values-json JSON   Values shared by all recipients, e.g. {"日時":"4月1日 10時"}; {氏名} and {地区}
                               come from each resident's record
          --send-at TIME       UTC time to send, e.g. 2026-04-01T00:00:00Z (default: the next run)
          --created-by NAME    Recorded as the creator (default cli)
          --db PATH            SQLite database file (env MADOGUCHI_DB; default var/madoguchi.sqlite)
          --help               Show this help
        """
    static let valuedOptions: Set<String> = [
        "db", "title", "text", "text-file", "resident", "residents", "district", "values-json", "send-at", "created-by",
    ]
    static let booleanOptions: Set<String> = ["all-linked"]

    static func run(_ options: CommandLineOptions, environment: [String: String]) throws -> ExitCode {
        guard let title = options.value("title") else {
            throw CommandLineOptions.UsageError(message: "notices create needs --title")
        }
        // The notices table's CHECK counts what SQLite's length() counts: Unicode code points.
        guard title.unicodeScalars.count <= NoticesCommandSupport.maximumTitleLength else {
            throw CommandLineOptions.UsageError(
                message:
                    "--title must be at most \(NoticesCommandSupport.maximumTitleLength) characters, not \(title.unicodeScalars.count)"
            )
        }
        let messages: [String]
        switch (options.value("text"), options.value("text-file")) {
        case (let text?, nil):
            messages = [text]
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure(message: "cannot read \(path)")
            }
            messages = String(decoding: data, as: UTF8.self).components(separatedBy: "\n---\n")
                .map { $0.trimmingCharacters(in: .newlines) }
            // An empty message is a mistake (a doubled --- line, a forgotten text), never something to drop
            // quietly: the residents would get fewer messages than the file shows.
            if let empty = messages.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw CommandLineOptions.UsageError(
                    message:
                        "--text-file: message \(empty + 1) of \(messages.count) is empty; write it or remove its --- line"
                )
            }
        default:
            throw CommandLineOptions.UsageError(message: "give either --text or --text-file")
        }
        let audiences: [Audience] = [
            options.value("resident").map { text -> Audience? in Int64(text).map(Audience.resident) } ?? nil,
            options.value("residents").map { text -> Audience? in
                let ids = text.split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
                return ids.isEmpty ? nil : .residents(ids)
            } ?? nil,
            options.value("district").map(Audience.district),
            options.has("all-linked") ? Audience.allLinked : nil,
        ].compactMap { $0 }
        let audienceFlags =
            ["resident", "residents", "district"].filter { options.value($0) != nil }.count
            + (options.has("all-linked") ? 1 : 0)
        guard audiences.count == 1, audienceFlags == 1 else {
            throw CommandLineOptions.UsageError(
                message: "give exactly one of --resident ID, --residents IDS, --district CODE or --all-linked")
        }
        var values: [String: String] = [:]
        if let json = options.value("values-json") {
            guard let decoded = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else {
                throw CommandLineOptions.UsageError(message: "--values-json must be a JSON object of strings")
            }
            values = decoded
            // Values are inserted as they are, never read as templates, so a placeholder in one would reach the
            // residents as a bare {受付番号}.
            for name in values.keys.sorted() {
                if let placeholder = NoticesCommandSupport.firstPlaceholder(in: values[name]!) {
                    throw CommandLineOptions.UsageError(
                        message:
                            "--values-json: the value of \(name) holds the placeholder \(placeholder); give the text itself"
                    )
                }
            }
        }
        var sendAt: Date?
        if let text = options.value("send-at") {
            guard let date = UTCTimestamp.parse(text) else {
                throw CommandLineOptions.UsageError(message: "--send-at must look like 2026-04-01T00:00:00Z")
            }
            sendAt = date
        }
        let database = try CommonOptions.openExistingDatabase(
            options, environment, requiring: "notice_requests", tables: "no notices tables")
        defer { database.close() }
        let draft = NoticeDraft(
            title: title, messages: messages, placeholderValues: values, audience: audiences[0], sendAt: sendAt,
            createdBy: options.value("created-by") ?? "cli")
        let created: CreatedNotice
        do {
            created = try NoticeStore(database: database).createNotice(draft, now: Date())
        } catch let error as NoticeValidationError {
            throw CommandFailure(message: "\(error) — \(error.message)")
        }
        let kind = created.personalised ? "push, personalised" : "multicast"
        print(
            "notice \(created.id) created: \(created.requestCount) LINE requests (\(kind)), "
                + "\(created.lineRecipientCount) residents by LINE, \(created.fallbackCount) on the fallback list")
        return .success
    }
}
