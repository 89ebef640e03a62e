import Foundation

/// A fresh folder under the system temp dir, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init(_ label: String = "madoguchi-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Paths inside this repository, found from this source file so tests work from any working directory.
public enum RepositoryPaths {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let schemas = root.appendingPathComponent("Schemas")
    public static let migrations = schemas.appendingPathComponent("migrations")
    public static let deploy = root.appendingPathComponent("deploy")

    /// The built `madoguchi` binary: next to the test bundle, in the same SwiftPM build folder.
    public static var madoguchiBinary: URL {
        if let override = ProcessInfo.processInfo.environment["MADOGUCHI_BIN"] { return URL(fileURLWithPath: override) }
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = testExecutable.deletingLastPathComponent()
        // On Linux the test runner is `<build>/madoguchiPackageTests.xctest`; walk up until `madoguchi` appears.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("madoguchi")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue
            {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/madoguchi")
    }
}
