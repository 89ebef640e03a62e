import Foundation

/// Runs the built `madoguchi` binary, as an operator would.
public enum ProcessRunner {
    public struct Result: Sendable {
        public let exitCode: Int32
        public let stdout: String
        public let stderr: String
    }

    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        workingDirectory: URL = RepositoryPaths.root
    ) throws -> Result {
        let process = Process()
        process.executableURL = RepositoryPaths.madoguchiBinary
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.environment = cleanEnvironment(adding: environment)
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a chatty child can't block on a full pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            exitCode: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// The environment without MADOGUCHI_* variables from the developer's shell, so tests see defaults.
    static func cleanEnvironment(adding extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MADOGUCHI_") }
        environment.merge(extra) { $1 }
        return environment
    }
}

/// A long-running `madoguchi serve`, stopped with a signal.
public final class RunningServer: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    private let output = Pipe()
    private let errors = Pipe()

    /// Starts `serve` on port 0 and waits for its "listening on" line, which carries the real port.
    public init(arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = RepositoryPaths.madoguchiBinary
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.currentDirectoryURL = RepositoryPaths.root
        process.environment = ProcessRunner.cleanEnvironment(adding: environment)
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(10) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines),
            let port = Int(portText)
        else {
            process.terminate()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ServeFailed(output: text, stderr: stderr)
        }
        self.port = port
    }

    /// Sends `signal` and waits for the exit code.
    public func stop(signal: Int32 = SIGTERM) -> (exitCode: Int32, stderr: String) {
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    public struct ServeFailed: Error, CustomStringConvertible {
        public let output: String
        public let stderr: String
        public var description: String { "serve did not start: \(output) \(stderr)" }
    }
}
