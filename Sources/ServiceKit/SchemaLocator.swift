import Foundation

/// Finds `Schemas/`: next to the working directory in development, next to the installed binary in
/// production (`/opt/madoguchi/bin/madoguchi` → `/opt/madoguchi/Schemas`), or beside the SwiftPM build folder.
public enum SchemaLocator {
    public static func defaultDirectory() -> URL {
        let fileManager = FileManager.default
        var candidates = [URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("Schemas")]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("Schemas"))
        }
        return candidates.first { fileManager.fileExists(atPath: $0.appendingPathComponent("migrations").path) }
            ?? candidates[0]
    }
}
