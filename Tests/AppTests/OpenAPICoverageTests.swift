import App
import Foundation
import TestSupport
import Testing

/// Keeps the API description true: every `/api/v1` route the app registers must be in Schemas/openapi.yaml,
/// with its method, and nothing described there may be missing from the app.
@Suite("OpenAPI description matches the routes")
struct OpenAPICoverageTests {
    /// `path → methods` from the `paths:` section, read from its fixed two- and four-space indentation.
    static func describedOperations() throws -> [String: Set<String>] {
        let text = try String(
            contentsOf: RepositoryPaths.schemas.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations: [String: Set<String>] = [:]
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
                operations[current!, default: []] = []
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(key) {
                    operations[path, default: []].insert(key.uppercased())
                }
            }
        }
        return operations
    }

    @Test func everyAPIRoute_isDescribed_andEveryDescribedAPIRouteExists() throws {
        let directory = TemporaryDirectory()
        let application = try Madoguchi(
            configuration: AppConfiguration(
                databasePath: directory.path("app.sqlite"), host: "127.0.0.1", port: 0,
                schemasDirectory: RepositoryPaths.schemas, workerThreads: 1),
            logger: .disabled)
        defer { application.database.close() }
        let described = try Self.describedOperations()
        // The reader itself works: a path known to be described, with exactly its methods.
        #expect(described["/api/v1/me"] == ["GET"])
        #expect(described["/api/v1/sessions"] == ["POST"])
        var registered: [String: Set<String>] = [:]
        for route in application.routes where route.pattern.hasPrefix("/api/v1/") {
            // `:id` in our patterns is `{id}` in OpenAPI.
            let path = route.pattern.split(separator: "/").map {
                $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
            }
            registered["/" + path.joined(separator: "/"), default: []].insert(route.method)
        }
        #expect(!registered.isEmpty)
        for (path, methods) in registered {
            for method in methods {
                #expect(described[path]?.contains(method) == true, "\(method) \(path) is not in Schemas/openapi.yaml")
            }
        }
        for (path, methods) in described where path.hasPrefix("/api/v1/") {
            for method in methods {
                #expect(
                    registered[path]?.contains(method) == true,
                    "openapi.yaml describes \(method) \(path), which the app lacks")
            }
        }
    }
}
