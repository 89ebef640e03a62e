import Foundation

/// Finds `Schemas/`: in the working directory in development, else beside the binary or in a folder above it:
/// `/opt/madoguchi/bin/Schemas`, then `/opt/madoguchi/Schemas` for `/opt/madoguchi/bin/madoguchi`, and the
/// repository's for a SwiftPM build folder.
///
/// The binary is the one the kernel runs (`/proc/self/exe`), not `argv[0]`: started through `PATH` or a
/// symlink, argv[0] is a bare name or the link, and the README's "beside the binary" found nothing.
public enum SchemaLocator {
    public static func defaultDirectory() -> URL {
        let fileManager = FileManager.default
        var candidates = [URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("Schemas")]
        var folder = executable().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("Schemas"))
            folder = folder.deletingLastPathComponent()
        }
        return candidates.first { fileManager.fileExists(atPath: $0.appendingPathComponent("migrations").path) }
            ?? candidates[0]
    }

    static func executable() -> URL {
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: running)
        }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    }
}
