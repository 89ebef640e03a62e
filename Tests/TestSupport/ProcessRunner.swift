import Foundation

/// Runs the built `madoguchi` binary as an operator or a systemd timer would, with the developer's
/// MADOGUCHI_* settings removed so every run sees the defaults plus what the test passes.
///
/// Output goes to files, never pipes: a chatty child cannot stall on a full pipe, and a child killed
/// mid-run leaves everything it wrote readable.
public enum ProcessRunner {
    public struct Result: Sendable {
        public let exitCode: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `madoguchi arguments…` to the end; `executable` runs another program (a copy of the binary
    /// elsewhere, or /bin/sh for a README line) the same way.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        workingDirectory: URL = RepositoryPaths.root, executable: URL = RepositoryPaths.madoguchiBinary
    ) throws -> Result {
        let child = try start(
            arguments, environment: environment, stdin: stdin, workingDirectory: workingDirectory,
            executable: executable)
        let exitCode = child.waitForExit()
        return Result(exitCode: exitCode, stdout: child.stdout, stderr: child.stderr)
    }

    /// Starts `madoguchi arguments…` and returns at once, for tests that signal or kill it mid-run.
    public static func start(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        workingDirectory: URL = RepositoryPaths.root, executable: URL = RepositoryPaths.madoguchiBinary
    ) throws -> ChildProcess {
        try ChildProcess(
            arguments, environment: environment, stdin: stdin, workingDirectory: workingDirectory,
            executable: executable)
    }

    static func cleanEnvironment(adding extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MADOGUCHI_") }
        environment.merge(extra) { $1 }
        return environment
    }
}

/// One running `madoguchi`, terminated if the test lets go of it while it still runs.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let files = TemporaryDirectory("madoguchi-child")

    init(
        _ arguments: [String], environment: [String: String], stdin: String?, workingDirectory: URL,
        executable: URL = RepositoryPaths.madoguchiBinary
    ) throws {
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: files.path(name), contents: nil)
        }
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.environment = ProcessRunner.cleanEnvironment(adding: environment)
        process.standardOutput = try FileHandle(forWritingTo: files.url.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: files.url.appendingPathComponent("stderr"))
        if let stdin {
            _ = FileManager.default.createFile(atPath: files.path("stdin"), contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: files.url.appendingPathComponent("stdin"))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Waits for the exit and returns its status.
    @discardableResult
    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends `signal` (SIGTERM by default) without waiting.
    public func send(_ signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
    }

    /// SIGKILL: no handler runs, nothing is flushed, leases stay as they were.
    public func killHard() {
        send(SIGKILL)
        process.waitUntilExit()
    }

    public var stdout: String { read("stdout") }
    public var stderr: String { read("stderr") }

    /// The first line the child writes to stdout, waiting up to `timeout` seconds; nil if it exits or falls
    /// silent first.
    public func firstLine(timeout: TimeInterval = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let output = stdout
            if let newline = output.firstIndex(of: "\n") { return String(output[..<newline]) }
            if !process.isRunning { return nil }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    private func read(_ name: String) -> String {
        // Decoded as the old pipe reader did: bytes that are not UTF-8 (a Shift_JIS export) become U+FFFD.
        String(decoding: FileManager.default.contents(atPath: files.path(name)) ?? Data(), as: UTF8.self)
    }
}

/// A long-running `madoguchi serve`, stopped with a signal.
public final class RunningServer: @unchecked Sendable {
    public let child: ChildProcess
    public let port: Int

    /// Starts `serve` on port 0 and waits for its "listening on" line, which carries the real port. The
    /// sandbox checkout is opted into (`serve` refuses to start without a payment provider otherwise) unless
    /// `environment` says otherwise.
    public init(arguments: [String], environment: [String: String] = [:]) throws {
        child = try ProcessRunner.start(
            ["serve", "--listen", "127.0.0.1:0"] + arguments,
            environment: ["MADOGUCHI_PAYMENT_SANDBOX": "1"].merging(environment) { $1 })
        let line = child.firstLine() ?? ""
        guard let portText = line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces),
            let port = Int(portText)
        else {
            child.killHard()
            throw ServeFailed(output: line, stderr: child.stderr)
        }
        self.port = port
    }

    /// Sends `signal` and waits for the exit code.
    public func stop(signal: Int32 = SIGTERM) -> (exitCode: Int32, stderr: String) {
        child.send(signal)
        let exitCode = child.waitForExit()
        return (exitCode, child.stderr)
    }

    public struct ServeFailed: Error, CustomStringConvertible {
        public let output: String
        public let stderr: String
        public var description: String { "serve did not start: \(output) \(stderr)" }
    }
}
