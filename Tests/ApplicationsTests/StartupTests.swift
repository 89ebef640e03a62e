import App
import Foundation
import TestSupport
import Testing

@testable import Applications

@Suite("Start-up with the procedure catalog")
struct StartupTests {
    /// A copy of the whole `Schemas` folder (every module's definitions) in a temp folder, so one definition
    /// can be broken without touching the repository's.
    func copyOfSchemas(in directory: TemporaryDirectory) throws -> URL {
        let schemas = directory.url.appendingPathComponent("Schemas")
        try FileManager.default.copyItem(at: RepositoryPaths.schemas, to: schemas)
        return schemas
    }

    /// Rewrites one definition file with `change` applied to its JSON object.
    func breakDefinition(_ file: String, in schemas: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = schemas.appendingPathComponent("procedures").appendingPathComponent(file)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
    }

    @Test func theUntouchedCopy_starts() throws {
        let directory = TemporaryDirectory()
        let schemas = try copyOfSchemas(in: directory)
        let app = try TestApplication { $0.schemasDirectory = schemas }
        #expect(try app.request("GET", "/api/v1/procedures/dog-registration").status == 200)
    }

    /// One mistake an operator might make in a definition, and where the error must point.
    enum Breakage: String, CaseIterable, Sendable {
        /// Caught while decoding.
        case unknownFieldType
        /// Caught by the definition rules.
        case maxBelowMin
        case unknownDepartment

        var file: String {
            switch self {
            case .unknownFieldType: "dog-registration.json"
            case .maxBelowMin: "water-start.json"
            case .unknownDepartment: "bulky-waste.json"
            }
        }

        var path: String {
            switch self {
            case .unknownFieldType: "fields[2].type"
            case .maxBelowMin: "fields[6].max"
            case .unknownDepartment: "department"
            }
        }

        var message: String {
            switch self {
            case .unknownFieldType: "not a known field type"
            case .maxBelowMin: "must not be less than min"
            case .unknownDepartment: "must be one of"
            }
        }

        func apply(to object: inout [String: Any]) {
            var fields = object["fields"] as! [[String: Any]]
            switch self {
            case .unknownFieldType: fields[2]["type"] = "colour"
            case .maxBelowMin: fields[6]["max"] = 0
            case .unknownDepartment: object["department"] = "宇宙課"
            }
            object["fields"] = fields
        }
    }

    @Test(arguments: Breakage.allCases)
    func aBadDefinition_stopsStartUp_namingFileAndField(_ breakage: Breakage) throws {
        let (file, path, message) = (breakage.file, breakage.path, breakage.message)
        let directory = TemporaryDirectory()
        let schemas = try copyOfSchemas(in: directory)
        try breakDefinition(file, in: schemas, breakage.apply(to:))
        do {
            _ = try TestApplication { $0.schemasDirectory = schemas }
            Issue.record("Madoguchi.init accepted a broken \(file)")
        } catch let error as CatalogError {
            #expect(error.file == file)
            #expect(error.path == path)
            #expect(error.message.contains(message), "\(error.message)")
            // What the operator reads on the console when `madoguchi serve` exits 1.
            #expect("\(error)" == "procedure definition \(file), field \(path): \(error.message)")
        }
    }
}
