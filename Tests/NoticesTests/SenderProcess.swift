import Foundation
import TestSupport

/// `madoguchi notices …` as a child process with its output in files (no pipe can fill up and stall it),
/// for tests that must kill it mid-run.
final class SenderProcess {
    let process = Process()
    private let outputURL: URL
    private let errorURL: URL

    init(_ arguments: [String], environment: [String: String], in directory: TemporaryDirectory) throws {
        let label = UUID().uuidString
        outputURL = directory.url.appendingPathComponent("\(label).out")
        errorURL = directory.url.appendingPathComponent("\(label).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = RepositoryPaths.madoguchiBinary
        process.arguments = arguments
        process.currentDirectoryURL = RepositoryPaths.root
        process.environment = Self.environment(adding: environment)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Runs to the end and returns the exit code.
    static func run(_ arguments: [String], environment: [String: String], in directory: TemporaryDirectory) throws
        -> (exitCode: Int32, stdout: String, stderr: String)
    {
        let child = try SenderProcess(arguments, environment: environment, in: directory)
        let code = child.waitForExit()
        return (code, child.stdout, child.stderr)
    }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: no handler runs, nothing is flushed, leases stay as they were.
    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var stdout: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// The test runner's environment without MADOGUCHI_* settings from the developer's shell.
    static func environment(adding extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MADOGUCHI_") }
        environment.merge(extra) { $1 }
        return environment
    }
}
